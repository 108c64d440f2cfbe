// Talos's own config-patcher fixtures (v1.13.9): strategic merge, JSON6902, `$patch: delete`, merge rules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { applyConfigPatches, applyStrategicPatch, parseConfigPatch } from "../src/machineconfig/patch/index.js";
import { canonicalize } from "../src/machineconfig/schema/canonical.js";
import { documentShape, shapeVariantFor } from "../src/machineconfig/schema/shape.js";
import { TalosContract } from "../src/contract/index.js";
import { encodeDocuments } from "../src/machineconfig/yaml/encode.js";
import type { YamlMap } from "../src/machineconfig/yaml/node.js";
import { parseYamlDocuments } from "../src/machineconfig/yaml/parse.js";
import { documentKind } from "../src/machineconfig/patch/strategic.js";
import { referencePath } from "./support/oracles.js";

const golden = referencePath("talos-golden");
const patcherDir = join(golden, "v1.13.9-configpatcher_testdata");
const read = (...parts: string[]): string => readFileSync(join(patcherDir, ...parts), "utf8");

// The fixtures come from Talos v1.13.9, so its machinery decodes and encodes them.
const machinery = TalosContract.of(1, 13);
const variant = shapeVariantFor(machinery);

/** Loads a config like `configloader.NewFromBytes`: decoded into Talos's types (i.e. canonical shape). */
function loadConfig(text: string): YamlMap[] {
  const { documents, errors } = parseYamlDocuments(text);
  assert.deepEqual(errors, []);
  return (documents as YamlMap[]).map((d) => canonicalize(d, documentShape(documentKind(d), variant)!) as YamlMap);
}
const patchesOf = (...files: string[]) => files.map((f) => parseConfigPatch(read(f), f));

const cases: [string, string, string[], string][] = [
  [
    "apply: strategic + JSON6902 on a single-document config",
    "apply/config.yaml",
    [
      "apply/strategic1.yaml",
      "apply/jsonpatch1.yaml",
      "apply/jsonpatch2.yaml",
      "apply/strategic2.yaml",
      "apply/strategic3.yaml",
    ],
    "apply/expected.yaml",
  ],
  [
    "apply: inline manifest with a leading empty line",
    "apply/config.yaml",
    ["apply/strategic4.yaml"],
    "apply/expected_manifests.yaml",
  ],
  [
    "auditPolicy is replaced, not merged",
    "auditpolicy/config.yaml",
    ["auditpolicy/patch1.yaml"],
    "auditpolicy/expected.yaml",
  ],
  [
    "multi-document: documents matched by kind/name, configFiles merged by mountPath",
    "multidoc/config.yaml",
    ["multidoc/strategic1.yaml", "multidoc/strategic2.yaml"],
    "multidoc/expected.yaml",
  ],
  [
    "$patch: delete of documents, keys and list items",
    "patchdelete/config.yaml",
    ["patchdelete/strategic1.yaml"],
    "patchdelete/expected.yaml",
  ],
  [
    "$patch: delete on a generated control-plane config",
    "patchdelete/controlplane_orig.yaml",
    ["patchdelete/strategic2.yaml", "patchdelete/strategic3.yaml", "patchdelete/strategic4.yaml"],
    "patchdelete/controlplane_expected.yaml",
  ],
  [
    "LinkConfig addresses: delete one, add one",
    "patchlink/base.yaml",
    ["patchlink/patch.yaml"],
    "patchlink/expected.yaml",
  ],
];

for (const [name, config, patches, expected] of cases) {
  test(`configpatcher ${name}`, () => {
    const out = applyConfigPatches(loadConfig(read(config)), patchesOf(...patches), { machinery });
    assert.equal(encodeDocuments(out), read(expected));
  });
}

test("configpatcher: JSON6902 on a multi-document config is refused with Talos's message", () => {
  assert.throws(
    () =>
      applyConfigPatches(
        loadConfig(read("multidoc/config.yaml")),
        patchesOf("multidoc/jsonpatch.yaml", "multidoc/strategic1.yaml"),
        { machinery },
      ),
    /JSON6902 patches are not supported for multi-document machine configuration/,
  );
});

test("configpatcher: deleting a missing key fails", () => {
  assert.throws(
    () =>
      applyConfigPatches(
        loadConfig(read("patchdeletemissing/config.yaml")),
        patchesOf("patchdeletemissing/strategic1.yaml"),
        { machinery },
      ),
    /lookup failed/,
  );
});

test("configpatcher: patch.yaml / patch.json / strategic.yaml load as the right patch type", () => {
  assert.equal(parseConfigPatch(read("patch.yaml")).type, "json6902");
  assert.equal(parseConfigPatch(read("patch.json")).type, "json6902");
  assert.equal(parseConfigPatch(read("strategic.yaml")).type, "strategic");
});

const strategicDir = join(golden, "v1.13.9-types_v1alpha1_testdata_strategic");
for (const name of readdirSync(strategicDir).sort()) {
  test(`v1alpha1 strategic merge ${name}: left + right = expected (as decoded configs)`, () => {
    const load = (f: string) => loadConfig(readFileSync(join(strategicDir, name, f), "utf8"));
    const merged = applyStrategicPatch(load("left.yaml"), load("right.yaml"), { machinery });
    assert.equal(encodeDocuments(merged), encodeDocuments(load("expected.yaml")));
  });
}
