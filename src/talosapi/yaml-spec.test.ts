import assert from "node:assert/strict";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { readYamlSpec } from "./yaml-spec.js";

test("a spec reads as yaml.parse reads it, each read its own copy", () => {
  const status = "stage: running\nstatus:\n    ready: true\n    unmetConditions: []\n";
  const first = readYamlSpec(status) as { status: { unmetConditions: string[] } };
  assert.deepEqual(first, parse(status));
  first.status.unmetConditions.push("changed by a caller");
  const second = readYamlSpec(status);
  assert.deepEqual(second, parse(status));
  assert.notEqual(second, first);
  for (const text of ["42\n", "~\n", "x\n", ".inf\n", "[1, {a: b}]\n", "a: !!str 1\n"])
    assert.deepEqual(readYamlSpec(text), parse(text), text);
  const config = "version: v1alpha1\nmachine:\n  type: worker\n---\nkind: HostnameConfig\nhostname: w1\n";
  assert.equal(readYamlSpec(stringify(config)), config);
  assert.equal(readYamlSpec(stringify(config, { blockQuote: "literal" })), config);
});

test("a spec YAML refuses still fails every time", () => {
  for (let i = 0; i < 2; i++) assert.throws(() => readYamlSpec("a: [\n"));
});
