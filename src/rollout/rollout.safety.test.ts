import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { NodeFixture } from "../plan/test-support.js";
import type { DesiredCluster } from "../plan/index.js";
import { StalePlanError } from "./executor.js";
import { actionsByNode, startSimHarness, watchInvariants, type SimHarness } from "./test-support.js";

// Safety properties under injected faults, on 3 control planes + 2 workers (addresses 127.0.62.x).
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.62.1", controlPlane: true },
  { hostname: "cp2", address: "127.0.62.2", controlPlane: true },
  { hostname: "cp3", address: "127.0.62.3", controlPlane: true },
  { hostname: "w1", address: "127.0.62.11", controlPlane: false },
  { hostname: "w2", address: "127.0.62.12", controlPlane: false },
];
const FIXTURE = {
  endpoint: "https://127.0.62.100:6443",
  talosVersion: "v1.13.8",
  kubernetesVersion: "1.36.3",
  nodes: NODES,
};
const FAST = { rebootTimeoutMs: 1500, healthTimeoutMs: 1500 };

let h: SimHarness;
before(async () => {
  h = await startSimHarness(FIXTURE);
  const d = await h.render(NODES);
  const r = await h.apply(await h.plan(d), d);
  assert.equal(r.ok, true, r.error);
});
after(async () => {
  await h?.stop();
});

const versions = () => Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.talosVersion]));
const configs = () => Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.config?.text]));
const labelled = (role: string) => NODES.map((n) => ({ ...n, labels: { role } }));

async function converge(desired: DesiredCluster): Promise<void> {
  const r = await h.apply(await h.plan(desired), desired);
  assert.equal(r.ok, true, r.error);
  assert.deepEqual(actionsByNode(await h.plan(desired)), {});
}

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
  await converge(desired);
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

test("killing apply at every step boundary and resuming reaches the same end state without redoing work", async () => {
  const { waitUntil } = await import("../sim/testing.js");
  await waitUntil(
    "w2 back",
    async () => (await h.plan(await h.render(labelled("d"), { talosVersion: "v1.13.9" }))).errors.length === 0,
    10_000,
  );
  // Every node moves to another patch release and gets a label: upgrade + apply-config with drains, checks and gates.
  const desired = await h.render(labelled("e"), { talosVersion: "v1.13.8" });
  const plan = await h.plan(desired);
  assert.equal(
    Object.values(actionsByNode(plan))
      .flat()
      .filter((a) => a === "upgrade").length,
    5,
  );
  const upgrades: string[] = [];
  const stopWatch = h.fleet.watch(
    (e) => (e.stage === "upgrading" || e.stage === "rebooting") && upgrades.push(e.node.hostname),
  );
  h.events.length = 0;
  let resume = false;
  let kills = 0;
  for (;;) {
    let done = 0;
    try {
      const r = await h.apply(plan, desired, {
        ...FAST,
        resume,
        gate: async () => undefined,
        afterStep: () => {
          if (++done === 1) throw new Error("killed");
        },
      });
      assert.equal(r.ok, true, r.error);
      break;
    } catch (e) {
      assert.equal((e as Error).message, "killed");
      kills++;
      resume = true;
    }
  }
  stopWatch();
  const starts = h.events.filter((e) => e.type === "step-start").map((e) => (e as { step: string }).step);
  assert.equal(kills, starts.length, "one kill after every step");
  assert.equal(new Set(starts).size, starts.length, "a finished step was run again");
  assert.deepEqual(
    upgrades.sort(),
    ["cp1", "cp2", "cp3", "w1", "w2"],
    "a node rebooted more than once (an upgrade was redone)",
  );
  assert.deepEqual(actionsByNode(await h.plan(desired)), {});
});

test("a config staged by hand is seen (persistent ≠ active) and replaced by apply, before any reboot could activate it", async () => {
  const { ApplyMode } = await import("../talosapi/index.js");
  // The release the previous test left the fleet on: converging only relabels (no upgrade round, ~8 s of this file).
  const desired = await h.render(labelled("g"), { talosVersion: "v1.13.8" });
  await converge(desired);
  const w2 = h.access.secure("127.0.62.12");
  const other = (await h.render(labelled("staged"), { talosVersion: "v1.13.8" })).nodes.find(
    (n) => n.hostname === "w2",
  )!.configText;
  const [r] = await w2.applyConfiguration(Buffer.from(other), { mode: ApplyMode.STAGED }, ["127.0.62.12"]);
  assert.equal(r?.error, undefined);
  const plan = await h.plan(desired);
  assert.deepEqual(actionsByNode(plan), { w2: ["apply-config"] });
  assert.match(plan.nodes.find((n) => n.hostname === "w2")!.actions[0]!.reason, /staged config/);
  await converge(desired);
  assert.equal(h.fleet.node("w2").stagedConfig, undefined);
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
