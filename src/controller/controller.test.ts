import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { controllerMetrics } from "./metrics.js";
import { startController, type ControllerOptions } from "./controller.js";
import { memoryKube, type MemoryKube } from "./test-support.js";
import { startSimTalosCluster, type SimTalosCluster } from "./test-fleet.js";
import { APPROVE_ANNOTATION } from "./types.js";

// The reconcile loop in-process against an in-memory Kubernetes and a simulated fleet (127.0.71.x). The same
// scenarios run against a real kube-apiserver in test-k8s/.

const NS = "talform";

function seed(kube: MemoryKube, sim: SimTalosCluster, rollout = {}) {
  kube.secrets.set(`${NS}/${sim.name}-secrets`, { "talsecret.sops.yaml": sim.secretsText });
  kube.secrets.set(`${NS}/${sim.name}-age`, { "age.agekey": sim.ageKey });
  kube.clusters.push(sim.resource(NS, rollout));
}

function controller(kube: MemoryKube, sim: SimTalosCluster, over: Partial<ControllerOptions> = {}) {
  return startController({
    kube,
    namespace: NS,
    identity: "test-a",
    metrics: controllerMetrics(),
    env: sim.env,
    now: () => new Date(),
    randomHex: (n) => randomBytes(n).toString("hex"),
    log: () => {},
    tickMs: 50,
    resyncMs: 300,
    leaseDurationSeconds: 2,
    pollMs: 5,
    ...over,
  });
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a maintenance-mode fleet gets installed, bootstrapped, Ready; manual approval holds until annotated", async () => {
  const sim = await startSimTalosCluster("lab", "127.0.71", { workers: 1 });
  const kube = memoryKube();
  seed(kube, sim, { approval: "manual" });
  const c = controller(kube, sim);
  try {
    await until("awaiting approval", () => kube.status("lab")?.phase === "AwaitingApproval");
    const digest = kube.status("lab")!.lastPlan!.digest;
    assert.deepEqual(
      kube.status("lab")!.lastPlan!.nodes.map((n) => [n.node, n.actions]),
      [
        ["lab-cp1", ["install", "bootstrap"]],
        ["lab-w1", ["install"]],
      ],
    );
    await new Promise((r) => setTimeout(r, 500)); // several reconciles later: still nothing touched
    assert.equal(kube.status("lab")!.phase, "AwaitingApproval");
    assert.ok(sim.fleet.nodes.every((n) => n.stage === "maintenance"));
    kube.clusters[0] = {
      ...kube.clusters[0]!,
      metadata: { ...kube.clusters[0]!.metadata, annotations: { [APPROVE_ANNOTATION]: digest } },
    };
    await until("Ready", () => kube.status("lab")?.phase === "Ready", 60_000);
    const st = kube.status("lab")!;
    assert.equal(st.talosVersion, "v1.13.9");
    assert.equal(st.kubernetesVersion, "v1.36.3");
    assert.equal(st.nodes, 2);
    assert.deepEqual(
      st.conditions!.map((x) => `${x.type}=${x.status}`),
      ["Planned=True", "Progressing=False", "Ready=True", "Degraded=False"],
    );
    const reasons = kube.events.map((e) => e.reason);
    assert.ok(reasons.includes("RolloutStarted") && reasons.includes("RolloutFinished"), reasons.join(","));
    assert.ok(kube.events.some((e) => e.reason === "StepDone" && /lab-cp1\/2-bootstrap/.test(e.message)));
  } finally {
    await c.stop();
    await sim.stop();
  }
});
