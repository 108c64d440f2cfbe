import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { NodeFixture } from "../plan/test-support.js";
import { actionsByNode, startSimHarness, watchInvariants, type SimHarness } from "./test-support.js";

// End-to-end on a simulated 3 control planes + 2 workers + 1 GPU worker (addresses 127.0.61.x, API 127.0.61.100).
const GPU = "c".repeat(64);
const GPU2 = "d".repeat(64);
const NVIDIA = "siderolabs/nonfree-kmod-nvidia-lts";
const TOOLKIT = "siderolabs/nvidia-container-toolkit-lts";
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.61.1", controlPlane: true },
  { hostname: "cp2", address: "127.0.61.2", controlPlane: true },
  { hostname: "cp3", address: "127.0.61.3", controlPlane: true },
  { hostname: "w1", address: "127.0.61.11", controlPlane: false, labels: { role: "general" } },
  { hostname: "w2", address: "127.0.61.12", controlPlane: false },
  { hostname: "gpu1", address: "127.0.61.21", controlPlane: false, schematicId: GPU, extensions: [NVIDIA] },
];
const FIXTURE = {
  endpoint: "https://127.0.61.100:6443",
  talosVersion: "v1.12.11",
  kubernetesVersion: "1.35.4",
  nodes: NODES,
};

let h: SimHarness;
before(async () => {
  h = await startSimHarness(FIXTURE, { schematics: { [GPU2]: [NVIDIA, TOOLKIT] } });
});
after(async () => {
  await h?.stop();
});

/** Plans, applies, checks the rollout succeeded, and that a re-plan finds nothing to do. */
async function converge(nodes: NodeFixture[], over = {}, applyOpts = {}) {
  const desired = await h.render(nodes, over);
  const plan = await h.plan(desired);
  assert.deepEqual(plan.errors, []);
  h.events.length = 0;
  const r = await h.apply(plan, desired, applyOpts);
  assert.equal(r.ok, true, `${r.error ?? ""}\n${h.events.map((e) => JSON.stringify(e)).join("\n")}`);
  const again = await h.plan(desired);
  assert.deepEqual(actionsByNode(again), {}, "re-plan after apply is not empty");
  return { plan, desired };
}

/** Nodes in the order their first action started. */
const actionOrder = () => [
  ...new Set(h.events.flatMap((e) => (e.type === "step-start" && /\/\d+-/.test(e.step) ? [e.node] : []))),
];
const bootIds = () => Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.bootId]));

test("fresh install from maintenance: every node installed, etcd bootstrapped once, re-plan empty", async () => {
  const { plan } = await converge(NODES);
  assert.deepEqual(actionsByNode(plan), {
    cp1: ["install", "bootstrap"],
    cp2: ["install"],
    cp3: ["install"],
    w1: ["install"],
    w2: ["install"],
    gpu1: ["install"],
  });
  assert.deepEqual([...h.fleet.etcd().members].sort(), ["cp1", "cp2", "cp3"]);
});

test("a label change → apply-config on that node only, without a reboot", async () => {
  const boots = Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.bootId]));
  NODES[3] = { ...NODES[3]!, labels: { role: "db" } };
  const { plan } = await converge(NODES);
  assert.deepEqual(actionsByNode(plan), { w1: ["apply-config"] });
  assert.deepEqual(Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.bootId])), boots, "no node rebooted");
  assert.match(h.fleet.node("w1").config!.text, /role: "?db"?/);
});

test("an extension added to the GPU worker → upgrade of that node only, extensions verified", async () => {
  const boots = bootIds();
  NODES[5] = { ...NODES[5]!, schematicId: GPU2, extensions: [NVIDIA, TOOLKIT] };
  const { plan } = await converge(NODES);
  // The upgrade installs the new schematic; the config then records the new installer image (applied live).
  assert.deepEqual(actionsByNode(plan), { gpu1: ["upgrade", "apply-config"] });
  const record = plan.nodes.find((n) => n.hostname === "gpu1")!.actions[1]!;
  assert.equal(record.type === "apply-config" && record.mode, "no-reboot");
  assert.deepEqual([...h.fleet.node("gpu1").extensions].sort(), [NVIDIA, TOOLKIT]);
  const now = bootIds();
  assert.deepEqual(
    Object.keys(now).filter((k) => now[k] !== boots[k]),
    ["gpu1"],
  );
});

test("a Talos minor bump → control planes one by one, then workers; quorum held at every step", async () => {
  const inv = watchInvariants(h.fleet);
  const { plan } = await converge(NODES, { talosVersion: "v1.13.9" });
  inv.stop();
  for (const n of plan.nodes)
    assert.deepEqual(
      n.actions.map((a) => a.type),
      ["upgrade", "apply-config"],
      n.hostname,
    );
  assert.deepEqual(actionOrder(), ["cp1", "cp2", "cp3", "w1", "w2", "gpu1"]);
  assert.equal(inv.maxControlPlanesDown, 1);
  assert.deepEqual(inv.quorumLost, []);
  assert.ok(h.fleet.nodes.every((n) => n.talosVersion === "v1.13.9"));
  const drained = h.events
    .filter((e) => e.type === "step-done" && e.label === "cordon and drain")
    .map((e) => (e as { node: string }).node);
  assert.deepEqual(drained, ["cp1", "cp2", "cp3", "w1", "w2", "gpu1"]);
  assert.ok(
    (await (await h.access.kube())!.nodes()).every((n) => !n.unschedulable && n.ready),
    "a node stayed cordoned or NotReady",
  );
  assert.deepEqual([...h.fleet.node("gpu1").extensions].sort(), [NVIDIA, TOOLKIT]);
});

test("a Kubernetes bump → one cluster-level upgrade-k8s, no reboots; kubelets report the new version", async () => {
  const boots = bootIds();
  const { plan } = await converge(NODES, { talosVersion: "v1.13.9", kubernetesVersion: "1.36.3" }, { maxParallel: 3 });
  assert.deepEqual(actionsByNode(plan), {}, "no per-node actions");
  assert.deepEqual([plan.kubernetes?.from, plan.kubernetes?.to], ["1.35.4", "1.36.3"]);
  // The kubelets one node at a time, control planes first (talosctl upgrade-k8s's order), never in parallel.
  const kubelets = h.events.flatMap((e) => (e.type === "step-start" && /\/kubelet\//.test(e.step) ? [e.node] : []));
  assert.deepEqual(kubelets, ["cp1", "cp2", "cp3", "w1", "w2", "gpu1"]);
  assert.deepEqual(bootIds(), boots);
  const kube = (await h.access.kube())!;
  assert.deepEqual([...new Set((await kube.nodes()).map((n) => n.kubeletVersion))], ["v1.36.3"]);
});
