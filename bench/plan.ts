// Benchmark (not a test): `talform plan` over N simulated nodes, as a user runs it — a fresh CLI process on the built
// dist (load talconfig, decrypt the secrets, render every node, observe every node, assemble) — wall time and the
// process's own peak RSS, against a converged cluster. The simulator runs in its own process (`talform sim up`).
// Setup (not measured): the demo's homelab talconfig with N nodes on 127.71.0.x, a fresh age key (in memory only),
// `talform gensecret` (SOPS-encrypted), `talform sim up`, `talform apply --yes` (install).
// Run: npm run build && TALFORM_LOOPBACK_ONLY=1 node --import tsx bench/plan.ts [nodes] [measured runs]
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, TALOS_MINORS } from "../src/contract/index.js";
import { demoNodes, homelabTalconfig, sopsConfig } from "../src/cli/demo/homelab.js";
import { waitUntil } from "../src/sim/testing.js";

const count = Number(process.argv[2] ?? 200);
const measured = Number(process.argv[3] ?? 3);
if (!(count >= 3 && count <= 1000)) throw new Error("nodes: 3 to 1000");
// A profile of each measured plan (`node --cpu-prof`) into this folder, when set.
const profDir = process.env.TALFORM_BENCH_CPU_PROF_DIR;
const repo = new URL("..", import.meta.url);
const talformBin = new URL("bin/talform.js", repo).pathname;
// Preloaded into each measured `talform plan`: reports the process's peak RSS when it exits.
const peakRssHook = new URL("bench/peak-rss.mjs", repo).href;

interface Run {
  code: number;
  out: string;
  ms: number;
}

function talform(
  cwd: string,
  env: Record<string, string>,
  argv: readonly string[],
  preload: readonly string[] = [],
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [...preload, talformBin, ...argv], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, out, ms: performance.now() - t }));
  });
}

async function must(
  cwd: string,
  env: Record<string, string>,
  argv: readonly string[],
  codes: readonly number[] = [0],
): Promise<Run> {
  const r = await talform(cwd, env, argv);
  if (!codes.includes(r.code)) throw new Error(`talform ${argv.join(" ")} exited ${r.code}:\n${r.out}`);
  return r;
}

const dir = await mkdtemp(join(tmpdir(), "talform-plan-bench-"));
const identity = await generateIdentity();
const env = { TALFORM_LOOPBACK_ONLY: "1", SOPS_AGE_KEY: identity };
const minor = parseTalosVersion(DEFAULT_TALOS_VERSION)!;
const k8s = TALOS_MINORS.find((m) => m.minor === `v${minor.major}.${minor.minor}`)!.defaultKubernetesVersion;
// The demo numbers nodes within one /24 (127.71.0.11-250); the nodes past it go to 127.71.1.x, 127.71.2.x, …
const ONE_SUBNET = 223;
const nodes = demoNodes({ cp: 3, gpu: 0, worker: count - 3 }, "127.71.0").map((n, i) => {
  if (i < ONE_SUBNET) return n;
  const k = i - ONE_SUBNET;
  return { ...n, address: `127.71.${1 + Math.floor(k / 250)}.${(k % 250) + 1}` };
});
await writeFile(
  join(dir, "talconfig.yaml"),
  homelabTalconfig(nodes, { talosVersion: DEFAULT_TALOS_VERSION, kubernetesVersion: `v${k8s}` }),
);
await writeFile(join(dir, ".sops.yaml"), sopsConfig(await identityToRecipient(identity)));
await must(dir, env, ["gensecret", "--out", "talsecret.sops.yaml"]);
const state = join(dir, "sim-state");
const simProf = profDir ? ["--cpu-prof", "--cpu-prof-dir", join(profDir, "sim")] : [];
const sim = spawn(
  process.execPath,
  [...simProf, talformBin, "sim", "up", "--state-dir", state, "--time-scale", "0.002"],
  {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: "ignore",
  },
);
try {
  // Until every node answers in maintenance mode, the plan has errors (exit 1); then it plans the install (exit 2).
  await waitUntil(
    "the simulator",
    async () => (await talform(dir, env, ["plan"])).code === 2,
    Math.max(120_000, count * 600),
  );
  const install = await must(dir, env, ["apply", "--yes", "--offline", "--max-parallel", "50"]);
  // The simulator's CPU time (user + system, /proc/PID/stat, clock ticks of 10 ms) while a plan runs: it shares the
  // 2 cores with the plan, and the plan waits for its answers.
  const simCpuMs = async (): Promise<number> => {
    const fields = (await readFile(`/proc/${sim.pid}/stat`, "utf8")).replace(/^.*\) /s, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const runs: { wallMs: number; peakRssMB: number; cpuMs: number; simCpuMs: number }[] = [];
  for (let i = -1; i < measured; i++) {
    const prof = profDir && i >= 0 ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [];
    const simBefore = await simCpuMs();
    const r = await talform(dir, env, ["plan"], ["--import", peakRssHook, ...prof]);
    const simUsed = (await simCpuMs()) - simBefore;
    if (r.code !== 0) throw new Error(`talform plan on the converged cluster exited ${r.code}:\n${r.out}`);
    const rss = /^talform-peak-rss-kib: (\d+)$/m.exec(r.out);
    if (!rss) throw new Error(`talform plan printed no peak RSS:\n${r.out}`);
    const cpu = /^talform-cpu-us: (\d+)$/m.exec(r.out);
    if (i >= 0)
      runs.push({
        wallMs: Math.round(r.ms),
        peakRssMB: Math.round((Number(rss[1]) * 1024) / 1e6),
        cpuMs: Math.round(Number(cpu?.[1] ?? NaN) / 1000),
        simCpuMs: simUsed,
      }); // i = -1: warm-up
  }
  console.log(JSON.stringify({ nodes: count, installAllMs: Math.round(install.ms), plan: runs }));
} finally {
  await talform(dir, env, ["sim", "down", "--state-dir", state]).catch(() => undefined);
  sim.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}
