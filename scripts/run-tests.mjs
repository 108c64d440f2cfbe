// Runs node's built-in test runner over the TypeScript test files of one suite.
//   unit:        src/**/*.test.ts and test/**/*.test.ts — must pass on a fresh clone without ../shared
//   conformance: conformance/**/*.test.ts — drives the real Talos/sops/talhelper oracles and reads ../shared
//   browser:     browser/**/*.test.ts — the dashboard in a real headless Chromium (scripts/setup-browser.sh)
//   k8s:         test-k8s/**/*.test.ts — the controller against a real kube-apiserver (scripts/install-kube-apiserver.sh)
// Node 20 has no glob support in --test, so the files are listed here.
//
// Output: a short summary on stdout (scripts/test-summary-reporter.mjs, ending "N passed, N failed"); the full TAP in
// test-results/<suite>.tap. The summary lists the slowest files (TALFORM_TEST_SLOWEST=N for more) with their wall and
// CPU seconds, and the closing line the run's wall and CPU seconds and the load average: on a shared machine CPU
// seconds are what to compare. TALFORM_TEST_TAP=1 prints the TAP instead. Every test file runs with TMPDIR set to a
// folder of this run's own (unit suite; the conformance suite's oracles keep the usual one): a test that leaves a
// temp folder behind fails the run, and the folder goes either way.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildTests } from "./build-tests.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const suite = process.argv[2] ?? "unit";
const roots = { unit: ["src", "test"], conformance: ["conformance"], browser: ["browser"], k8s: ["test-k8s"] }[suite];
if (!roots) {
  console.error(`unknown suite "${suite}" (expected unit, conformance, browser or k8s)`);
  process.exit(2);
}

const skipDirs = new Set(["node_modules", "dist", ".cache", "oracle", "testdata"]);
function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skipDirs.has(name)) collect(path, out);
    } else if (name.endsWith(".test.ts")) {
      out.push(relative(root, path));
    }
  }
  return out;
}

const filter = process.argv.slice(3);
let files = roots.flatMap((r) => collect(join(root, r), []));
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files found for suite "${suite}"`);
  process.exit(1);
}

// Each k8s test file runs an API server of its own: two at a time is what a 2-core CI machine carries.
const concurrency = process.env.TALFORM_TEST_CONCURRENCY ?? (suite === "k8s" ? "2" : "4");
const tapFile = join(root, "test-results", `${suite}.tap`);
const durationsFile = join(root, "test-results", `${suite}-durations.json`);
mkdirSync(join(root, "test-results"), { recursive: true });
const reporters =
  process.env.TALFORM_TEST_TAP === "1"
    ? ["--test-reporter=tap", "--test-reporter-destination=stdout"]
    : [
        `--test-reporter=${join(root, "scripts", "test-summary-reporter.mjs")}`,
        "--test-reporter-destination=stdout",
        "--test-reporter=tap",
        `--test-reporter-destination=${tapFile}`,
      ];
const runTmp = mkdtempSync(join(process.env.TMPDIR || tmpdir(), "talform-tests-"));
// tsx keeps its compile cache in $TMPDIR/tsx-<uid>: link the usual one in, so the run stays warm and it is no leak.
const tsxCache = `tsx-${process.getuid?.() ?? 0}`;
mkdirSync(join(tmpdir(), tsxCache), { recursive: true });
symlinkSync(join(tmpdir(), tsxCache), join(runTmp, tsxCache));
// Each test file's process records its CPU seconds here at exit (scripts/test-cpu-probe.mjs) for the summary; one
// folder per run, so two runs in one checkout do not take each other's records away.
const cpuDir = mkdtempSync(join(root, "test-results", `${suite}-cpu-`));
const started = Date.now();
// The test files run bundled (scripts/build-tests.mjs); TALFORM_TEST_TSX=1 runs the TypeScript through tsx instead.
const viaTsx = process.env.TALFORM_TEST_TSX === "1";
const buildDir = join(root, ".cache", "test-build", suite);
const ordered = longestFirst(files);
const runFiles = viaTsx ? ordered : await buildTests(root, ordered, buildDir);
const result = spawnSync(
  process.execPath,
  [
    ...(viaTsx ? ["--import", "tsx"] : ["--enable-source-maps"]),
    "--import",
    join(root, "scripts", "test-cpu-probe.mjs"),
    "--test",
    `--test-concurrency=${concurrency}`,
    ...reporters,
    ...runFiles,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      TALFORM_LOOPBACK_ONLY: "1",
      TALFORM_TEST_CPU_DIR: cpuDir,
      TALFORM_TEST_DURATIONS_FILE: durationsFile,
      ...(viaTsx ? {} : { TALFORM_TEST_BUILD_DIR: buildDir }),
      ...(suite === "unit" || suite === "k8s" ? { TMPDIR: runTmp } : {}),
    },
  },
);
const leaked = readdirSync(runTmp).filter((name) => name !== tsxCache);
rmSync(runTmp, { recursive: true, force: true });
rmSync(cpuDir, { recursive: true, force: true });
console.error(
  `${files.length} test files in ${((Date.now() - started) / 1000).toFixed(1)} s wall${childrenCpu()} (concurrency ${concurrency}, load average ${loadavg()[0].toFixed(1)})${process.env.TALFORM_TEST_TAP === "1" ? "" : `; full TAP: ${relative(root, tapFile)}`}`,
);
if (leaked.length > 0) {
  console.error(
    `FAIL: the tests left ${leaked.length} folder(s) in the temp dir (every test removes what it creates):\n  ${leaked.join("\n  ")}`,
  );
  process.exit(1);
}
process.exit(result.status ?? 1);

// The test runner starts files in the order given, `concurrency` at a time: the longest first, so the run does not end
// waiting on one long file started last. Durations come from this checkout's previous run (the summary reporter
// writes them), else the e2e-style files (whole simulated rollouts, drills) go first.
function longestFirst(list) {
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(durationsFile, "utf8"));
  } catch {
    // first run here
  }
  const guess = (f) => previous[f] ?? (/e2e|safety|faults|drill|demo[/\\]run/.test(f) ? 30 : 1);
  return [...list].sort((a, b) => guess(b) - guess(a) || a.localeCompare(b));
}

// CPU seconds of the test run (every process it waited for), from /proc/self/stat's cutime and cstime (Linux only).
function childrenCpu() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return `, ${((Number(fields[13]) + Number(fields[14])) / 100).toFixed(1)} s CPU`;
  } catch {
    return "";
  }
}
