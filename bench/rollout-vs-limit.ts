// Benchmark (not a test): a Talos upgrade's wall time against its physical limit, through the one rollout engine.
// 3 control planes + 6 workers upgrade one patch release with --max-parallel 2 at simulator time scale 1, where a
// node's upgrade costs the installer pull (size / bandwidth, modelled by the simulator) and then 0.1 s (stop
// services) + 2 s (reboot) + 0.5 s (boot, until Ready). The safe schedule is the control planes one at a time, then
// the workers in batches of 2: 3 + 3 = 6 slots of reboot + health. With the installer pre-pulled on every node while
// the first one upgrades, the rollout cannot be faster than max(pull) + Σ slots (reboot + health); one pull per node
// or batch on the critical path (no pre-pull) would take Σ slots (pull + reboot + health).
// Run: TALFORM_LOOPBACK_ONLY=1 node --import tsx bench/rollout-vs-limit.ts
import { startSimHarness } from "../src/rollout/test-support.js";
import type { NodeFixture } from "../src/plan/test-support.js";
import { DURATIONS } from "../src/sim/node.js";

const MAX_PARALLEL = 2;
// A Talos installer image is ~100 MB compressed; 50 MB/s is a 400 Mbit/s link per node.
const imagePull = { installerBytes: 100e6, bytesPerSecond: 50e6 };
const pullMs = (imagePull.installerBytes / imagePull.bytesPerSecond) * 1000;

const cps: NodeFixture[] = [1, 2, 3].map((i) => ({
  hostname: `cp${i}`,
  address: `127.0.68.${i}`,
  controlPlane: true,
}));
const workers: NodeFixture[] = [1, 2, 3, 4, 5, 6].map((i) => ({
  hostname: `w${i}`,
  address: `127.0.68.${10 + i}`,
  controlPlane: false,
}));
const nodes = [...cps, ...workers];
const h = await startSimHarness(
  { endpoint: "https://127.0.68.100:6443", talosVersion: "v1.13.8", kubernetesVersion: "1.36.3", nodes },
  { timeScale: 1, imagePull },
);
const opts = { pollMs: 50, rebootTimeoutMs: 60_000, healthTimeoutMs: 60_000, maxParallel: MAX_PARALLEL };
try {
  const d0 = await h.render(nodes);
  const r0 = await h.apply(await h.plan(d0), d0, { ...opts, maxParallel: workers.length });
  if (!r0.ok) throw new Error(r0.error);
  const d1 = await h.render(nodes, { talosVersion: "v1.13.9" });
  const plan = await h.plan(d1);
  const upgrading = plan.nodes.filter((n) => n.actions.some((a) => a.type === "upgrade")).length;
  if (upgrading !== nodes.length) throw new Error(`the plan upgrades ${upgrading} of ${nodes.length} nodes`);
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await h.apply(plan, d1, opts);
  const wall = performance.now() - t;
  // talform and the simulated fleet share this process: CPU time is what compares across loaded runs.
  const cpu = process.cpuUsage(cpu0);
  if (!r.ok) throw new Error(r.error);
  const slots = cps.length + Math.ceil(workers.length / MAX_PARALLEL);
  const rebootAndHealth = DURATIONS.stopServices + DURATIONS.reboot + DURATIONS.boot;
  const limitMs = pullMs + slots * rebootAndHealth;
  const sequentialPullMs = slots * (pullMs + rebootAndHealth);
  console.log(
    JSON.stringify({
      controlPlanes: cps.length,
      workers: workers.length,
      maxParallel: MAX_PARALLEL,
      pullMs,
      rebootAndHealthMs: rebootAndHealth,
      slots,
      rolloutMs: Math.round(wall),
      rolloutCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      limitMs,
      sequentialPullMs,
      ratio: Math.round((wall / limitMs) * 1000) / 1000,
    }),
  );
} finally {
  await h.stop();
}
