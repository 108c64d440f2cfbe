// Conformance of the offline schematic ID against every reference vector in ../shared/reference:
//   schematic-vectors.yaml (factory unit/integration tests, talhelper tests, hash-checked real-world pairs),
//   schematic-edge-vectors.json (go-yaml v4 columns: quoting, literal blocks, overlay options),
//   talhelper-fixtures/schematic-id-vectors.json (talhelper tests, docs, live-factory IDs) and its installer URL vectors.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { canonicalSchematicYaml, parseSchematic, schematicId } from "../src/factory/index.js";

// Resolved from the repository root (this file lives in <root>/conformance/); the lead may swap this for
// conformance/support/oracles.ts `referencePath` when merging.
// From a git worktree (/work/wt/<area>) the shared folder is one level further up, so look upwards.
const repoRoot = fileURLToPath(new URL("../", import.meta.url));
const referenceRoot =
  [`${repoRoot}../shared/reference/`, `${repoRoot}../../shared/reference/`].find((p) => existsSync(p)) ?? `${repoRoot}../shared/reference/`;
const ref = (...parts: string[]): string => `${referenceRoot}${parts.join("/")}`;
const available = existsSync(ref("schematic-vectors.yaml"));

interface Vector {
  source: string;
  schematic: string;
  canonical: string;
  id: string;
}

describe("schematic-vectors.yaml", { skip: !available && "../shared/reference is not available" }, () => {
  const vectors = available ? (parse(readFileSync(ref("schematic-vectors.yaml"), "utf8")) as { vectors: Vector[] }).vectors : [];
  it("has vectors", () => assert.ok(vectors.length >= 25));
  vectors.forEach((v, i) => {
    it(`#${i} ${v.source.slice(0, 90)}`, () => {
      const s = parseSchematic(v.schematic);
      assert.equal(canonicalSchematicYaml(s), v.canonical);
      assert.equal(schematicId(s), v.id);
    });
  });
});

interface EdgeCase {
  input_json: unknown;
  canonical_yaml_v4: string;
  id_v4: string;
}

describe("schematic-edge-vectors.json (go-yaml v4)", { skip: !available && "../shared/reference is not available" }, () => {
  const cases = available ? (JSON.parse(readFileSync(ref("schematic-edge-vectors.json"), "utf8")) as { cases: EdgeCase[] }).cases : [];
  it("has cases", () => assert.ok(cases.length >= 7));
  cases.forEach((c, i) => {
    it(`edge case #${i}`, () => {
      const s = parseSchematic(JSON.stringify(c.input_json));
      assert.equal(canonicalSchematicYaml(s), c.canonical_yaml_v4);
      assert.equal(schematicId(s), c.id_v4);
    });
  });
});

interface TalhelperVectors {
  vectors: { canonical_yaml: string; id: string }[];
  installer_url_vectors_from_pkg_talos_schematic_test_go: {
    registryURL: string;
    mode?: string;
    secureboot?: boolean;
    version: string;
    schematic: string;
    installerURLTmpl?: string;
    expected: string;
  }[];
}

describe("talhelper schematic-id-vectors.json", { skip: !available && "../shared/reference is not available" }, () => {
  const data: TalhelperVectors | undefined = available
    ? (JSON.parse(readFileSync(ref("talhelper-fixtures", "schematic-id-vectors.json"), "utf8")) as TalhelperVectors)
    : undefined;
  data?.vectors.forEach((v, i) => {
    it(`id #${i} ${v.id.slice(0, 12)}`, () => {
      const s = parseSchematic(v.canonical_yaml);
      assert.equal(canonicalSchematicYaml(s), v.canonical_yaml);
      assert.equal(schematicId(s), v.id);
    });
  });
});
