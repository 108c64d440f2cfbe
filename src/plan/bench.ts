// Benchmark (not a test): plan wall time and peak RSS over 200 simulated nodes.
// Run: TALFORM_LOOPBACK_ONLY=1 node --import tsx src/plan/bench.ts [nodes]
// The simulator runs in the same process, so the RSS includes 200 simulated nodes' TLS servers.
import { startSimHarness } from "../rollout/test-support.js";
import type { NodeFixture } from "./test-support.js";

const count = Number(process.argv[2] ?? 200);
const nodes: NodeFixture[] = Array.from({ length: count }, (_, i) => ({
  hostname: i < 3 ? `cp${i + 1}` : `w${i - 2}`,
  address: `127.0.${70 + Math.floor(i / 250)}.${(i % 250) + 1}`,
  controlPlane: i < 3,
}));
const h = await startSimHarness({ endpoint: "https://127.0.69.1:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.36.3", nodes }, { timeScale: 0.002 });
try {
  const desired = await h.render(nodes);
  let t = performance.now();
  const fresh = await h.plan(desired);
  const freshMs = performance.now() - t;
  t = performance.now();
  const r = await h.apply(fresh, desired, { maxParallel: 50, healthTimeoutMs: 60_000, rebootTimeoutMs: 60_000 });
  const installMs = performance.now() - t;
  if (!r.ok) throw new Error(r.error);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    const p = await h.plan(desired);
    runs.push(performance.now() - t);
    if (p.summary.changes !== 0) throw new Error("converged cluster planned changes");
  }
  const label = await h.render(nodes.map((n) => ({ ...n, labels: { bench: "1" } })));
  t = performance.now();
  const changed = await h.plan(label);
  const changedMs = performance.now() - t;
  console.log(JSON.stringify({
    nodes: count,
    planFreshMaintenanceMs: Math.round(freshMs),
    installAllMs: Math.round(installMs),
    planConvergedMs: runs.map(Math.round),
    planWith200ChangesMs: Math.round(changedMs),
    changes: changed.summary.changes,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }));
} finally {
  await h.stop();
}
