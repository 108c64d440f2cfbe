import type { Diagnostic } from "../diagnostics/index.js";
import {
  documentKind,
  isYamlMap,
  parseConfigPatch,
  V1ALPHA1_CONFLICT_CODE,
  valueAt,
  type YamlNode,
} from "../machineconfig/index.js";
import type { AppliedPatch } from "./render-node.js";

const setsValue = (v: YamlNode | undefined): boolean =>
  v !== undefined && v !== null && !(isYamlMap(v) && v.get("$patch") === "delete");

/**
 * The applied patches whose v1alpha1 document sets the field at `path` (dotted). Only strategic-merge patches are
 * searched: the configs these conflicts occur in have several documents, where Talos (and talform) refuse JSON6902.
 */
export function patchesSetting(applied: readonly AppliedPatch[], path: string): AppliedPatch[] {
  return applied.filter(({ text }) => {
    try {
      const patch = parseConfigPatch(text);
      return (
        patch.type === "strategic" &&
        patch.documents.some((d) => documentKind(d) === "v1alpha1" && setsValue(valueAt(d, path)))
      );
    } catch {
      return false; // it was applied, so it parses; a patch that does not cannot be the culprit
    }
  });
}

/**
 * A v1alpha1-conflict diagnostic of a rendered node, pointed at the talconfig patch entries that set the legacy
 * field (source: the first one; hint: all of them), so the user knows which patch to rewrite. Other diagnostics,
 * and conflicts no patch explains, are returned unchanged.
 */
export function attributeToPatches(d: Diagnostic, applied: readonly AppliedPatch[]): Diagnostic {
  if (d.code !== V1ALPHA1_CONFLICT_CODE || !d.path) return d;
  const culprits = patchesSetting(applied, d.path);
  const first = culprits[0];
  if (!first) return d;
  const names = culprits.map(({ ref }) => `${ref.path} (${ref.file ? ref.text : "inline"})`).join(", ");
  return { ...d, source: first.ref.source, hint: `${d.hint}; the legacy field comes from patch ${names}` };
}
