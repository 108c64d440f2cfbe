import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { NodeFixture } from "../plan/test-support.js";
import { actionsByNode, startSimHarness, type SimHarness } from "./test-support.js";

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
const FIXTURE = { endpoint: "https://127.0.61.100:6443", talosVersion: "v1.12.11", kubernetesVersion: "1.35.4", nodes: NODES };

let h: SimHarness;
before(async () => {
  h = await startSimHarness(FIXTURE, { schematics: { [GPU2]: [NVIDIA, TOOLKIT] } });
});
after(async () => {
  await h?.stop();
});

/** Plans, applies, checks the rollout succeeded, and that a re-plan finds nothing to do. */
async function converge(nodes: NodeFixture[], over = {}) {
  const desired = await h.render(nodes, over);
  const plan = await h.plan(desired);
  assert.deepEqual(plan.errors, []);
  h.events.length = 0;
  const r = await h.apply(plan, desired);
  assert.equal(r.ok, true, `${r.error ?? ""}\n${h.events.map((e) => JSON.stringify(e)).join("\n")}`);
  const again = await h.plan(desired);
  assert.deepEqual(actionsByNode(again), {}, "re-plan after apply is not empty");
  return { plan, desired };
}

const rebooted = () => h.events.filter((e) => e.type === "step-done" && /upgrade|reboot|install/.test(e.label)).map((e) => (e as { node: string }).node);

test("fresh install from maintenance: every node installed, etcd bootstrapped once, re-plan empty", async () => {
  const { plan } = await converge(NODES);
  assert.deepEqual(actionsByNode(plan), { cp1: ["install", "bootstrap"], cp2: ["install"], cp3: ["install"], w1: ["install"], w2: ["install"], gpu1: ["install"] });
  assert.deepEqual(h.fleet.etcd().members.sort(), ["cp1", "cp2", "cp3"]);
});

test("a label change → apply-config on that node only, without a reboot", async () => {
  const boots = Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.bootId]));
  const { plan } = await converge(NODES.map((n) => (n.hostname === "w1" ? { ...n, labels: { role: "db" } } : n)));
  assert.deepEqual(actionsByNode(plan), { w1: ["apply-config"] });
  assert.deepEqual(Object.fromEntries(h.fleet.nodes.map((n) => [n.hostname, n.bootId])), boots, "no node rebooted");
  assert.match(h.fleet.node("w1").config!.text, /role: "?db"?/);
});
