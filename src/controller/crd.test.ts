import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CRD_FILE, keepUnknownKeys, structuralSchema, talosClusterCrd, talosClusterCrdYaml } from "./crd.js";

test(`the committed ${CRD_FILE} is the generated one (run: node --import tsx scripts/gen-crd.ts)`, async () => {
  const committed = await readFile(fileURLToPath(new URL(`../../${CRD_FILE}`, import.meta.url)), "utf8");
  assert.equal(committed, talosClusterCrdYaml());
});

const cases: { name: string; input: Record<string, unknown>; want: Record<string, unknown> }[] = [
  {
    name: "$ref is inlined, additionalProperties:false and $schema dropped, required kept",
    input: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      additionalProperties: false,
      required: ["a"],
      properties: { a: { $ref: "#/$defs/A" } },
      $defs: { A: { type: "string", minLength: 1, deprecated: true } },
    },
    want: { type: "object", required: ["a"], properties: { a: { type: "string", minLength: 1 } } },
  },
  {
    name: "integer|string is int-or-string; the safe-integer bounds go, real bounds stay",
    input: {
      type: "object",
      properties: {
        s: { anyOf: [{ type: "integer", minimum: -9007199254740991 }, { type: "string" }] },
        n: { type: "integer", minimum: 1, maximum: 9007199254740991 },
      },
    },
    want: {
      type: "object",
      properties: { s: { "x-kubernetes-int-or-string": true }, n: { type: "integer", minimum: 1 } },
    },
  },
  {
    name: "maps keep their value schema, propertyNames goes; untyped values are preserved",
    input: {
      type: "object",
      properties: {
        labels: { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "string" } },
        options: { type: "object", additionalProperties: {} },
        any: {},
      },
    },
    want: {
      type: "object",
      properties: {
        labels: { type: "object", additionalProperties: { type: "string" } },
        options: { type: "object", additionalProperties: { "x-kubernetes-preserve-unknown-fields": true } },
        any: { "x-kubernetes-preserve-unknown-fields": true },
      },
    },
  },
  {
    name: "a recursive $ref is kept as an object with unknown fields",
    input: {
      type: "object",
      properties: { t: { $ref: "#/$defs/T" } },
      $defs: { T: { type: "object", properties: { child: { $ref: "#/$defs/T" } } } },
    },
    want: {
      type: "object",
      properties: {
        t: {
          type: "object",
          properties: { child: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      },
    },
  },
];

for (const c of cases)
  test(`structuralSchema: ${c.name}`, () => {
    assert.deepEqual(structuralSchema(c.input), c.want);
  });

test("every node of the generated CRD schema is structural: typed, or int-or-string / preserve-unknown-fields", () => {
  const crd = talosClusterCrd() as {
    spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const bad: string[] = [];
  const walk = (s: Record<string, unknown>, path: string) => {
    for (const k of ["$ref", "$schema", "anyOf", "oneOf", "propertyNames", "deprecated"])
      if (k in s) bad.push(`${path}: ${k}`);
    if (s["additionalProperties"] === false) bad.push(`${path}: additionalProperties false`);
    if (typeof s["type"] !== "string" && !s["x-kubernetes-int-or-string"] && !s["x-kubernetes-preserve-unknown-fields"])
      bad.push(`${path}: no type`);
    for (const [k, v] of Object.entries((s["properties"] ?? {}) as Record<string, Record<string, unknown>>))
      walk(v, `${path}.${k}`);
    if (s["items"]) walk(s["items"] as Record<string, unknown>, `${path}[]`);
    if (s["additionalProperties"] && typeof s["additionalProperties"] === "object")
      walk(s["additionalProperties"] as Record<string, unknown>, `${path}{}`);
  };
  walk(crd.spec.versions[0]!.schema.openAPIV3Schema, "");
  assert.deepEqual(bad, []);
  const inline = (
    crd.spec.versions[0]!.schema.openAPIV3Schema as {
      properties: { spec: { properties: { talconfig: { properties: { inline: { required: string[] } } } } } };
    }
  ).properties.spec.properties.talconfig.properties.inline;
  assert.deepEqual([...inline.required].sort(), ["clusterName", "endpoint", "kubernetesVersion", "nodes"]);
});

test("keepUnknownKeys: every object with properties keeps unknown keys, in arrays and maps too; maps and scalars unchanged", () => {
  const input = {
    type: "object",
    properties: {
      nodes: { type: "array", items: { type: "object", properties: { hostname: { type: "string" } } } },
      labels: { type: "object", additionalProperties: { type: "string" } },
      byName: { type: "object", additionalProperties: { type: "object", properties: { a: { type: "integer" } } } },
    },
  };
  assert.deepEqual(keepUnknownKeys(input), {
    type: "object",
    "x-kubernetes-preserve-unknown-fields": true,
    properties: {
      nodes: {
        type: "array",
        items: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { hostname: { type: "string" } },
        },
      },
      labels: { type: "object", additionalProperties: { type: "string" } },
      byName: {
        type: "object",
        additionalProperties: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { a: { type: "integer" } },
        },
      },
    },
  });
});
