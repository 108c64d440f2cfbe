// talhelper's multidocs golden files (pkg/talos/testdata node{1..4}): the node keys' extra documents applied to a
// base config as one strategic-merge patch, compared byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { TalosContract } from "../src/contract/index.js";
import { nodeDocuments } from "../src/genconfig/index.js";
import { applyStrategicPatch, encodeDocuments, parseYamlDocuments, type YamlMap } from "../src/machineconfig/index.js";
import type { ResolvedNode } from "../src/talconfig/index.js";
import { referencePath } from "./support/oracles.js";

const read = (name: string) => readFileSync(referencePath("talhelper-fixtures", "multidocs", name), "utf8");

// The contracts the golden tests use (multidocs_test.go): 1.11 everywhere but node3 (1.12).
const CASES: [string, string][] = [
  ["node1", "v1.11.0"],
  ["node2", "v1.11.0"],
  ["node3", "v1.12.0"],
  ["node4", "v1.11.0"],
];

for (const [name, version] of CASES) {
  test(`multidocs ${name} (Talos ${version}) is byte-exact`, () => {
    const contract = TalosContract.parse(version)!;
    const input = parse(read(`${name}_input.yaml`)) as Record<string, unknown>;
    const node = { hostname: "", ignoreHostname: false, patches: [], ...input } as unknown as ResolvedNode;
    const base = read(`${name}_basecfg.yaml`);
    const extra = nodeDocuments(node, contract);
    // talhelper returns the base bytes unchanged when there is nothing to add.
    const out =
      extra.length === 0
        ? base
        : encodeDocuments(
            applyStrategicPatch(parseYamlDocuments(base).documents as YamlMap[], extra, { machinery: contract }),
          );
    assert.equal(out, read(`${name}_expected.yaml`));
  });
}
