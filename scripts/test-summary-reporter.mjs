// A short test report for people and CI: a dot per passing test file, every failure in full (name, file, error),
// the slowest test files (wall seconds, and CPU seconds when run-tests.mjs's probe recorded them), then one closing
// line CI can read: "N passed, N failed". The full TAP goes to a file (see run-tests.mjs).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const DOTS_PER_LINE = 80;
const SLOWEST = Number(process.env.TALFORM_TEST_SLOWEST ?? 10);
const BUILD_DIR = process.env.TALFORM_TEST_BUILD_DIR;

/** The TypeScript source of a test file run bundled from run-tests.mjs's build folder; other paths as they are. */
function sourceFile(file) {
  if (!BUILD_DIR || !file?.startsWith(BUILD_DIR + sep)) return file;
  const root = join(BUILD_DIR, "..", "..", "..");
  return join(root, file.slice(BUILD_DIR.length + 1)).replace(/\.mjs$/, ".ts");
}

export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let dots = 0;
  const failures = [];
  const fileWall = new Map();
  for await (const event of source) {
    // Each file's own process shows up as a test named after the file, completed when the process ends.
    if (event.type === "test:complete" && event.data.file && event.data.name === event.data.file) {
      fileWall.set(sourceFile(event.data.file), (event.data.details?.duration_ms ?? 0) / 1000);
    }
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const d = { ...event.data, file: sourceFile(event.data.file) };
    // Count tests, not the suites (describe) that hold them.
    if (d.details?.type === "suite") {
      if (event.type === "test:fail" && d.details?.error?.failureType !== "subtestsFailed") failures.push(d);
      continue;
    }
    if (event.type === "test:pass") {
      if (d.skip || d.todo) skipped++;
      else passed++;
      yield ".";
      if (++dots % DOTS_PER_LINE === 0) yield "\n";
    } else {
      failed++;
      failures.push(d);
      yield "F";
      if (++dots % DOTS_PER_LINE === 0) yield "\n";
    }
  }
  yield "\n";
  for (const f of failures) {
    const err = f.details?.error;
    const cause = err?.cause ?? err;
    const message = cause?.stack ?? cause?.message ?? String(cause);
    yield `\nFAIL ${f.name}${f.file ? `  (${f.file}${f.line ? `:${f.line}` : ""})` : ""}\n${indent(String(message))}\n`;
  }
  yield slowestFiles(fileWall);
  recordDurations(fileWall);
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
}

// run-tests.mjs starts the longest files first next time (relative paths, as it lists them).
function recordDurations(fileWall) {
  const file = process.env.TALFORM_TEST_DURATIONS_FILE;
  if (!file || fileWall.size === 0) return;
  let durations = {};
  try {
    durations = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // first run
  }
  for (const [f, wall] of fileWall) durations[relative(process.cwd(), f)] = Math.round(wall * 10) / 10;
  try {
    writeFileSync(file, JSON.stringify(durations, null, 1) + "\n");
  } catch {
    // only the next run's order depends on it
  }
}

function indent(text) {
  const lines = text.split("\n");
  const shown =
    lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more lines in the TAP file)`] : lines;
  return shown.map((l) => `    ${l}`).join("\n");
}

function slowestFiles(fileWall) {
  const cpu = new Map();
  const dir = process.env.TALFORM_TEST_CPU_DIR;
  if (dir) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      // no records: the list shows wall times only
    }
    for (const name of names) {
      const record = JSON.parse(readFileSync(join(dir, name), "utf8"));
      cpu.set(sourceFile(record.file), record.cpu);
    }
  }
  const rows = [...fileWall].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
  if (rows.length < 2) return "";
  const lines = rows.map(([file, wall]) => {
    const c = cpu.get(file);
    return `  ${wall.toFixed(1).padStart(6)} s${c === undefined ? "" : `  ${c.toFixed(1).padStart(6)} s CPU`}  ${relative(process.cwd(), file)}`;
  });
  return `\nslowest test files (wall, CPU incl. child processes):\n${lines.join("\n")}\n`;
}
