import { test } from "node:test";
import assert from "node:assert/strict";
import { looksSopsEncrypted, parseEnvFile } from "./env-files.js";

test("parseEnvFile: KEY=value and KEY: value, quotes, export, comments, --- markers", () => {
  const text = "---\n# comment\nA=1\nB: two words # trailing\nexport C=\"quoted # kept\\n\"\nD: 'single'\nE=\n---\n";
  const { entries, problems } = parseEnvFile(text);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    entries.map((e) => [e.key, e.value, e.line]),
    [
      ["A", "1", 3],
      ["B", "two words", 4],
      ["C", "quoted # kept\n", 5],
      ["D", "single", 6],
      ["E", "", 7],
    ],
  );
  assert.deepEqual(parseEnvFile("  - not a pair\n").problems, [
    { line: 1, message: "cannot read line 1: expected KEY=value or KEY: value" },
  ]);
});

test("looksSopsEncrypted: YAML with sops metadata or dotenv sops_ lines", () => {
  assert.equal(looksSopsEncrypted("A: ENC[x]\nsops:\n  mac: y\n"), true);
  assert.equal(looksSopsEncrypted("A=ENC[x]\nsops_mac=y\n"), true);
  assert.equal(looksSopsEncrypted("A: b\n"), false);
  assert.equal(looksSopsEncrypted("a: [unclosed"), false);
});
