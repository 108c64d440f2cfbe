import { test } from "node:test";
import assert from "node:assert/strict";
import { leaderElector } from "./lease.js";
import { memoryKube } from "./test-support.js";

test("leader election: one holder; the other takes over only after the lease expired or was released", async () => {
  const kube = memoryKube();
  let t = 1_000_000;
  const now = () => new Date(t);
  const mk = (identity: string) =>
    leaderElector({ kube, namespace: "ns", name: "talform-controller", identity, leaseDurationSeconds: 10, now });
  const a = mk("a");
  const b = mk("b");
  const table: { at: number; who: typeof a; want: boolean; holder: string; note: string }[] = [
    { at: 0, who: a, want: true, holder: "a", note: "a creates the lease" },
    { at: 1000, who: b, want: false, holder: "a", note: "b sees a fresh lease" },
    { at: 5000, who: a, want: true, holder: "a", note: "a renews" },
    { at: 14_000, who: b, want: false, holder: "a", note: "renewed 9 s ago: still a's" },
    { at: 26_000, who: b, want: true, holder: "b", note: "a stopped renewing 21 s ago: b takes it" },
    { at: 27_000, who: a, want: false, holder: "b", note: "a lost it" },
  ];
  for (const row of table) {
    t = 1_000_000 + row.at;
    assert.equal(await row.who.tick(), row.want, row.note);
    assert.equal(kube.leases.get("ns/talform-controller")?.holder, row.holder, row.note);
  }
  assert.equal(a.isLeader(), false);
  assert.equal(b.isLeader(), true);
  assert.equal(kube.leases.get("ns/talform-controller")?.transitions, 1);
  // b's own clock: past its lease duration without a renewal it stops acting, whatever the server says.
  t += 11_000;
  assert.equal(b.isLeader(), false);
  assert.equal(await b.tick(), true);
  await b.release();
  assert.equal(kube.leases.get("ns/talform-controller")?.holder, undefined);
  assert.equal(await a.tick(), true, "a released lease is free at once");
});

test("leader election: of two replicas racing with the same read, exactly one wins", async () => {
  const kube = memoryKube();
  const now = () => new Date(5_000_000);
  const opts = { kube, namespace: "ns", name: "l", leaseDurationSeconds: 10, now };
  const results = await Promise.all([
    leaderElector({ ...opts, identity: "a" }).tick(),
    leaderElector({ ...opts, identity: "b" }).tick(),
  ]);
  assert.deepEqual(results.sort(), [false, true]);
});
