import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { StalePlanError } from "./executor.js";
import {
  actionsByNode,
  converge,
  labelledNodes,
  startInstalledHarness,
  threeAndTwo,
  watchInvariants,
  type SimHarness,
} from "./test-support.js";

// Safety properties under injected faults, on 3 control planes + 2 workers (addresses 127.0.62.x).
const FIXTURE = threeAndTwo(62);
const NODES = FIXTURE.nodes;
const FAST = { rebootTimeoutMs: 1500, healthTimeoutMs: 1500 };

let h: SimHarness;
before(async () => {
  h = await startInstalledHarness(FIXTURE);
});
after(async () => {
  await h?.stop();
});

const versions = () => Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.talosVersion]));
const configs = () => Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.config?.text]));
const labelled = (role: string) => labelledNodes(NODES, role);

test("a stale plan is refused: a node changed, or the inputs changed, since planning", async () => {
  const desired = await h.render(labelled("a"));
  const plan = await h.plan(desired);
  const w2 = h.access.secure("127.0.62.12");
  const before = await w2.bootId("127.0.62.12");
  await w2.reboot(undefined, ["127.0.62.12"]);
  await w2.waitForReboot("127.0.62.12", before, { pollMs: 5, timeoutMs: 5000 });
  await assert.rejects(
    h.apply(plan, desired),
    (e: unknown) => e instanceof StalePlanError && /w2: bootId was/.test(e.message),
  );
  const other = await h.render(labelled("b"));
  await assert.rejects(
    h.apply(await h.plan(desired), other),
    (e: unknown) => e instanceof StalePlanError && /configuration .* changed since planning/.test(e.message),
  );
  await converge(h, desired);
});

test("apply-reject stops the rollout at that node; later nodes stay untouched; --resume finishes the same plan", async () => {
  const desired = await h.render(labelled("c"));
  const plan = await h.plan(desired);
  assert.equal(Object.keys(actionsByNode(plan)).length, 5);
  const before = configs();
  h.fleet.fault("cp2", "apply-reject");
  const r = await h.apply(plan, desired, FAST);
  assert.equal(r.ok, false);
  assert.equal(r.failedNode, "cp2");
  assert.match(r.error!, /rejected/);
  const now = configs();
  assert.notEqual(now["cp1"], before["cp1"]);
  for (const n of ["cp2", "cp3", "w1", "w2"]) assert.equal(now[n], before[n], `${n} was touched`);
  h.fleet.fault("cp2", "clear");
  const resumed = await h.apply(plan, desired, { ...FAST, resume: true });
  assert.equal(resumed.ok, true, resumed.error);
  assert.ok(
    h.events.some((e) => e.type === "step-skip" && e.step === "cp1/1-apply-config"),
    "cp1's finished apply was redone",
  );
  assert.deepEqual(actionsByNode(await h.plan(desired)), {});
});

test("an unhealthy etcd member stops the rollout before the first control plane is touched", async () => {
  const desired = await h.render(labelled("c"), { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  h.fleet.fault("cp3", "etcd-unhealthy");
  const r = await h.apply(plan, desired, FAST);
  h.fleet.fault("cp3", "clear");
  assert.equal(r.ok, false);
  assert.equal(r.failedNode, "cp1");
  assert.match(r.error!, /etcd/);
  assert.deepEqual(new Set(Object.values(versions())), new Set(["v1.13.8"]));
});

test("a hung reboot fails that control plane; no second control plane goes down, quorum holds, nothing proceeds", async () => {
  const desired = await h.render(labelled("c"), { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  h.fleet.fault("cp2", "reboot-hang");
  const inv = watchInvariants(h.fleet);
  const r = await h.apply(plan, desired, FAST);
  assert.equal(r.ok, false);
  assert.equal(r.failedNode, "cp2");
  assert.match(r.error!, /timed out waiting for the node to reboot/);
  assert.deepEqual(versions(), { cp1: "v1.13.9", cp2: "v1.13.8", cp3: "v1.13.8", w1: "v1.13.8", w2: "v1.13.8" });
  h.fleet.fault("cp2", "clear"); // the hung reboot comes back with the new version
  const resumed = await h.apply(plan, desired, { ...FAST, resume: true });
  inv.stop();
  assert.equal(resumed.ok, true, resumed.error);
  assert.equal(inv.maxControlPlanesDown, 1);
  assert.deepEqual(inv.quorumLost, []);
  assert.deepEqual(new Set(Object.values(versions())), new Set(["v1.13.9"]));
});

test("a silent A/B rollback fails the upgrade; the other worker is not touched", async () => {
  const desired = await h.render(
    NODES.map((n) => ({ ...n, labels: { role: "c" }, ...(n.controlPlane ? {} : { talosVersion: "v1.13.8" }) })),
    { talosVersion: "v1.13.9" },
  );
  const plan = await h.plan(desired);
  assert.deepEqual(actionsByNode(plan), { w1: ["upgrade", "apply-config"], w2: ["upgrade", "apply-config"] });
  h.fleet.fault("w1", "rollback-on-upgrade");
  const r = await h.apply(plan, desired, FAST);
  h.fleet.fault("w1", "clear");
  assert.equal(r.ok, false);
  assert.equal(r.failedNode, "w1");
  assert.match(r.error!, /rolled back/);
  assert.equal(versions()["w2"], "v1.13.9");
});

test("a failing gate stops the rollout after that node", async () => {
  const desired = await h.render(labelled("g"), { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  const before = configs();
  const r = await h.apply(plan, desired, {
    ...FAST,
    gate: async (n) => {
      if (n.hostname === "cp1") throw new Error("gate said no");
    },
  });
  assert.equal(r.failedNode, "cp1");
  assert.match(r.error!, /gate said no/);
  for (const n of ["cp2", "cp3", "w1", "w2"]) assert.equal(configs()[n], before[n], `${n} was touched`);
});

test("the apply-config guard refuses a config that would silently change the installer, even in a hand-edited plan", async () => {
  const current = await h.render(labelled("g"), { talosVersion: "v1.13.9" });
  // A desired state whose config installs v1.13.8 while it claims the node stays on v1.13.9.
  const sneaky = {
    ...current,
    nodes: current.nodes.map((n) =>
      n.hostname === "w1"
        ? {
            ...n,
            configText: n.configText.replaceAll("installer:v1.13.9", "installer:v1.13.8"),
            installImage: n.installImage.replace("v1.13.9", "v1.13.8"),
          }
        : n,
    ),
  };
  const plan = await h.plan(sneaky);
  assert.deepEqual(
    plan.errors.map((e) => `${e.node}:${e.code}`),
    ["w1:installer-version"],
  );
  const before = configs()["w1"];
  const r = await h.apply({ ...plan, errors: [] }, sneaky, FAST);
  assert.equal(r.failedNode, "w1");
  assert.match(
    r.error!,
    /refusing to apply a config that installs .*v1\.13\.8 while the node runs v1\.13\.9: that is an upgrade/,
  );
  assert.equal(configs()["w1"], before);
});

test("an unreachable node is a plan error, and apply refuses a plan with errors", async () => {
  const desired = await h.render(labelled("d"), { talosVersion: "v1.13.9" });
  h.fleet.fault("w2", "unavailable=400");
  const plan = await h.plan(desired);
  assert.deepEqual(
    plan.errors.map((e) => `${e.node}:${e.code}`),
    ["w2:unreachable"],
  );
  await assert.rejects(h.apply(plan, desired), /cannot be applied/);
  h.fleet.fault("w2", "clear");
});

test("the etcd model the invariants rely on does report a lost quorum", () => {
  assert.equal(h.fleet.etcd().quorum, true);
  h.fleet.fault("cp2", "etcd-unhealthy");
  assert.equal(h.fleet.etcd().quorum, true, "2 of 3 healthy is quorum");
  h.fleet.fault("cp3", "etcd-unhealthy");
  const lost = h.fleet.etcd();
  h.fleet.fault("cp2", "clear");
  h.fleet.fault("cp3", "clear");
  assert.deepEqual({ quorum: lost.quorum, healthy: lost.healthy }, { quorum: false, healthy: ["cp1"] });
});
