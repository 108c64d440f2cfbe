import assert from "node:assert/strict";
import { test } from "node:test";
import { stringify } from "yaml";
import { yamlSpecOf } from "./spec-yaml.js";

// Pairs whose JSON is the same but whose YAML is not: a cache keyed by JSON must not hand one the other's text.
const LOOKALIKES: [string, unknown, unknown][] = [
  ["NaN and null", { v: NaN }, { v: null }],
  ["-0 and 0", { v: -0 }, { v: 0 }],
  ["Infinity and null", [Infinity], [null]],
  ["a Date and its ISO text", { at: new Date(0) }, { at: "1970-01-01T00:00:00.000Z" }],
  ["undefined and null in a list", [undefined], [null]],
  ["bytes and an index map", { b: new Uint8Array([1, 2]) }, { b: { 0: 1, 1: 2 } }],
  ["a Map and an object", { m: new Map([["a", 1]]) }, { m: {} }],
];

for (const [name, a, b] of LOOKALIKES) {
  test(`yamlSpecOf: ${name} keep their own YAML, in either order`, () => {
    for (const [first, second] of [
      [a, b],
      [b, a],
    ]) {
      assert.equal(yamlSpecOf(first), stringify(first));
      assert.equal(yamlSpecOf(second), stringify(second));
    }
  });
}

test("yamlSpecOf: plain specs read twice give stringify's text; strings are literal blocks", () => {
  const specs: unknown[] = [
    { stage: "running", status: { ready: true, unmetConditions: [] } },
    { metadata: { name: "siderolabs/iscsi-tools", version: "v0.2.0" }, a: undefined },
    [1, "two", { three: [3] }],
    "version: v1alpha1\nmachine:\n  type: worker\n",
    42,
    null,
  ];
  for (const spec of specs)
    for (let i = 0; i < 2; i++) {
      const want = typeof spec === "string" ? stringify(spec, { blockQuote: "literal" }) : stringify(spec);
      assert.equal(yamlSpecOf(spec), want, JSON.stringify(spec));
    }
});
