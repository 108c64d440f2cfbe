import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { candidateSubnets, canListen, pickFreeSubnet } from "./subnet.js";

test("candidate subnets start at the default and walk the third octet", () => {
  assert.deepEqual(candidateSubnets("127.77.0", 3), ["127.77.0", "127.77.1", "127.77.2"]);
  assert.deepEqual(candidateSubnets("127.77.255", 2), ["127.77.255", "127.77.0"]);
});

test("the first subnet whose apid and kube-apiserver ports are all free is chosen", async () => {
  const taken = new Set(["127.1.0.12:50000", "127.1.1.11:6443"]);
  const probe = (a: string, p: number) => Promise.resolve(!taken.has(`${a}:${p}`));
  const nodes = (s: string) => [`${s}.11`, `${s}.12`];
  assert.equal(await pickFreeSubnet(nodes, ["127.1.0", "127.1.1", "127.1.2"], probe), "127.1.2");
  await assert.rejects(pickFreeSubnet(nodes, ["127.1.0", "127.1.1"], probe), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, /no free loopback \/24.*127\.1\.0\.x … 127\.1\.1\.x/);
    assert.equal(e.exitCode, 1);
    return true;
  });
});

test("canListen sees a real listener on loopback", async () => {
  const squatter = createServer().listen(50000, "127.77.203.11");
  await new Promise((r) => squatter.once("listening", r));
  try {
    assert.equal(await canListen("127.77.203.11", 50000), false);
    assert.equal(await canListen("127.77.203.12", 50000), true);
    assert.equal(await pickFreeSubnet((s) => [`${s}.11`], ["127.77.203", "127.77.204"]), "127.77.204");
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});
