// A short test report for people and CI: a dot per passing test file, every failure in full (name, file, error),
// then one closing line CI can read: "N passed, N failed". The full TAP goes to a file (see run-tests.mjs).
const DOTS_PER_LINE = 80;

export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let dots = 0;
  const failures = [];
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const d = event.data;
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
  yield `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`;
}

function indent(text) {
  const lines = text.split("\n");
  const shown =
    lines.length > 40 ? [...lines.slice(0, 40), `… (${lines.length - 40} more lines in the TAP file)`] : lines;
  return shown.map((l) => `    ${l}`).join("\n");
}
