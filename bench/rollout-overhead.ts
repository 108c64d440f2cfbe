// Benchmark (not a test): orchestration overhead of a rollout over the waits Talos itself imposes.
// 3 control planes + 2 workers upgrade one patch release at simulator time scale 1, where a node's upgrade takes
// 0.1 s (stop services) + 2 s (reboot) + 0.5 s (boot) — the mandatory part. Everything else is talform's: checks,
// drains, verification, polling.
// Run: TALFORM_LOOPBACK_ONLY=1 node --import tsx bench/rollout-overhead.ts
import { startSimHarness } from "../src/rollout/test-support.js";
import type { NodeFixture } from "../src/plan/test-support.js";

const nodes: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.68.1", controlPlane: true },
  { hostname: "cp2", address: "127.0.68.2", controlPlane: true },
  { hostname: "cp3", address: "127.0.68.3", controlPlane: true },
  { hostname: "w1", address: "127.0.68.11", controlPlane: false },
  { hostname: "w2", address: "127.0.68.12", controlPlane: false },
];
const h = await startSimHarness(
  { endpoint: "https://127.0.68.100:6443", talosVersion: "v1.13.8", kubernetesVersion: "1.36.3", nodes },
  { timeScale: 1 },
);
try {
  const d0 = await h.render(nodes);
  const r0 = await h.apply(await h.plan(d0), d0, { pollMs: 50, rebootTimeoutMs: 60_000, healthTimeoutMs: 60_000 });
  if (!r0.ok) throw new Error(r0.error);
  const d1 = await h.render(nodes, { talosVersion: "v1.13.9" });
  const plan = await h.plan(d1);
  const t = performance.now();
  const r = await h.apply(plan, d1, { pollMs: 50, rebootTimeoutMs: 60_000, healthTimeoutMs: 60_000 });
  const wall = performance.now() - t;
  if (!r.ok) throw new Error(r.error);
  const mandatory = nodes.length * (100 + 2000 + 500);
  console.log(
    JSON.stringify({
      nodes: nodes.length,
      rolloutMs: Math.round(wall),
      mandatoryMs: mandatory,
      overheadPct: Math.round((wall / mandatory - 1) * 1000) / 10,
    }),
  );
} finally {
  await h.stop();
}
