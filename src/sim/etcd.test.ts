import assert from "node:assert/strict";
import { test } from "node:test";
import { EtcdRefusal, EtcdUnavailableError, SimEtcd } from "./etcd.js";
import { seededRandom } from "./random.js";

function cluster(down: Set<string> = new Set()) {
  const etcd = new SimEtcd({ random: seededRandom(1), clusterName: "t", live: (h) => !down.has(h) });
  etcd.bootstrap({ hostname: "cp1", address: "10.0.0.1" }, undefined);
  assert.equal(etcd.tryJoin({ hostname: "cp2", address: "10.0.0.2" }), true);
  assert.equal(etcd.tryJoin({ hostname: "cp3", address: "10.0.0.3" }), true);
  return { etcd, down };
}

test("MVCC: every write bumps the revision; keys keep create/mod revision and version", () => {
  const { etcd } = cluster();
  const a = etcd.put("/a", "1");
  etcd.put("/b", "x");
  const a2 = etcd.put("/a", "2");
  assert.deepEqual(
    [a.createRevision, a2.createRevision, a2.modRevision, a2.version],
    [a.modRevision, a.modRevision, a.modRevision + 2, 2],
  );
  assert.equal(etcd.delete("/b"), true);
  assert.equal(etcd.revision, a2.modRevision + 1);
  assert.deepEqual(
    etcd.range("/").map((e) => e.key),
    ["/a"],
  );
});

test("quorum: reads and writes need a healthy majority; removals keep the rest a quorum", () => {
  const { etcd, down } = cluster();
  down.add("cp3");
  etcd.put("/k", "v");
  down.add("cp2");
  assert.throws(() => etcd.get("/k"), EtcdUnavailableError);
  down.delete("cp2");
  assert.throws(
    () => etcd.leave("cp2"),
    (e: Error) => e instanceof EtcdRefusal && /not enough started members/.test(e.message),
  );
  etcd.removeMember(etcd.member("cp3")!.id);
  assert.deepEqual(
    etcd.memberList().map((m) => m.hostname),
    ["cp1", "cp2"],
  );
  assert.match(etcd.problem("cp3")!, /already been removed/);
});

test("wipe: the member stays until removed; wiping every member loses the key space; a snapshot restores it", () => {
  const { etcd } = cluster();
  etcd.put("/registry/x", "1");
  const snap = etcd.snapshot("cp1", "3.6.12");
  const before = etcd.dump();
  etcd.wipe("cp3");
  assert.match(etcd.problem("cp3")!, /already exists with the same peer URLs/);
  assert.equal(etcd.tryJoin({ hostname: "cp3", address: "10.0.0.3" }), false);
  etcd.removeMember(etcd.member("cp3")!.id);
  assert.equal(etcd.tryJoin({ hostname: "cp3", address: "10.0.0.3" }), true, "joins once its old member is gone");
  for (const h of ["cp1", "cp2", "cp3"]) etcd.wipe(h);
  assert.equal(etcd.bootstrapped, false);
  assert.deepEqual(etcd.dump(), []);
  assert.throws(
    () => etcd.bootstrap({ hostname: "cp2", address: "10.0.0.2" }, { skipHashCheck: false }),
    /no etcd recovery snapshot/,
  );
  etcd.upload("cp2", snap);
  etcd.bootstrap({ hostname: "cp2", address: "10.0.0.2" }, { skipHashCheck: false });
  assert.deepEqual(etcd.dump(), before);
  assert.deepEqual(
    etcd.memberList().map((m) => m.hostname),
    ["cp2"],
  );
  assert.throws(() => etcd.upload("cp2", snap), /not ready for recovery/);
});

test("forfeit leadership moves it to another healthy member; defrag gives the garbage back", () => {
  const { etcd } = cluster();
  const leader = etcd.leader()!.hostname;
  const next = etcd.forfeitLeadership(leader);
  assert.notEqual(next, leader);
  assert.equal(etcd.forfeitLeadership(leader), "", "not the leader any more");
  for (let i = 0; i < 100; i++) etcd.put("/k", "v".repeat(100));
  const grown = etcd.dbSize("cp1");
  etcd.defragment("cp1");
  assert.ok(etcd.dbSize("cp1").size < grown.size);
  assert.equal(etcd.dbSize("cp1").size, etcd.dbSize("cp1").inUse);
});
