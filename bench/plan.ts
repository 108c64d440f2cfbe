// Benchmark (not a test): `talform plan` wall time, CPU and peak RSS over N simulated nodes, with the simulator in
// its own process (`talform sim up`) so the numbers are the planner's alone.
// Run: TALFORM_LOOPBACK_ONLY=1 node --import tsx bench/plan.ts [nodes]
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { makeTestBundle } from "../src/machineconfig/test-support.js";
import { makeClientCert } from "../src/sim/certs.js";
import { waitUntil } from "../src/sim/testing.js";
import { executePlan, memoryJournal } from "../src/rollout/index.js";
import { assemblePlan, createClusterAccess, observeCluster } from "../src/plan/index.js";
import { renderDesired, type NodeFixture } from "../src/plan/test-support.js";

const count = Number(process.argv[2] ?? 200);
const env = { TALFORM_LOOPBACK_ONLY: "1" };
const nodes: NodeFixture[] = Array.from({ length: count }, (_, i) => ({
  hostname: i < 3 ? `cp${i + 1}` : `w${i - 2}`,
  address: `127.0.${70 + Math.floor(i / 250)}.${(i % 250) + 1}`,
  controlPlane: i < 3,
}));
const fixture = { endpoint: "https://127.0.69.1:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.36.3", nodes };
const bundle = await makeTestBundle();
const dir = await mkdtemp(join(tmpdir(), "talform-plan-bench-"));
await writeFile(
  join(dir, "fleet.yaml"),
  stringify({ clusterName: "demo", osCA: bundle.certs.os, kubernetesEndpoint: fixture.endpoint, nodes: nodes.map((n) => ({ hostname: n.hostname, address: n.address, controlPlane: n.controlPlane, talosVersion: "v1.13.9" })) }),
);
const sim = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sim", "up", "--spec", join(dir, "fleet.yaml"), "--state-dir", join(dir, "state"), "--time-scale", "0.002"], { env: { ...process.env, ...env }, stdio: "ignore" });
const admin = await makeClientCert(bundle.certs.os, ["os:admin"]);
const access = createClusterAccess({ credentials: { ca: bundle.certs.os.crt, crt: admin.crt, key: admin.key }, controlPlanes: ["127.0.70.1"], env, timeoutMs: 60_000 });
try {
  const desired = await renderDesired({ ...fixture, bundle });
  const plan = async () => assemblePlan(desired, await observeCluster(nodes, access), { toolVersion: "bench", now: new Date().toISOString() });
  await waitUntil("the simulator", async () => (await plan()).errors.length === 0, 120_000);
  const install = await plan();
  const t0 = performance.now();
  const r = await executePlan(install, desired, { access, journal: memoryJournal(), report: () => {}, maxParallel: 50, pollMs: 20, healthTimeoutMs: 120_000, rebootTimeoutMs: 120_000 });
  if (!r.ok) throw new Error(r.error);
  const installMs = performance.now() - t0;
  const runs: { wallMs: number; cpuMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    const p = await plan();
    runs.push({ wallMs: Math.round(performance.now() - t), cpuMs: Math.round((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000) });
    if (p.summary.changes !== 0) throw new Error("a converged cluster planned changes");
  }
  console.log(JSON.stringify({ nodes: count, installAllMs: Math.round(installMs), plan: runs, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
} finally {
  access.close();
  sim.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}
