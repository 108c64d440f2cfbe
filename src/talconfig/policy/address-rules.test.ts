import { test } from "node:test";
import assert from "node:assert/strict";
import { loadTalconfig } from "../loader.js";
import { BASE_TALCONFIG, memFiles } from "../testdata/memfs.js";
import { addressPrefix } from "./address-rules.js";

const T = "/repo/talconfig.yaml";
// BASE_TALCONFIG's first node with its interface replaced; the other nodes keep their prefixed addresses.
const config = (iface: string) =>
  BASE_TALCONFIG.replace(
    "      - interface: eth0\n        addresses: [10.0.0.11/24]\n        routes: [{ network: 0.0.0.0/0, gateway: 10.0.0.1 }]\n",
    `      - ${iface}\n`,
  );

// Table: the interface as written, the findings' messages and hints.
const CASES: readonly [string, string, readonly string[]][] = [
  [
    "with a prefix",
    "{interface: eth0, addresses: [10.0.0.11/24], routes: [{network: 0.0.0.0/0, gateway: 10.0.0.1}]}",
    [],
  ],
  [
    "no prefix, a gateway",
    "{interface: eth0, addresses: [10.0.0.11], routes: [{network: 0.0.0.0/0, gateway: 10.0.0.1}]}",
    [
      "address 10.0.0.11 has no prefix: Talos makes it a /32, and the interface's gateway is then off-link | write the subnet's prefix length, e.g. 10.0.0.11/24",
    ],
  ],
  ["no prefix, no routes (point-to-point)", "{interface: eth0, addresses: [10.0.0.11]}", []],
  [
    "IPv6 on a VLAN with routes",
    "{interface: eth0, addresses: [10.0.0.11/24], vlans: [{vlanId: 5, addresses: ['fd00::11'], routes: [{network: '::/0', gateway: 'fd00::1'}]}]}",
    [
      "address fd00::11 has no prefix: Talos makes it a /128, and the interface's gateway is then off-link | write the subnet's prefix length, e.g. fd00::11/64",
    ],
  ],
];

for (const [name, iface, want] of CASES) {
  test(`address-prefix: ${name}`, async () => {
    const loaded = await loadTalconfig({ path: T, readFile: memFiles({ [T]: config(iface) }) });
    const found = addressPrefix.check(loaded, {} as never).map((d) => `${d.message} | ${d.hint}`);
    assert.deepEqual(found, want);
  });
}
