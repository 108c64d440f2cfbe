import { test } from "node:test";
import assert from "node:assert/strict";
import { substituteEnv } from "./envsubst.js";

const ENV = { A: "alpha", EMPTY: "", N: "123", DEF: "default value" };

test("substituteEnv: every form", () => {
  const table: [string, string, string[]][] = [
    // input, expected, failing variables
    ["$A", "alpha", []],
    ["${A}", "alpha", []],
    ["x-${A}-y", "x-alpha-y", []],
    ["$A.b", "alpha.b", []],
    ["${MISSING-def}", "def", []],
    ["${EMPTY-def}", "", []],
    ["${EMPTY:-def}", "def", []],
    ["${MISSING:-$DEF}", "default value", []],
    ["${MISSING:-${N}}", "123", []],
    ["${A+alt}", "alt", []],
    ["${MISSING+alt}", "", []],
    ["${EMPTY:+alt}", "", []],
    ["${A:+$DEF}", "default value", []],
    ["${MISSING:=set}/${MISSING}", "set/set", []],
    ["${MISSING=set}", "set", []],
    ["$$A", "$A", []],
    ["$${A}", "${A}", []],
    ["cost: 5$", "cost: 5$", []],
    ["$1", "$1", []],
    ["$MISSING", "", ["MISSING"]],
    ["${MISSING}", "", ["MISSING"]],
    ["${EMPTY}", "", ["EMPTY"]],
    ["${MISSING:?set it}", "", ["MISSING"]],
    ["${EMPTY?ok}", "", []],
    ["${EMPTY:?no}", "", ["EMPTY"]],
    ["${A:?no}", "alpha", []],
  ];
  for (const [input, want, failing] of table) {
    const r = substituteEnv(input, new Map(Object.entries(ENV)));
    assert.equal(r.value, want, input);
    assert.deepEqual(
      r.problems.map((p) => p.variable),
      failing,
      input,
    );
  }
});

test("substituteEnv: problems carry the reference and its offset", () => {
  const r = substituteEnv("host: ${HOST}:$PORT", new Map());
  assert.deepEqual(
    r.problems.map((p) => [p.variable, p.reference, p.offset]),
    [
      ["HOST", "${HOST}", 6],
      ["PORT", "$PORT", 14],
    ],
  );
  assert.match(r.problems[0]!.message, /HOST is not set/);
  const q = substituteEnv("${X:?please set X}", new Map());
  assert.match(q.problems[0]!.message, /please set X/);
  assert.equal(substituteEnv("${A", new Map()).problems[0]?.message, "unterminated ${ (missing })");
  assert.match(substituteEnv("${A B}", new Map()).problems[0]!.message, /bad substitution/);
});
