import assert from "node:assert/strict";
import { certifiedHosts, NoCertifiableAddressError } from "./certified_hosts.ts";

const iface = (address: string, family: "IPv4" | "IPv6" = "IPv4") =>
  ({ family, name: "eth0", address, netmask: "", scopeid: null, cidr: "", mac: "" }) as Deno.NetworkInterfaceInfo;
const MACHINE = () => [iface("127.0.0.1"), iface("10.1.2.3"), iface("::1", "IPv6"), iface("fe80::1", "IPv6")];

Deno.test("certifiedHosts(): a node bound to one address certifies that address only", () => {
  assert.deepEqual(certifiedHosts("10.1.2.3", "203.0.113.9", MACHINE), ["10.1.2.3"]);
});

Deno.test("certifiedHosts(): a wildcard bind certifies the interface addresses of its family, never any host", () => {
  assert.deepEqual(certifiedHosts("0.0.0.0", undefined, MACHINE), ["10.1.2.3", "127.0.0.1"]);
  assert.deepEqual(certifiedHosts("::", undefined, MACHINE), ["10.1.2.3", "127.0.0.1", "::1"]);
  assert.deepEqual(certifiedHosts("0.0.0.0", "203.0.113.9", MACHINE), ["203.0.113.9", "10.1.2.3", "127.0.0.1"]);
  assert.deepEqual(certifiedHosts("0.0.0.0", "worker-1.example", MACHINE), ["10.1.2.3", "127.0.0.1"]);
});

Deno.test("certifiedHosts(): the hosts fit in the certificate's 255 bytes; none at all is an error", () => {
  const many = () => Array.from({ length: 40 }, (_, i) => iface(`10.0.${i}.100`));
  assert.ok(certifiedHosts("0.0.0.0", undefined, many).join(",").length <= 255);
  const denied = () => {
    throw new Deno.errors.NotCapable("no sys permission");
  };
  assert.throws(() => certifiedHosts("0.0.0.0", undefined, denied), NoCertifiableAddressError);
  assert.deepEqual(certifiedHosts("0.0.0.0", "10.9.9.9", denied), ["10.9.9.9"]);
});
