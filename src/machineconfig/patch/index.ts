import { TalformError } from "../../diagnostics/index.js";
import { canonicalize } from "../schema/canonical.js";
import { documentShape, shapeVariantFor } from "../schema/shape.js";
import { cloneNode, isYamlMap, type YamlMap } from "../yaml/node.js";
import { parseYamlDocuments } from "../yaml/parse.js";
import { applyJsonPatch, toJsonPatch, type JsonPatchOperation } from "./json6902.js";
import { applyStrategicPatch, documentKind, type PatchOptions } from "./strategic.js";

export { applyStrategicPatch, documentId, documentKind, type PatchOptions } from "./strategic.js";
export { applyJsonPatch, toJsonPatch, type JsonPatchOperation } from "./json6902.js";

export type ConfigPatch =
  | { readonly type: "strategic"; readonly documents: readonly YamlMap[] }
  | { readonly type: "json6902"; readonly operations: readonly JsonPatchOperation[] };

/**
 * Reads one patch file the way `talosctl --config-patch` does: YAML documents of maps are a strategic-merge patch,
 * a list (YAML or JSON) is an RFC 6902 JSON patch, and an empty file is an empty JSON patch.
 */
export function parseConfigPatch(text: string, source = "patch"): ConfigPatch {
  const cached = parsedStrategicPatches.get(text);
  if (cached) return { type: "strategic", documents: cached.map((d) => cloneNode(d)) };
  const patch = parseConfigPatchText(text, source);
  if (patch.type === "strategic") {
    if (parsedStrategicPatches.size >= PARSED_PATCHES_MAX) parsedStrategicPatches.clear();
    parsedStrategicPatches.set(
      text,
      patch.documents.map((d) => cloneNode(d)),
    );
  }
  return patch;
}

// genconfig applies the same group and global patches to every node: each text is parsed once and every use gets
// its own copy (patching may share nodes of the patch with the result, which later steps may change).
const parsedStrategicPatches = new Map<string, readonly YamlMap[]>();
const PARSED_PATCHES_MAX = 64;

function parseConfigPatchText(text: string, source: string): ConfigPatch {
  const { documents, errors } = parseYamlDocuments(text);
  if (errors.length > 0) throw new TalformError(`${source}: ${errors[0]}`, { code: "config-patch" });
  if (documents.length === 0) return { type: "json6902", operations: [] };
  if (documents.length === 1 && Array.isArray(documents[0]))
    return { type: "json6902", operations: toJsonPatch(documents[0]) };
  if (!documents.every(isYamlMap))
    throw new TalformError(
      `${source}: not a strategic-merge patch (documents must be maps) nor a JSON patch (a list of operations)`,
      { code: "config-patch" },
    );
  return { type: "strategic", documents: documents as YamlMap[] };
}

/** Applies patches in order, as Talos's `configpatcher.Apply` does. */
export function applyConfigPatches(
  config: readonly YamlMap[],
  patches: readonly ConfigPatch[],
  options: PatchOptions = {},
): YamlMap[] {
  let docs = [...config];
  for (const patch of patches) {
    if (patch.type === "strategic") {
      docs = applyStrategicPatch(docs, patch.documents, options);
      continue;
    }
    if (docs.length !== 1) {
      throw new TalformError("JSON6902 patches are not supported for multi-document machine configuration", {
        code: "config-patch",
        hint: "rewrite the JSON patch as a strategic-merge patch (a YAML document with the fields to set, `$patch: delete` to remove)",
      });
    }
    const patched = applyJsonPatch(docs[0]!, patch.operations);
    if (!isYamlMap(patched))
      throw new TalformError("JSON patch: the result is not a config document", { code: "config-patch" });
    const shape = documentShape(documentKind(patched), shapeVariantFor(options.machinery));
    docs = [shape ? (canonicalize(patched, shape) as YamlMap) : patched];
  }
  return docs;
}

/**
 * `talosctl --config-patch` argument forms: `@file` or a bare file name (no whitespace, not starting with `[`/`{`)
 * is read with `readFile`; anything else is the patch text itself. Consecutive JSON patches are concatenated.
 * (talhelper's sops decryption and env substitution happen in `readFile`, supplied by the caller.)
 */
export function loadConfigPatches(specs: readonly string[], readFile: (path: string) => string): ConfigPatch[] {
  const out: ConfigPatch[] = [];
  for (const spec of specs) {
    const isFile =
      spec.startsWith("@") || (!/\s/.test(spec) && !spec.startsWith("[") && !spec.startsWith("{") && spec !== "");
    const path = spec.startsWith("@") ? spec.slice(1) : spec;
    const patch = parseConfigPatch(isFile ? readFile(path) : spec, isFile ? path : "inline patch");
    const last = out[out.length - 1];
    if (patch.type === "json6902" && last?.type === "json6902")
      out[out.length - 1] = { type: "json6902", operations: [...last.operations, ...patch.operations] };
    else out.push(patch);
  }
  return out;
}
