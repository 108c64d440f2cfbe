// Benchmark (not a test): `talform plan` over N simulated nodes, as a user runs it — a fresh CLI process on the built
// dist (load talconfig, decrypt the secrets, render every node, observe every node, assemble) — wall time and the
// process's own peak RSS, against a converged cluster. The simulator runs in its own process (`talform sim up`).
// Setup (not measured): the demo's homelab talconfig with N nodes on 127.71.0.x, a fresh age key (in memory only),
// `talform gensecret` (SOPS-encrypted), `talform sim up`, `talform apply --yes` (install).
// Run: npm run build && TALFORM_LOOPBACK_ONLY=1 node --import tsx bench/plan.ts [nodes]
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { DEFAULT_TALOS_VERSION, parseTalosVersion, TALOS_MINORS } from "../src/contract/index.js";
import { demoNodes, homelabTalconfig, sopsConfig } from "../src/cli/demo/homelab.js";
import { waitUntil } from "../src/sim/testing.js";

const count = Number(process.argv[2] ?? 200);
if (!(count >= 3 && count <= 220)) throw new Error("nodes: 3 to 220 (one /24 of loopback addresses)");
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
const nodes = demoNodes({ cp: 3, gpu: 0, worker: count - 3 }, "127.71.0");
await writeFile(
  join(dir, "talconfig.yaml"),
  homelabTalconfig(nodes, { talosVersion: DEFAULT_TALOS_VERSION, kubernetesVersion: `v${k8s}` }),
);
await writeFile(join(dir, ".sops.yaml"), sopsConfig(await identityToRecipient(identity)));
await must(dir, env, ["gensecret", "--out", "talsecret.sops.yaml"]);
const state = join(dir, "sim-state");
const sim = spawn(process.execPath, [talformBin, "sim", "up", "--state-dir", state, "--time-scale", "0.002"], {
  cwd: dir,
  env: { ...process.env, ...env },
  stdio: "ignore",
});
try {
  // Until every node answers in maintenance mode, the plan has errors (exit 1); then it plans the install (exit 2).
  await waitUntil("the simulator", async () => (await talform(dir, env, ["plan"])).code === 2, 120_000);
  const install = await must(dir, env, ["apply", "--yes", "--max-parallel", "50"]);
  const runs: { wallMs: number; peakRssMB: number }[] = [];
  for (let i = -1; i < 3; i++) {
    const r = await talform(dir, env, ["plan"], ["--import", peakRssHook]);
    if (r.code !== 0) throw new Error(`talform plan on the converged cluster exited ${r.code}:\n${r.out}`);
    const rss = /^talform-peak-rss-kib: (\d+)$/m.exec(r.out);
    if (!rss) throw new Error(`talform plan printed no peak RSS:\n${r.out}`);
    if (i >= 0) runs.push({ wallMs: Math.round(r.ms), peakRssMB: Math.round((Number(rss[1]) * 1024) / 1e6) }); // i = -1: warm-up
  }
  console.log(JSON.stringify({ nodes: count, installAllMs: Math.round(install.ms), plan: runs }));
} finally {
  await talform(dir, env, ["sim", "down", "--state-dir", state]).catch(() => undefined);
  sim.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
}
