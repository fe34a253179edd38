import assert from "node:assert/strict";
import type { Contact } from "./contact.ts";
import { hearsayAdmission } from "./hearsay_admission.ts";
import { NodeId } from "./node_id.ts";

Deno.test("hearsayAdmission pings a refused contact where this node checked it, never where it was named, once per window", () => {
  const id = NodeId.random();
  const checked: Contact = { id, host: "127.0.0.2", port: 4000 };
  const named: Contact = { id, host: "127.0.0.66", port: 9999 }; // someone names it at a victim's address
  const stranger: Contact = { id: NodeId.random(), host: "127.0.0.3", port: 4001 };
  const pinged: Contact[] = [];
  const admit = hearsayAdmission({
    admitHearsay: (c) => c === stranger,
    keepSilent: () => false,
    checkedContact: (c) => c.id.equals(id) ? checked : undefined,
  }, (c) => {
    pinged.push(c);
    return Promise.resolve();
  });
  assert.equal(admit(stranger), true, "admitted as the policy says, not pinged");
  assert.equal(admit(named), false);
  assert.equal(admit(named), false, "named again within the window");
  assert.deepEqual(pinged, [checked], "one ping, at the checked address");
  const unknown: Contact = { id: NodeId.random(), host: "127.0.0.4", port: 4002 };
  const refusesAll = hearsayAdmission({ admitHearsay: () => false, keepSilent: () => false }, (c) => {
    pinged.push(c);
    return Promise.resolve();
  });
  assert.equal(refusesAll(unknown), false);
  assert.equal(pinged.length, 1, "a contact this node never checked is not pinged");
});
