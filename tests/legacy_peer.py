#!/usr/bin/env python3
"""A small legacy-style Kademlia peer for cqkd's interop tests (stdlib + umsgpack only).

It speaks the wire format of the legacy Python nodes (bmuller's kademlia over rpcudp): one UDP datagram per
message, 0x00 (request) / 0x01 (response) + a 20-byte message id + a umsgpack payload; a request is
[name, args], a response the return value. It is written for the tests, not taken from the legacy code.

Usage: legacy_peer.py [--host H] [--port P] [--id HEX] [--ksize K] [--bootstrap host:port ...]
Prints {"event":"ready",...} once listening (and bootstrapped), then answers one JSON line on stdout for each
JSON command line on stdin, until stdin closes. Bytes travel as {"bytes": hex}, floats as {"float": x}.
"""
import argparse
import asyncio
import collections
import collections.abc
import hashlib
import json
import os
import sys

import umsgpack

# Debian bookworm's python3-u-msgpack 2.3.0 still uses collections.Hashable, which Python 3.10 removed, so it
# cannot unpack any msgpack map (a find_value answer {"value": v}). Later u-msgpack releases use collections.abc;
# restore the alias so that the same code runs. The bytes on the wire are unaffected.
if not hasattr(collections, "Hashable"):
    collections.Hashable = collections.abc.Hashable

TIMEOUT = 2.0
MAX_PAYLOAD = 8192
ALPHA = 3


class TooLarge(Exception):
    pass


def digest(key):
    return hashlib.sha1(key.encode("utf8") if isinstance(key, str) else key).digest()


def distance(a, b):
    return int.from_bytes(a, "big") ^ int.from_bytes(b, "big")


def to_json(value):
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {"map": [[to_json(k), to_json(v)] for k, v in value.items()]}
    return value


def from_json(value):
    if isinstance(value, dict):
        if "bytes" in value:
            return bytes.fromhex(value["bytes"])
        if "float" in value:
            return float(value["float"])
        if "int" in value:  # integers beyond 2**53, which JSON numbers cannot carry exactly
            return int(value["int"])
        raise ValueError(f"cannot read value {value!r}")
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return (host, int(port))


def contact_triples(answer):
    """The valid (id, ip, port) entries of a find_node answer."""
    if not isinstance(answer, list):
        return []
    return [(e[0], e[1], e[2]) for e in answer if isinstance(e, list) and len(e) == 3 and isinstance(e[0], bytes)
            and len(e[0]) == 20 and isinstance(e[1], str) and isinstance(e[2], int)]


class LegacyPeer(asyncio.DatagramProtocol):
    def __init__(self, node_id, ksize):
        self.id = node_id
        self.ksize = ksize
        self.contacts = {}  # id -> (ip, port); insertion order = least recently seen first
        self.storage = {}
        self.outstanding = {}  # message id -> (future, raw)
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    # --- rpcudp framing ---------------------------------------------------------------------------------------
    def datagram_received(self, data, addr):
        if len(data) < 22:
            return
        msg_id, kind = data[1:21], data[:1]
        if kind == b"\x01":
            future, raw = self.outstanding.pop(msg_id, (None, False))
            if future is not None and not future.done():
                try:
                    future.set_result(data if raw else umsgpack.unpackb(data[21:]))
                except Exception as error:  # a bad answer fails the call, like a malformed message
                    future.set_exception(error)
            return
        if kind != b"\x00":
            return
        try:
            name, args = umsgpack.unpackb(data[21:])
            handler = getattr(self, f"rpc_{name}", None) if isinstance(name, str) else None
            if handler is None:
                return  # legacy nodes never answer an unknown method
            result = handler(addr[:2], *args)
        except Exception as error:
            print(f"legacy_peer: request dropped: {type(error).__name__}: {error}", file=sys.stderr)
            return
        self.transport.sendto(b"\x01" + msg_id + umsgpack.packb(result), addr)

    async def exchange(self, datagram, addr, raw=False):
        """(True, answer) or (False, None) on timeout, as rpcudp's futures resolve."""
        future = asyncio.get_running_loop().create_future()
        msg_id = datagram[1:21]
        self.outstanding[msg_id] = (future, raw)
        self.transport.sendto(datagram, addr)
        try:
            return True, await asyncio.wait_for(future, TIMEOUT)
        except asyncio.TimeoutError:
            return False, None
        finally:
            self.outstanding.pop(msg_id, None)

    async def call(self, addr, name, *args):
        payload = umsgpack.packb([name, args])
        if len(payload) > MAX_PAYLOAD:
            raise TooLarge(f"request payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
        return await self.exchange(b"\x00" + os.urandom(20) + payload, addr)

    async def call_contact(self, nodeid, addr, name, *args):
        ok, answer = await self.call(addr, name, self.id, *args)
        if ok:
            self.welcome(nodeid, addr)
        else:
            self.contacts.pop(nodeid, None)
        return ok, answer

    # --- routing and the legacy RPCs --------------------------------------------------------------------------
    def closest(self, target, exclude=None):
        ids = sorted((c for c in self.contacts if c != exclude), key=lambda c: distance(c, target))
        return [(c, self.contacts[c]) for c in ids[: self.ksize]]

    def welcome(self, nodeid, addr):
        if not isinstance(nodeid, bytes) or len(nodeid) != 20:
            raise ValueError("node id is not 20 bytes")
        if nodeid == self.id:
            return
        if nodeid not in self.contacts:  # hand over the keys the newcomer should hold (paper, section 2.5)
            for key, value in list(self.storage.items()):
                near = self.closest(key)
                if not near or (distance(nodeid, key) < distance(near[-1][0], key)
                                and distance(self.id, key) < distance(near[0][0], key)):
                    asyncio.ensure_future(self.call_contact(nodeid, addr, "store", key, value))
        self.contacts.pop(nodeid, None)
        self.contacts[nodeid] = (addr[0], addr[1])

    def rpc_stun(self, sender):
        return sender

    def rpc_ping(self, sender, nodeid):
        self.welcome(nodeid, sender)
        return self.id

    def rpc_store(self, sender, nodeid, key, value):
        self.welcome(nodeid, sender)
        self.storage[key] = value
        return True

    def rpc_find_node(self, sender, nodeid, key):
        self.welcome(nodeid, sender)
        return [(c, ip, port) for c, (ip, port) in self.closest(key, exclude=nodeid)]

    def rpc_find_value(self, sender, nodeid, key):
        self.welcome(nodeid, sender)
        if self.storage.get(key) is None:
            return self.rpc_find_node(sender, nodeid, key)
        return {"value": self.storage[key]}

    # --- client operations ------------------------------------------------------------------------------------
    async def lookup(self, target, find_value=False):
        """Iterative lookup: (k closest that answered, value or None)."""
        known = dict(self.closest(target))
        asked, answered = set(), []
        while True:
            live = sorted((c for c in known if c not in asked or c in answered), key=lambda c: distance(c, target))
            batch = [c for c in live[: self.ksize] if c not in asked][:ALPHA]
            if not batch:
                return sorted(answered, key=lambda c: distance(c, target))[: self.ksize], None
            asked.update(batch)
            method = "find_value" if find_value else "find_node"
            results = await asyncio.gather(*(self.call_contact(c, known[c], method, target) for c in batch))
            for nodeid, (ok, answer) in zip(batch, results):
                if not ok:
                    continue
                if find_value and isinstance(answer, dict) and "value" in answer:
                    lacking = sorted(answered, key=lambda c: distance(c, target))
                    if lacking:  # cache it at the closest node that lacked it, as legacy value lookups do
                        await self.call_contact(lacking[0], known[lacking[0]], "store", target, answer["value"])
                    return [], answer["value"]
                answered.append(nodeid)
                for cid, ip, port in contact_triples(answer):
                    if cid != self.id:
                        known.setdefault(cid, (ip, port))

    async def bootstrap(self, addrs):
        for addr in addrs:
            ok, answer = await self.call(addr, "ping", self.id)
            if ok and isinstance(answer, bytes) and len(answer) == 20:
                self.welcome(answer, addr)
        await self.lookup(self.id)

    async def command(self, cmd):
        op = cmd.get("op")
        addr = parse_addr(cmd["addr"]) if "addr" in cmd else None
        timeout = {"ok": False, "error": "timeout"}
        if op == "ping":
            ok, answer = await self.call(addr, "ping", self.id)
            if ok and isinstance(answer, bytes) and len(answer) == 20:
                self.welcome(answer, addr)
            return {"ok": True, "id": answer.hex() if isinstance(answer, bytes) else to_json(answer)} if ok else timeout
        if op in ("store", "find_node", "find_value"):
            key = bytes.fromhex(cmd["key"] if op != "find_node" else cmd["target"])
            extra = (from_json(cmd["value"]),) if op == "store" else ()
            ok, answer = await self.call(addr, op, self.id, key, *extra)
            if not ok:
                return timeout
            if op == "find_value" and isinstance(answer, dict):
                return {"ok": True, "value": to_json(answer.get("value")), "raw": to_json(answer)}
            if op == "store":
                return {"ok": True, "result": to_json(answer)}
            return {"ok": True, "contacts": to_json(answer)}
        if op == "stun":
            ok, answer = await self.call(addr, "stun")
            return {"ok": True, "address": to_json(answer)} if ok else timeout
        if op == "get":
            key = digest(cmd["key"])
            if self.storage.get(key) is not None:
                return {"ok": True, "found": True, "value": to_json(self.storage[key]), "local": True}
            _, value = await self.lookup(key, find_value=True)
            return {"ok": True, "found": value is not None, "value": to_json(value), "local": False}
        if op == "set":
            key, value = digest(cmd["key"]), from_json(cmd["value"])
            nodes, _ = await self.lookup(key)
            if not nodes:
                return {"ok": False, "error": "no known neighbours"}
            if distance(self.id, key) < max(distance(n, key) for n in nodes):
                self.storage[key] = value
            results = await asyncio.gather(*(self.call_contact(n, self.contacts.get(n), "store", key, value)
                                             for n in nodes if n in self.contacts))
            return {"ok": True, "stored": sum(1 for ok, a in results if ok and a is True), "asked": len(nodes)}
        if op == "contacts":
            return {"ok": True, "contacts": [[c.hex(), ip, port] for c, (ip, port) in self.contacts.items()]}
        if op == "local":
            value = self.storage.get(bytes.fromhex(cmd["key"]))
            return {"ok": True, "found": value is not None, "value": to_json(value)}
        if op == "raw":
            if "hex" in cmd:
                datagram = bytes.fromhex(cmd["hex"])
            else:
                msg_id = bytes.fromhex(cmd["msgid"]) if "msgid" in cmd else os.urandom(20)
                datagram = b"\x00" + msg_id + umsgpack.packb([cmd["name"], from_json(cmd.get("args", []))])
            ok, answer = await self.exchange(datagram, addr, raw=True)
            return {"ok": True, "sent": datagram.hex(), "response": answer.hex()} if ok else {**timeout,
                                                                                                "sent": datagram.hex()}
        return {"ok": False, "error": f"unknown op {op!r}"}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--id", help="node id, 40 hex digits (default random)")
    parser.add_argument("--ksize", type=int, default=20)
    parser.add_argument("--bootstrap", action="append", default=[], help="host:port (repeatable)")
    args = parser.parse_args()
    node_id = bytes.fromhex(args.id) if args.id else os.urandom(20)
    if len(node_id) != 20:
        parser.error("--id must be 40 hex digits")
    loop = asyncio.get_running_loop()
    transport, peer = await loop.create_datagram_endpoint(lambda: LegacyPeer(node_id, args.ksize),
                                                          local_addr=(args.host, args.port))
    if args.bootstrap:
        await peer.bootstrap([parse_addr(a) for a in args.bootstrap])
    emit({"event": "ready", "port": transport.get_extra_info("sockname")[1], "id": node_id.hex(),
          "contacts": len(peer.contacts)})
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if not line.strip():
            continue
        try:
            answer = await peer.command(json.loads(line))
        except TooLarge as error:
            answer = {"ok": False, "error": "too-large", "message": str(error)}
        except Exception as error:
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        emit(answer)
    transport.close()


if __name__ == "__main__":
    asyncio.run(main())
