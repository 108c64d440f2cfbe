import assert from "node:assert/strict";
import { test } from "node:test";
import { configDiff } from "./config-diff.js";

// The vectors of Talos's pkg/machinery/textdiff tests: what a dry-run reply shows under "Config diff:".
const CASES: { name: string; a: string; b: string; expected: string }[] = [
  { name: "empty", a: "", b: "", expected: "" },
  { name: "identical", a: "line 1\nline 2\nline 3\n", b: "line 1\nline 2\nline 3\n", expected: "" },
  {
    name: "completely different",
    a: "line 1\nline 2\nline 3\n",
    b: "line A\nline B\nline C\n",
    expected: "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-line 1\n-line 2\n-line 3\n+line A\n+line B\n+line C\n",
  },
  {
    name: "inserted line",
    a: "line 1\nline 3\n",
    b: "line 1\nline 2\nline 3\n",
    expected: "--- a\n+++ b\n@@ -1,2 +1,3 @@\n line 1\n+line 2\n line 3\n",
  },
];

for (const c of CASES) {
  test(`configDiff: ${c.name}`, () => assert.equal(configDiff(c.a, c.b), c.expected));
}
