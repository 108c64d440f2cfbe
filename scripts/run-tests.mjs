// Runs node's built-in test runner over the TypeScript test files of one suite.
//   unit:        src/**/*.test.ts and test/**/*.test.ts — must pass on a fresh clone without ../shared
//   conformance: conformance/**/*.test.ts — drives the real Talos/sops/talhelper oracles and reads ../shared
//   browser:     browser/**/*.test.ts — the dashboard in a real headless Chromium (scripts/setup-browser.sh)
// Node 20 has no glob support in --test, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const suite = process.argv[2] ?? "unit";
const roots = { unit: ["src", "test"], conformance: ["conformance"], browser: ["browser"] }[suite];
if (!roots) {
  console.error(`unknown suite "${suite}" (expected unit, conformance or browser)`);
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

const concurrency = process.env.TALFORM_TEST_CONCURRENCY ?? "2";
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, TALFORM_LOOPBACK_ONLY: "1" } },
);
process.exit(result.status ?? 1);
