import { test } from "node:test";
import assert from "node:assert/strict";
import type { Diagnostic } from "../diagnostics/index.js";
import type { PatchRef } from "../talconfig/index.js";
import { attributeToPatches, patchesSetting } from "./patch-attribution.js";
import type { AppliedPatch } from "./render-node.js";

const ref = (path: string, text: string, file?: string): PatchRef => ({
  scope: "node",
  text,
  path,
  source: { file: "talconfig.yaml", line: 3, col: 9 },
  ...(file ? { file } : {}),
});
const applied = (path: string, text: string, file?: string): AppliedPatch => ({
  ref: ref(path, file ? `@./${file}` : text, file),
  text,
});

const PATCHES = [
  applied(
    "controlPlane.patches[0]",
    "machine:\n  kubelet:\n    nodeIP:\n      validSubnets: [10.0.0.0/8]\n",
    "kubelet.yaml",
  ),
  applied(
    "nodes[0].patches[0]",
    "apiVersion: v1alpha1\nkind: KubeletConfig\nextraArgs: {a: b}\n---\nmachine:\n  kubelet:\n    extraArgs: {c: d}\n",
  ),
  applied("nodes[0].patches[1]", "machine:\n  kubelet:\n    $patch: delete\n"),
  applied("patches[0]", '[{"op": "add", "path": "/machine/kubelet", "value": {}}]'),
  applied("patches[1]", "machine:\n  network:\n    nameservers: [1.1.1.1]\n"),
];

test("patchesSetting: strategic patches whose v1alpha1 document sets the path or a field below it", () => {
  assert.deepEqual(
    patchesSetting(PATCHES, "machine.kubelet").map((p) => p.ref.path),
    ["controlPlane.patches[0]", "nodes[0].patches[0]"],
  );
  assert.deepEqual(
    patchesSetting(PATCHES, "machine.kubelet.nodeIP").map((p) => p.ref.path),
    ["controlPlane.patches[0]"],
  );
  assert.deepEqual(
    patchesSetting(PATCHES, "machine.network.nameservers").map((p) => p.ref.path),
    ["patches[1]"],
  );
  assert.deepEqual(patchesSetting(PATCHES, "cluster.proxy"), []);
});

test("attributeToPatches names every patch and points at the first; other diagnostics pass through", () => {
  const conflict: Diagnostic = {
    severity: "error",
    code: "v1alpha1-conflict",
    message: "n.yaml: kubelet config is already set in v1alpha1 config (.machine.kubelet)",
    path: "machine.kubelet",
    hint: "move it",
  };
  const d = attributeToPatches(conflict, PATCHES);
  assert.equal(
    d.hint,
    "move it; the legacy field comes from patch controlPlane.patches[0] (@./kubelet.yaml), nodes[0].patches[0] (inline)",
  );
  assert.deepEqual(d.source, { file: "talconfig.yaml", line: 3, col: 9 });
  const unexplained: Diagnostic = { ...conflict, path: "cluster.proxy" };
  assert.equal(attributeToPatches(unexplained, PATCHES), unexplained, "no patch sets it: unchanged");
  const other: Diagnostic = { severity: "error", code: "config-invalid", message: "x", path: "machine.kubelet" };
  assert.equal(attributeToPatches(other, PATCHES), other);
});
