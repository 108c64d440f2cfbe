import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { NodeFixture } from "../plan/test-support.js";
import { startSimHarness, type SimHarness } from "./test-support.js";

// A Talos upgrade with the simulator's installer pull modelled (size / bandwidth): every node pulls its installer
// while the first node upgrades, and each node still checks its own pull before it is drained.
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.69.1", controlPlane: true },
  { hostname: "w1", address: "127.0.69.11", controlPlane: false },
  { hostname: "w2", address: "127.0.69.12", controlPlane: false },
];
const FIXTURE = { endpoint: "https://127.0.69.100:6443", talosVersion: "v1.13.8", kubernetesVersion: "1.36.3" };
// 200 s at time scale 0.005: a 1 s pull, long enough that every node's pull request arrives while cp1's runs.
const imagePull = { installerBytes: 200e6, bytesPerSecond: 1e6 };

let h: SimHarness;
before(async () => {
  h = await startSimHarness({ ...FIXTURE, nodes: NODES }, { imagePull });
  const d0 = await h.render(NODES);
  const r0 = await h.apply(await h.plan(d0), d0);
  assert.equal(r0.ok, true, r0.error);
});
after(async () => {
  await h?.stop();
});

test("upgrade: installers are pulled on every node at once, before the first node is drained", async () => {
  const desired = await h.render(NODES, { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  const image = plan.nodes
    .find((n) => n.hostname === "w2")!
    .actions.flatMap((a) => (a.type === "upgrade" ? [a.image] : []))[0]!;
  const seen: Record<string, string[]> = {};
  const r = await h.apply(plan, desired, {
    maxParallel: 1,
    afterStep: (id) => {
      if (id === "cp1/pre-pull") seen[id] = h.fleet.nodes.filter((n) => n.hasImage(image)).map((n) => n.hostname);
    },
  });
  assert.equal(r.ok, true, r.error);
  assert.deepEqual(seen, { "cp1/pre-pull": ["cp1", "w1", "w2"] });
  for (const n of h.fleet.nodes) assert.equal(n.talosVersion, "v1.13.9", n.hostname);
});

test("a node whose installer cannot be pulled fails at its pre-pull step, before it is drained", async () => {
  // A schematic the simulated image factory does not know: the node's pull fails (not found).
  const unknown = "e".repeat(64);
  const nodes = NODES.map((n) =>
    n.hostname === "w1" ? { ...n, schematicId: unknown, extensions: ["siderolabs/iscsi-tools"] } : n,
  );
  const desired = await h.render(nodes, { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  assert.deepEqual(plan.errors, []);
  h.events.length = 0;
  const r = await h.apply(plan, desired);
  assert.equal(r.ok, false, JSON.stringify(plan.nodes.map((n) => [n.hostname, n.actions])));
  assert.equal(r.failedNode, "w1");
  assert.match(r.error ?? "", new RegExp(`the node cannot pull .*${unknown}.*not found.*\\(nothing was drained\\)`));
  assert.equal(
    h.events.some((e) => e.type === "step-start" && e.step === "w1/drain"),
    false,
  );
});
