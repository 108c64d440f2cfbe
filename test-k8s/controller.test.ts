import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CoordinationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { startSimTalosCluster, type SimTalosCluster } from "../src/controller/test-fleet.js";
import { SimImageFactory } from "../src/sim/index.js";
import { APPROVE_ANNOTATION, type TalosClusterStatus } from "../src/controller/types.js";
import type { RolloutJournal } from "../src/rollout/index.js";
import { startApiServer, type ApiServer } from "./support/apiserver.js";
import {
  CONTROLLER_IDENTITY,
  CONTROLLER_SA,
  clusterApi,
  controllerNamespace,
  installCrd,
  runController,
  until,
} from "./support/kube.js";

// The controller (library, @kubernetes/client-node adapter) against a real kube-apiserver with deploy/rbac.yaml's Role
// as its only rights, reconciling simulated Talos fleets (127.0.8x.y; one prefix per scenario). Every scenario has a
// namespace of its own, so its TalosClusters and lease are its own. The CLI scenario is in cli.test.ts.

let api: ApiServer;
let admin: KubeConfig;
let asController: KubeConfig;

before(async () => {
  api = await startApiServer({ [CONTROLLER_SA]: CONTROLLER_IDENTITY });
  admin = api.kubeConfig();
  asController = api.kubeConfig(CONTROLLER_SA);
  await installCrd(admin);
});
after(() => api?.stop());

const sims: SimTalosCluster[] = [];
after(() => Promise.all(sims.map((s) => s.stop())));
async function sim(name: string, prefix: string, factory?: SimImageFactory) {
  const s = await startSimTalosCluster(name, prefix, { workers: 1, ...(factory ? { factory } : {}) });
  sims.push(s);
  return s;
}

const phase = (st: TalosClusterStatus | undefined) => st?.phase;
const stages = (s: SimTalosCluster) => s.fleet.nodes.map((n) => n.stage);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("manual approval: the plan waits in status until the annotation carries its digest; then installed, bootstrapped, Ready", async () => {
  await controllerNamespace(admin, "approval");
  const s = await sim("lab", "127.0.81");
  const tcs = clusterApi(admin, "approval");
  await tcs.create(s, { approval: "manual" });
  const c = runController(asController, "approval", s.env);
  try {
    const waiting = await until("AwaitingApproval", async () => {
      const st = await tcs.status("lab");
      return phase(st) === "AwaitingApproval" && st;
    });
    assert.deepEqual(
      waiting.lastPlan!.nodes.map((n) => [n.node, n.actions]),
      [
        ["lab-cp1", ["install", "bootstrap"]],
        ["lab-w1", ["install"]],
      ],
    );
    // A wrong digest approves nothing; several resyncs later nothing is touched.
    await tcs.patch("lab", { metadata: { annotations: { [APPROVE_ANNOTATION]: "sha256:0000" } } });
    await sleep(2500);
    assert.equal(phase(await tcs.status("lab")), "AwaitingApproval");
    assert.deepEqual(stages(s), ["maintenance", "maintenance"]);
    assert.equal(await tcs.configMap("lab-talform-state"), undefined);

    await tcs.patch("lab", { metadata: { annotations: { [APPROVE_ANNOTATION]: waiting.lastPlan!.digest } } });
    const ready = await until("Ready", async () => {
      const st = await tcs.status("lab");
      return phase(st) === "Ready" && st;
    });
    assert.equal(ready.nodes, 2);
    assert.equal(ready.talosVersion, "v1.13.9");
    assert.equal(ready.kubernetesVersion, "v1.36.3");
    assert.deepEqual(
      ready.conditions!.map((x) => `${x.type}=${x.status}`),
      ["Planned=True", "Progressing=False", "Ready=True", "Degraded=False"],
    );
    assert.ok(
      s.fleet.nodes.every((n) => n.stage === "running"),
      stages(s).join(","),
    );
    const reasons = (await tcs.events("lab")).map((e) => e.reason);
    for (const r of ["Planned", "RolloutStarted", "StepDone", "RolloutFinished"]) assert.ok(reasons.includes(r), r);
  } finally {
    await c.stop();
  }
});

test("killed between steps, a second controller resumes from the journal without redoing a step", async () => {
  await controllerNamespace(admin, "resume");
  const s = await sim("kill", "127.0.82");
  const tcs = clusterApi(admin, "resume");
  await tcs.create(s);
  let atKill: RolloutJournal | undefined;
  const a = runController(asController, "resume", s.env, {
    identity: "controller-a",
    afterStep: async (_cluster, stepId) => {
      if (atKill || !stepId.endsWith("1-install")) return;
      const text = (await tcs.configMap("kill-talform-state"))?.["journal.json"];
      atKill = text ? (JSON.parse(text) as RolloutJournal) : undefined;
      a.kill();
    },
  });
  await until("controller-a to be killed after an install step", async () => atKill);
  const done = Object.entries(atKill!.run!.steps).filter(([, st]) => st.status === "done");
  assert.ok(done.length > 0);
  const b = runController(asController, "resume", s.env, { identity: "controller-b" });
  try {
    await until("Ready", async () => phase(await tcs.status("kill")) === "Ready", 90_000);
    const journal = JSON.parse((await tcs.configMap("kill-talform-state"))!["journal.json"]!) as RolloutJournal;
    for (const [id, st] of done) assert.equal(journal.run!.steps[id]!.at, st.at, `step ${id} was done again`);
    const events = await tcs.events("kill");
    const byB = events.filter((e) => e.instance === "controller-b");
    assert.ok(
      byB.some((e) => e.reason === "RolloutResumed"),
      byB.map((e) => e.reason).join(","),
    );
    const startedByB = byB.filter((e) => e.reason === "StepStarted").map((e) => e.message.split(":")[0]);
    for (const [id] of done) assert.ok(!startedByB.includes(id), `controller-b started ${id} again`);
    // controller-a was killed: nothing it did after the kill reached the API server.
    assert.ok(!events.some((e) => e.instance === "controller-a" && e.reason === "RolloutFinished"));
  } finally {
    await b.stop();
  }
});

test("two controllers: only the lease holder acts; the other takes over when it stops", async () => {
  await controllerNamespace(admin, "lease");
  const s = await sim("pair", "127.0.83");
  const tcs = clusterApi(admin, "lease");
  await tcs.create(s);
  const a = runController(asController, "lease", s.env, { identity: "controller-a" });
  const b = runController(asController, "lease", s.env, { identity: "controller-b" });
  try {
    await until("Ready", async () => phase(await tcs.status("pair")) === "Ready", 90_000);
    assert.notEqual(a.isLeader(), b.isLeader(), "exactly one replica leads");
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    const leaderName = a.isLeader() ? "controller-a" : "controller-b";
    const lease = await admin.makeApiClient(CoordinationV1Api).readNamespacedLease({
      namespace: "lease",
      name: "talform-controller",
    });
    assert.equal(lease.spec?.holderIdentity, leaderName);
    const instances = new Set((await tcs.events("pair")).map((e) => e.instance));
    assert.deepEqual([...instances], [leaderName]);
    const reconciles = async (c: typeof a) =>
      (await c.metrics.registry.getSingleMetric("talform_controller_reconciles_total")!.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
    assert.equal(await reconciles(other), 0);
    assert.ok((await reconciles(leader)) > 0);
    await leader.stop(); // graceful: releases the lease, the other need not wait for it to expire
    await until("the other replica to lead", async () => other.isLeader(), 10_000);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test("a closed maintenance window holds the rollout; opened, it proceeds", async () => {
  await controllerNamespace(admin, "window");
  const s = await sim("win", "127.0.84");
  const tcs = clusterApi(admin, "window");
  // Opens daily at the hour twelve hours from now, for one hour: closed for the whole test.
  const hour = (new Date().getUTCHours() + 12) % 24;
  await tcs.create(s, { maintenanceWindows: [{ cron: `0 ${hour} * * *`, duration: "1h" }] });
  const c = runController(asController, "window", s.env);
  try {
    const st = await until("WaitingForWindow", async () => {
      const x = await tcs.status("win");
      return phase(x) === "WaitingForWindow" && x;
    });
    assert.ok(st.lastPlan!.changes > 0);
    await sleep(2500);
    assert.equal(phase(await tcs.status("win")), "WaitingForWindow");
    assert.deepEqual(stages(s), ["maintenance", "maintenance"]);
    await tcs.patch("win", { spec: { rollout: { maintenanceWindows: [{ cron: "* * * * *", duration: "1h" }] } } });
    await until("Ready", async () => phase(await tcs.status("win")) === "Ready", 90_000);
  } finally {
    await c.stop();
  }
});

test("a bad spec: Degraded with the located finding, nothing touched; fixed, it rolls out with nothing stale in status; the CRD schema rejects a mistyped policy", async () => {
  await controllerNamespace(admin, "badspec");
  const s = await sim("bad", "127.0.85");
  const tcs = clusterApi(admin, "badspec");
  const talconfig = structuredClone(s.talconfig) as { nodes: Record<string, unknown>[] };
  talconfig.nodes[1]!["hostname"] = talconfig.nodes[0]!["hostname"]; // two nodes with one name
  talconfig.nodes[0]!["instalDisk"] = "/dev/sda"; // a misspelled key: kept by the CRD, reported by talform
  await tcs.create(s, {}, talconfig);
  const c = runController(asController, "badspec", s.env);
  try {
    const st = await until("Degraded", async () => {
      const x = await tcs.status("bad");
      return phase(x) === "Degraded" && x;
    });
    const degraded = st.conditions!.find((x) => x.type === "Degraded")!;
    assert.equal(degraded.status, "True");
    assert.equal(degraded.reason, "InvalidSpec", degraded.message);
    const findings = degraded.message.split("; ");
    assert.equal(findings.length, 2, degraded.message);
    assert.ok(
      findings.some((f) => /^spec\.talconfig\.inline\.nodes\[0\]\.instalDisk.*\[TF1003\]$/.test(f)),
      degraded.message,
    );
    assert.ok(
      findings.some((f) =>
        /^spec\.talconfig\.inline\.nodes\[1\]\.hostname .*is also used by nodes\[0\].*\[TF1007\]$/.test(f),
      ),
      degraded.message,
    );
    assert.deepEqual(stages(s), ["maintenance", "maintenance"]);
    assert.equal(await tcs.configMap("bad-talform-state"), undefined);
    const warnings = (await tcs.events("bad")).filter((e) => e.reason === "InvalidSpec");
    assert.equal(warnings.length, 1);

    // Names fixed, one address unreachable: the plan's errors are published, nothing is applied.
    const unreachable = structuredClone(s.talconfig) as { nodes: { ipAddress: string }[] };
    unreachable.nodes[1]!.ipAddress = "10.0.0.1"; // not loopback: TALFORM_LOOPBACK_ONLY refuses to connect
    await tcs.patch("bad", { spec: { talconfig: { inline: unreachable } } });
    const planErrors = await until("the plan's errors", async () => {
      const x = await tcs.status("bad");
      return x?.conditions?.find((y) => y.type === "Degraded")?.reason === "PlanErrors" && x;
    });
    assert.match(planErrors.lastPlan!.errors!.join("\n"), /bad-w1 \(10\.0\.0\.1\) could not be observed/);
    assert.deepEqual(stages(s), ["maintenance", "maintenance"]);

    // Fixed: it rolls out, and nothing of the earlier plan (its errors) lingers in status.
    await tcs.patch("bad", { spec: { talconfig: { inline: s.talconfig } } });
    const ready = await until("Ready", async () => {
      const x = await tcs.status("bad");
      return phase(x) === "Ready" && x;
    });
    assert.equal(ready.lastPlan!.errors, undefined);
    assert.equal(ready.conditions!.find((y) => y.type === "Degraded")!.status, "False");
  } finally {
    await c.stop();
  }
  // The real API server validates against the CRD's structural schema before the controller ever sees it.
  await assert.rejects(
    tcs.patch("bad", { spec: { rollout: { maxParallel: "two" } } }),
    (e: Error & { code?: number }) => e.code === 422 && /maxParallel/.test(e.message),
  );
});

test("two TalosClusters reconcile independently: one waits for approval while the other rolls out", async () => {
  await controllerNamespace(admin, "pair");
  const factory = new SimImageFactory();
  await factory.start("127.0.0.1", 0);
  after(() => factory.stop());
  const held = await sim("held", "127.0.86", factory);
  const free = await sim("free", "127.0.87", factory);
  const tcs = clusterApi(admin, "pair");
  await tcs.create(held, { approval: "manual" });
  await tcs.create(free);
  const c = runController(asController, "pair", free.env);
  try {
    await until("free to be Ready", async () => phase(await tcs.status("free")) === "Ready", 90_000);
    assert.equal(phase(await tcs.status("held")), "AwaitingApproval");
    assert.deepEqual(stages(held), ["maintenance", "maintenance"]);
    const events = await tcs.events("held");
    assert.ok(!events.some((e) => e.reason.startsWith("Rollout")), events.map((e) => e.reason).join(","));
  } finally {
    await c.stop();
  }
});
