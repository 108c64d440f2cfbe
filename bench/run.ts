// `npm run bench`: talform against talhelper v3.1.16 and against the issue-22 goals, on this machine, in one run,
// and bench/RESULTS.md rewritten with the figures. Not a test (not part of `npm test`).
//
// Every CLI figure is a whole process (node start-up included), measured from spawn to exit, on the built dist
// (`npm run build` first), with the same inputs for both tools and outputs to fresh temp folders. A/B runs are
// interleaved after one warm-up run of each so neither tool profits from a warmer page cache or a quieter machine.
// The plan and rollout benches run in their own processes (bench/plan.ts, bench/rollout-vs-limit.ts) against the
// simulator on loopback. The machine is shared: the 1-minute load average is recorded beside every figure.
import { spawn } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { oraclePath, referencePath, repoRoot } from "../conformance/support/oracles.js";

const ITER_EXAMPLE = 7;
const ITER_200 = 5;
const ITER_1000 = 3;
const ITER_COLD = 11;
const ITER_ROLLOUT = 3;
const TALFORM = join(repoRoot, "bin", "talform.js");

interface Run {
  code: number;
  ms: number;
  out: string;
}

function run(
  cmd: string,
  args: readonly string[],
  // A variable set to undefined is left out of the child's environment.
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, ms: performance.now() - t, out }));
  });
}

async function mustRun(
  what: string,
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<number> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
  return r.ms;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else await chmod(path, 0o600);
  }
}

/** A copy of talhelper's example (SOPS secrets + env, age key) in a temp folder, without its committed output. */
async function exampleDir(root: string): Promise<string> {
  const dir = join(root, "example");
  await cp(referencePath("talhelper-fixtures", "example"), dir, { recursive: true });
  await makeWritable(dir);
  await rm(join(dir, "clusterconfig"), { recursive: true, force: true });
  return dir;
}

/** A synthetic talconfig of `count` nodes (3 control planes) beside the example's SOPS-encrypted secrets and key. */
async function syntheticDir(root: string, example: string, count: number): Promise<string> {
  const dir = join(root, `synthetic-${count}`);
  await mkdir(dir, { recursive: true });
  await cp(join(example, "talsecret.yaml"), join(dir, "talsecret.yaml"));
  await cp(join(example, "key.txt"), join(dir, "key.txt"));
  const nodes = Array.from({ length: count }, (_, i) => {
    const ip = `10.${20 + Math.floor(i / 250)}.0.${(i % 250) + 2}`;
    return [
      `  - hostname: node-${i + 1}`,
      `    ipAddress: ${ip}`,
      `    controlPlane: ${i < 3}`,
      `    installDisk: /dev/sda`,
      `    nodeLabels: {rack: r${i % 8}}`,
      `    networkInterfaces:`,
      `      - interface: eth0`,
      `        addresses: [${ip}/16]`,
      `        routes: [{network: 0.0.0.0/0, gateway: 10.${20 + Math.floor(i / 250)}.0.1}]`,
    ].join("\n");
  });
  const header = [
    "clusterName: bench",
    "talosVersion: v1.12.0",
    "kubernetesVersion: v1.35.0",
    "endpoint: https://10.20.0.1:6443",
    "nodes:",
  ];
  await writeFile(join(dir, "talconfig.yaml"), [...header, ...nodes].join("\n") + "\n");
  return dir;
}

interface AB {
  talform: number[];
  talhelper: number[];
}

/** genconfig of both tools on `dir`, interleaved, after a warm-up of each; outputs to fresh folders, removed after. */
async function genconfigAB(
  dir: string,
  iterations: number,
  withTalhelper: boolean,
  extraEnv: Record<string, string | undefined> = {},
): Promise<AB> {
  const talhelper = withTalhelper ? oraclePath("talhelper") : "";
  const env = { SOPS_AGE_KEY_FILE: join(dir, "key.txt"), SOPS_DISABLE_VERSION_CHECK: "1", ...extraEnv };
  const res: AB = { talform: [], talhelper: [] };
  for (let i = -1; i < iterations; i++) {
    const a = join(dir, `out-talform-${i + 1}`);
    const b = join(dir, `out-talhelper-${i + 1}`);
    const ta = await mustRun("talform genconfig", process.execPath, [TALFORM, "genconfig", "--out-dir", a], {
      cwd: dir,
      env,
    });
    const tb = withTalhelper
      ? await mustRun("talhelper genconfig", talhelper, ["genconfig", "--offline-mode", "-o", b], { cwd: dir, env })
      : 0;
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
    if (i < 0) continue; // warm-up
    res.talform.push(ta);
    if (withTalhelper) res.talhelper.push(tb);
  }
  return res;
}

/** The last JSON line a bench script printed. */
async function jsonBench<T>(script: string, args: string[] = []): Promise<T> {
  const r = await run(process.execPath, ["--import", "tsx", join("bench", script), ...args], {
    env: { TALFORM_LOOPBACK_ONLY: "1" },
  });
  if (r.code !== 0) throw new Error(`bench/${script} exited ${r.code}:\n${r.out}`);
  const line = r.out
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`bench/${script} printed no JSON:\n${r.out}`);
  return JSON.parse(line) as T;
}

interface PlanBench {
  nodes: number;
  installAllMs: number;
  plan: { wallMs: number; peakRssMB: number; cpuMs: number; simCpuMs: number }[];
}

interface RolloutBench {
  controlPlanes: number;
  workers: number;
  maxParallel: number;
  pullMs: number;
  rebootAndHealthMs: number;
  slots: number;
  rolloutMs: number;
  rolloutCpuMs: number;
  limitMs: number;
  sequentialPullMs: number;
  ratio: number;
}

/** The 1-minute load average now (recorded beside each figure). */
const load1 = (): number => round(loadavg()[0]!, 2);

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

if (!existsSync(join(repoRoot, "dist", "cli", "main.js")))
  throw new Error("dist/ is missing: run `npm run build` first");
// Whether bin/talform.js runs the bundle with its V8 code cache here (docs/bench.md): recorded, as it moves every figure.
const codeCache = await run(process.execPath, [
  "--input-type=module",
  "-e",
  `const { loadBundledCli } = await import(${JSON.stringify(new URL("../dist/cli/launch.js", import.meta.url).href)}); const c = loadBundledCli(new URL(${JSON.stringify(new URL("../dist/cli-bundle/", import.meta.url).href)})); process.stdout.write(c === undefined ? "no bundle (dist/cli modules)" : c.cacheUsed ? "bundle, V8 code cache used" : "bundle, V8 code cache rejected")`,
]);
const started = new Date();
// The machine is shared: the load average at start and end says how much the figures were disturbed.
const loadAtStart = loadavg()
  .map((x) => round(x, 2))
  .join(" ");
const root = await mkdtemp(join(tmpdir(), "talform-bench-"));
try {
  const example = await exampleDir(root);
  const s200 = await syntheticDir(root, example, 200);
  const s1000 = await syntheticDir(root, example, 1000);

  const loads: Record<string, string> = {};
  const section = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    log(name);
    const before = load1();
    const r = await f();
    loads[name] = `${before} → ${load1()}`;
    return r;
  };
  log("cold start: talform --help");
  const loadCold = load1();
  const cold: number[] = [];
  for (let i = -1; i < ITER_COLD; i++) {
    const ms = await mustRun("talform --help", process.execPath, [TALFORM, "--help"]);
    if (i >= 0) cold.push(ms);
  }
  const nodeBare: number[] = [];
  for (let i = -1; i < ITER_COLD; i++) {
    const ms = await mustRun("node -e 0", process.execPath, ["-e", "0"]);
    if (i >= 0) nodeBare.push(ms);
  }

  loads["cold"] = `${loadCold} → ${load1()}`;

  const ex = await section("genconfig: talhelper example", () => genconfigAB(example, ITER_EXAMPLE, true));
  const g200 = await section("genconfig: 200 nodes", () => genconfigAB(s200, ITER_200, true));
  const g1000 = await section("genconfig: 1000 nodes", () => genconfigAB(s1000, ITER_1000, false));

  // validate against a bare node start, interleaved.
  const validate: number[] = [];
  const nodeStart: number[] = [];
  await section("validate", async () => {
    for (let i = -1; i < ITER_EXAMPLE; i++) {
      const ms = await mustRun("talform validate", process.execPath, [TALFORM, "validate"], {
        cwd: example,
        env: { SOPS_AGE_KEY_FILE: join(example, "key.txt") },
      });
      const bare = await mustRun("node -e 0", process.execPath, ["-e", "0"]);
      if (i >= 0) validate.push(ms);
      if (i >= 0) nodeStart.push(bare);
    }
  });

  // NODE_EXTRA_CA_CERTS (set on some machines, e.g. behind a TLS-inspecting proxy) makes Node read and parse that CA
  // bundle at every start, before any of talform's code runs; talhelper's Go runtime reads CAs only for TLS it opens.
  // Where it is set, the example is measured again without it: what the same machine gives a user who has not set it.
  const extraCa = process.env["NODE_EXTRA_CA_CERTS"];
  const withoutExtraCa = { NODE_EXTRA_CA_CERTS: undefined };
  const extraCaRuns = extraCa
    ? await section("without NODE_EXTRA_CA_CERTS", async () => {
        const nodeWith: number[] = [];
        const nodeWithout: number[] = [];
        for (let i = -1; i < ITER_COLD; i++) {
          const a = await mustRun("node -e 0", process.execPath, ["-e", "0"]);
          const b = await mustRun("node -e 0", process.execPath, ["-e", "0"], { env: withoutExtraCa });
          if (i >= 0) nodeWith.push(a);
          if (i >= 0) nodeWithout.push(b);
        }
        const validate: number[] = [];
        for (let i = -1; i < ITER_EXAMPLE; i++) {
          const ms = await mustRun("talform validate", process.execPath, [TALFORM, "validate"], {
            cwd: example,
            env: { SOPS_AGE_KEY_FILE: join(example, "key.txt"), ...withoutExtraCa },
          });
          if (i >= 0) validate.push(ms);
        }
        return {
          nodeWith,
          nodeWithout,
          validate,
          example: await genconfigAB(example, ITER_EXAMPLE, true, withoutExtraCa),
        };
      })
    : undefined;

  const p200 = await section("plan: 200 nodes", () => jsonBench<PlanBench>("plan.ts", ["200", "3"]));
  const p1000 = await section("plan: 1000 nodes", () => jsonBench<PlanBench>("plan.ts", ["1000", "1"]));
  // Each rollout is one sample of ~18 s at time scale 1; the run with the median wall time is reported.
  const rollouts = await section("rollout vs limit", async () => {
    const runs: RolloutBench[] = [];
    for (let i = 0; i < ITER_ROLLOUT; i++) runs.push(await jsonBench<RolloutBench>("rollout-vs-limit.ts"));
    return runs;
  });
  const ro = [...rollouts].sort((a, b) => a.rolloutMs - b.rolloutMs)[Math.floor(rollouts.length / 2)]!;

  const exT = median(ex.talform);
  const exH = median(ex.talhelper);
  const t200 = median(g200.talform);
  const h200 = median(g200.talhelper);
  const t1000 = median(g1000.talform);
  const coldMs = median(cold);
  const plan200 = median(p200.plan.map((r) => r.wallMs));
  const plan1000 = median(p1000.plan.map((r) => r.wallMs));
  // The highest peak of the runs: the goal is a bound.
  const rss200 = Math.max(...p200.plan.map((r) => r.peakRssMB));
  const rss1000 = Math.max(...p1000.plan.map((r) => r.peakRssMB));
  const cpu = (p: PlanBench) =>
    `plan CPU ${round(median(p.plan.map((r) => r.cpuMs)))} ms, simulator CPU ${round(median(p.plan.map((r) => r.simCpuMs)))} ms`;
  const validateMs = median(validate);
  const nodeStartMs = median(nodeStart);
  const cpus0 = cpus()[0]?.model ?? "unknown";
  const ms = (x: number): string => `${round(x)} ms`;
  const lines = [
    "# talform benchmarks",
    "",
    "Written by `npm run bench` (bench/run.ts); do not edit by hand. Whole CLI processes on the built dist, same inputs,",
    "outputs to fresh temp folders, A/B runs interleaved after one warm-up each; figures are medians.",
    "",
    "## Machine",
    "",
    `- date: ${started.toISOString()}`,
    `- cpus: ${availableParallelism()} (nproc) × ${cpus0}`,
    `- memory: ${round(totalmem() / 2 ** 30, 1)} GiB`,
    `- node: ${process.version}`,
    `- load average (1/5/15 min) at start: ${loadAtStart}; at end: ${loadavg()
      .map((x) => round(x, 2))
      .join(" ")}`,
    `- talhelper: v3.1.16 (${oraclePath("talhelper")})`,
    `- talform CLI: ${codeCache.out.trim() || `unknown (exit ${codeCache.code})`}`,
    extraCaRuns
      ? `- NODE_EXTRA_CA_CERTS: set (${extraCa}); Node reads and parses it at every start: bare \`node -e 0\` ` +
        `${ms(median(extraCaRuns.nodeWith))} with it, ${ms(median(extraCaRuns.nodeWithout))} without (every talform figure ` +
        "below includes it; talhelper does not read it for genconfig)"
      : "- NODE_EXTRA_CA_CERTS: not set",
    "",
    "## Figures",
    "",
    "| benchmark | runs | talform | talhelper | ratio (talform / talhelper) | goal | load (1 min) |",
    "|---|---|---|---|---|---|---|",
    `| genconfig, talhelper's example (2 nodes, SOPS secrets + env) | ${ITER_EXAMPLE} | ${ms(exT)} | ${ms(exH)} | ${round(exT / exH, 2)} | ≤ 1.5 | ${loads["genconfig: talhelper example"]} |`,
    ...(extraCaRuns
      ? [
          `| genconfig, talhelper's example, without NODE_EXTRA_CA_CERTS | ${ITER_EXAMPLE} | ${ms(median(extraCaRuns.example.talform))} | ${ms(median(extraCaRuns.example.talhelper))} | ${round(median(extraCaRuns.example.talform) / median(extraCaRuns.example.talhelper), 2)} | (≤ 1.5) | ${loads["without NODE_EXTRA_CA_CERTS"]} |`,
          `| \`talform validate\` on the example, without NODE_EXTRA_CA_CERTS | ${ITER_EXAMPLE} | ${ms(median(extraCaRuns.validate))} | | ${round(median(extraCaRuns.validate) / median(extraCaRuns.nodeWithout), 2)} × bare node start without it (${ms(median(extraCaRuns.nodeWithout))}) | (≤ 1.2 × node) | ${loads["without NODE_EXTRA_CA_CERTS"]} |`,
        ]
      : []),
    `| genconfig, synthetic 200 nodes (example's SOPS secrets) | ${ITER_200} | ${ms(t200)} | ${ms(h200)} | ${round(t200 / h200, 2)} | ≤ 0.3 | ${loads["genconfig: 200 nodes"]} |`,
    `| genconfig, synthetic 1,000 nodes (talform alone) | ${ITER_1000} | ${ms(t1000)} | | | ≤ 1 s, linear | ${loads["genconfig: 1000 nodes"]} |`,
    `| \`talform --help\` cold start | ${ITER_COLD} | ${ms(coldMs)} | | (bare \`node -e 0\`: ${ms(median(nodeBare))}) | | ${loads["cold"]} |`,
    `| \`talform validate\` on the example | ${ITER_EXAMPLE} | ${ms(validateMs)} | | ${round(validateMs / nodeStartMs, 2)} × bare node start (${ms(nodeStartMs)}) | ≤ 1.2 × node | ${loads["validate"]} |`,
    `| \`talform plan\`, 200 simulated nodes (converged) | ${p200.plan.length} | ${ms(plan200)}, peak RSS ${rss200} MB; ${cpu(p200)} | | | ≤ 1 s, ≤ 150 MB | ${loads["plan: 200 nodes"]} |`,
    `| \`talform plan\`, 1,000 simulated nodes (converged) | ${p1000.plan.length} | ${ms(plan1000)}, peak RSS ${rss1000} MB; ${cpu(p1000)} | | | ≤ 4 s | ${loads["plan: 1000 nodes"]} |`,
    `| rollout, ${ro.controlPlanes} cp + ${ro.workers} workers, one patch upgrade, --max-parallel ${ro.maxParallel} (time scale 1) | ${rollouts.length} | ${ms(ro.rolloutMs)} vs limit ${ms(ro.limitMs)} (sequential pull per slot: ${ms(ro.sequentialPullMs)}) | | ${ro.ratio} × limit | ≤ 1.03 | ${loads["rollout vs limit"]} |`,
    "",
    "Linearity (genconfig, talform): " +
      `${round(t200 / 200, 2)} ms/node at 200 nodes, ${round(t1000 / 1000, 2)} ms/node at 1,000 nodes, ` +
      `marginal ${round((t1000 - t200) / 800, 2)} ms/node between them; fixed cost (example, 2 nodes) ${ms(exT)}.`,
    "",
    `Rollout limit: max(pull) + Σ slots × (stop + reboot + boot) = ${ro.pullMs} + ${ro.slots} × ${ro.rebootAndHealthMs} ms ` +
      "(the simulator's installer pull: 100 MB at 50 MB/s per node; the safe schedule: control planes one at a time, " +
      `workers ${ro.maxParallel} at a time). A rollout that pulled per node on the critical path would take Σ slots × (pull + ` +
      `stop + reboot + boot) = ${ms(ro.sequentialPullMs)} (computed, not run).`,
    "",
    "Plan: `talform plan` as a user runs it — a fresh CLI process (load talconfig.yaml, decrypt the SOPS secrets, render",
    "every node, observe every node over the Talos API, assemble) against a converged simulated cluster (the demo's homelab",
    "talconfig, 3 control planes + workers); the simulator runs in its own process on the same 2 cores. Peak RSS is the",
    `plan process's own (MB = 10^6 bytes, the highest of the runs); CPU is user + system time of the plan process and of ` +
      `the simulator while the plan ran (medians). Installing all nodes (\`talform apply\`) took ` +
      `${ms(p200.installAllMs)} (200) and ${ms(p1000.installAllMs)} (1,000) at simulator time scale 0.002.`,
    "",
    "Raw samples (ms):",
    "",
    `- genconfig example talform: ${ex.talform.map((x) => round(x)).join(", ")}; talhelper: ${ex.talhelper.map((x) => round(x)).join(", ")}`,
    `- genconfig 200 talform: ${g200.talform.map((x) => round(x)).join(", ")}; talhelper: ${g200.talhelper.map((x) => round(x)).join(", ")}`,
    `- genconfig 1000 talform: ${g1000.talform.map((x) => round(x)).join(", ")}`,
    `- cold start: ${cold.map((x) => round(x)).join(", ")}`,
    ...(extraCaRuns
      ? [
          `- without NODE_EXTRA_CA_CERTS: genconfig example talform: ${extraCaRuns.example.talform.map((x) => round(x)).join(", ")}; talhelper: ${extraCaRuns.example.talhelper.map((x) => round(x)).join(", ")}; validate: ${extraCaRuns.validate.map((x) => round(x)).join(", ")}; node -e 0 with it: ${extraCaRuns.nodeWith.map((x) => round(x)).join(", ")}; without: ${extraCaRuns.nodeWithout.map((x) => round(x)).join(", ")}`,
        ]
      : []),
    `- validate: ${validate.map((x) => round(x)).join(", ")}; node -e 0: ${nodeStart.map((x) => round(x)).join(", ")}`,
    `- plan 200: ${p200.plan.map((r) => `${r.wallMs} (${r.peakRssMB} MB, CPU ${r.cpuMs} + sim ${r.simCpuMs})`).join(", ")}; plan 1000: ${p1000.plan.map((r) => `${r.wallMs} (${r.peakRssMB} MB, CPU ${r.cpuMs} + sim ${r.simCpuMs})`).join(", ")}`,
    `- rollout: ${rollouts.map((r) => `${r.rolloutMs} (${r.ratio} × limit, CPU ${r.rolloutCpuMs})`).join(", ")}`,
    "",
    "## Summary lines",
    "",
    "```",
    `genconfig-vs-talhelper-example: ${round(exT / exH, 2)}`,
    `genconfig-vs-talhelper-200: ${round(t200 / h200, 2)}`,
    `genconfig-1000-nodes-seconds: ${round(t1000 / 1000, 2)}`,
    `validate-vs-node-start: ${round(validateMs / nodeStartMs, 2)}`,
    `plan-200-nodes-seconds: ${round(plan200 / 1000, 2)}`,
    `plan-200-nodes-rss-mb: ${rss200}`,
    `plan-1000-nodes-seconds: ${round(plan1000 / 1000, 2)}`,
    `plan-1000-nodes-rss-mb: ${rss1000}`,
    `rollout-vs-limit: ${ro.ratio}`,
    ...(extraCaRuns
      ? [
          `genconfig-vs-talhelper-example-without-node-extra-ca-certs: ${round(median(extraCaRuns.example.talform) / median(extraCaRuns.example.talhelper), 2)}`,
        ]
      : []),
    `cli-cold-start-ms: ${round(coldMs)}`,
    "```",
    "",
  ];
  await writeFile(join(repoRoot, "bench", "RESULTS.md"), lines.join("\n"));
  process.stdout.write(lines.join("\n"));
} finally {
  await rm(root, { recursive: true, force: true });
}
