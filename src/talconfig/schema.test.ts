import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runCliCaptured } from "../cli/test-support.js";
import { talconfigJsonSchema, talconfigJsonSchemaText } from "./schema.js";

const COMMITTED = fileURLToPath(new URL("../../schema/talconfig.schema.json", import.meta.url));

test("the committed schema/talconfig.schema.json is the generated one (run: npm run talform -- schema > schema/talconfig.schema.json)", async () => {
  assert.equal(await readFile(COMMITTED, "utf8"), talconfigJsonSchemaText());
});

test("the JSON schema is strict and names the talhelper structures", () => {
  const s = talconfigJsonSchema() as {
    additionalProperties?: boolean;
    required?: string[];
    $defs: Record<string, { additionalProperties?: boolean; required?: string[] }>;
  };
  assert.equal(s.additionalProperties, false);
  assert.deepEqual([...(s.required ?? [])].sort(), ["clusterName", "endpoint", "kubernetesVersion", "nodes"]);
  for (const name of ["Node", "NodeConfigs", "Schematic", "NetworkInterface", "ImageFactory"])
    assert.equal(s.$defs[name]?.additionalProperties, false, name);
  assert.deepEqual(s.$defs.Node?.required, ["hostname", "ipAddress"]);
});

test("talform schema prints it", async () => {
  const r = await runCliCaptured(["schema"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, talconfigJsonSchemaText());
});
