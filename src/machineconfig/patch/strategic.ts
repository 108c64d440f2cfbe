import type { TalosContract } from "../../contract/index.js";
import { TalformError } from "../../diagnostics/index.js";
import { canonicalize } from "../schema/canonical.js";
import { documentShape, MERGE_BY_KEY, shapeVariantFor, type Shape } from "../schema/shape.js";
import { cloneNode, isYamlMap, type YamlMap, type YamlNode } from "../yaml/node.js";

/**
 * Talos's strategic-merge config patching (`configpatcher` + `merge.Merge` + `$patch: delete`), on ordered YAML data:
 *  - documents match by apiVersion/kind/name (the legacy v1alpha1 document by having no kind); unmatched patch
 *    documents are appended; a top-level `$patch: delete` removes a document;
 *  - `key: {$patch: delete}` deletes a key, `- {<key>: <value>, $patch: delete}` deletes list items, and deletes
 *    apply before the rest of the same patch is merged (so one patch can delete and re-add a list item);
 *  - maps merge key-wise; lists append, except `merge:"replace"` fields (replaced) and the lists Talos merges by a
 *    key (interfaces, vlans, admissionControl, configFiles); scalars replace, but "" and 0 never override (Go zero
 *    values), while booleans always do;
 *  - the result is re-shaped as Talos's decode/encode round trip does (field order, zero values, sorted maps).
 */

const DELETE = "$patch";

export function documentKind(doc: YamlMap): string {
  const kind = doc.get("kind");
  return typeof kind === "string" ? kind : "v1alpha1";
}

export function documentId(doc: YamlMap): string {
  const kind = documentKind(doc);
  if (kind === "v1alpha1") return "v1alpha1";
  const name = doc.get("name");
  return `${String(doc.get("apiVersion") ?? "")}/${kind}${typeof name === "string" ? `/${name}` : ""}`;
}

const isDeleteMarker = (v: YamlNode | undefined): boolean => isYamlMap(v) && v.get(DELETE) === "delete";

function patchError(message: string, hint?: string): TalformError {
  return new TalformError(`config patch: ${message}`, { code: "config-patch", ...(hint ? { hint } : {}) });
}

export interface PatchOptions {
  /** The Talos version whose machinery decodes and re-encodes the result (default: the newest talform knows). */
  readonly machinery?: TalosContract;
}

/** Applies strategic-merge patch documents to config documents; returns new documents (inputs are not modified). */
export function applyStrategicPatch(
  config: readonly YamlMap[],
  patch: readonly YamlMap[],
  options: PatchOptions = {},
): YamlMap[] {
  const variant = shapeVariantFor(options.machinery);
  if (options.machinery && !options.machinery.patchRepeatedDocumentsAllowed()) {
    const seen = new Set<string>();
    for (const p of patch) {
      const id = documentId(p);
      if (seen.has(id)) throw patchError(`document ${id} appears twice in one patch`, "split it into two patches");
      seen.add(id);
    }
  }
  let docs = config.map((d) => cloneNode(d));
  for (const p of patch) {
    const id = documentId(p);
    const index = docs.findIndex((d) => documentId(d) === id);
    if (
      p.get(DELETE) === "delete" &&
      [...p.keys()].every((k) => ["apiVersion", "kind", "name", "version", DELETE].includes(k))
    ) {
      if (id === "v1alpha1") throw patchError("can't delete the root of the legacy document");
      // Talos 1.14 skips deletes of absent documents (≤ 1.13 appended the selector, which then failed to decode).
      if (index >= 0) docs = docs.filter((_, i) => i !== index);
      continue;
    }
    const shape = documentShape(documentKind(p), variant) ?? { k: "unstructured" as const };
    if (index < 0) {
      docs.push(stripDeletes(p, [id]) as YamlMap);
      continue;
    }
    const left = docs[index]!;
    applyDeletes(left, p, [id]);
    docs[index] = merge(left, stripDeletes(p, [id]), shape) as YamlMap;
  }
  return docs.map((d) => {
    const shape = documentShape(documentKind(d), variant);
    return shape ? (canonicalize(d, shape) as YamlMap) : d;
  });
}

function selectorOf(item: YamlMap, path: readonly string[]): [string, YamlNode] {
  const key = [...item.keys()].find((k) => k !== DELETE);
  if (key === undefined)
    throw patchError(`${path.join(".")}: a list delete needs a selector key next to $patch: delete`);
  return [key, item.get(key)!];
}

/** Removes what the patch's `$patch: delete` markers select from `left` (in place). */
function applyDeletes(left: YamlNode, right: YamlNode, path: readonly string[]): void {
  if (!isYamlMap(right)) return;
  for (const [key, value] of right) {
    if (key === DELETE) continue;
    const here = [...path, key];
    if (isDeleteMarker(value)) {
      if (!isYamlMap(left) || !left.has(key))
        throw patchError(
          `${here.join(".")}: lookup failed, nothing to delete`,
          "remove the $patch: delete for a field the config does not have",
        );
      left.delete(key);
    } else if (isYamlMap(value)) {
      if (isYamlMap(left) && left.has(key)) applyDeletes(left.get(key)!, value, here);
      else if (containsDelete(value)) throw patchError(`${here.join(".")}: lookup failed, nothing to delete`);
    } else if (Array.isArray(value)) {
      const deletes = (value as readonly YamlNode[]).filter(isDeleteMarker) as YamlMap[];
      if (deletes.length === 0) continue;
      const current = isYamlMap(left) ? left.get(key) : undefined;
      if (!Array.isArray(current)) throw patchError(`${here.join(".")}: lookup failed, nothing to delete`);
      let items = current as readonly YamlNode[];
      for (const d of deletes) {
        const [selKey, selValue] = selectorOf(d, here);
        items = items.filter((item) => !(isYamlMap(item) && deepEqual(item.get(selKey), selValue)));
      }
      (left as YamlMap).set(key, items);
    }
  }
}

function containsDelete(node: YamlNode): boolean {
  if (isYamlMap(node)) return isDeleteMarker(node) || [...node.values()].some(containsDelete);
  if (Array.isArray(node)) return (node as readonly YamlNode[]).some(containsDelete);
  return false;
}

/** The patch without its delete markers (what remains to merge). */
function stripDeletes(node: YamlNode, path: readonly string[]): YamlNode {
  if (isYamlMap(node)) {
    const out: YamlMap = new Map();
    for (const [k, v] of node) {
      if (k === DELETE || isDeleteMarker(v)) continue;
      out.set(k, stripDeletes(v, [...path, k]));
    }
    return out;
  }
  if (Array.isArray(node)) {
    return (node as readonly YamlNode[])
      .filter((item) => !isDeleteMarker(item))
      .map((item, i) => {
        if (containsDelete(item))
          throw patchError(
            `${[...path, String(i)].join(".")}: cannot delete an inner key of a list item`,
            "delete the whole item with - {<key>: <value>, $patch: delete}",
          );
        return cloneNode(item);
      });
  }
  return node;
}

function deepEqual(a: YamlNode | undefined, b: YamlNode | undefined): boolean {
  if (isYamlMap(a) && isYamlMap(b))
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)));
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v: YamlNode, i: number) => deepEqual(v, (b as readonly YamlNode[])[i]));
  return a === b;
}

const unstructured: Shape = { k: "unstructured" };

function fieldShape(shape: Shape, key: string): { shape: Shape; replace: boolean } {
  if (shape.k === "ptr") return fieldShape(shape.elem, key);
  if (shape.k === "struct") {
    const f = shape.fields.find((x) => x.name === key);
    return f ? { shape: f.shape(), replace: f.replace } : { shape: unstructured, replace: false };
  }
  if (shape.k === "map") return { shape: shape.elem, replace: false };
  return { shape: unstructured, replace: false };
}

function merge(left: YamlNode | undefined, right: YamlNode, shape: Shape, replace = false): YamlNode {
  if (right === null) return left ?? null;
  if (left === undefined || left === null) return cloneNode(right);
  const s = shape.k === "ptr" ? shape.elem : shape;
  if (isYamlMap(right)) {
    if (replace && right.size > 0) return cloneNode(right);
    if (!isYamlMap(left)) return cloneNode(right);
    const out: YamlMap = new Map(left);
    for (const [k, v] of right) {
      const f = fieldShape(s, k);
      out.set(k, merge(left.get(k), v, f.shape, f.replace));
    }
    return out;
  }
  if (Array.isArray(right)) {
    const r = right as readonly YamlNode[];
    if (!Array.isArray(left) || (replace && r.length > 0)) return r.map((x) => cloneNode(x));
    const l = left as readonly YamlNode[];
    const keys = s.k === "list" ? MERGE_BY_KEY[s.type] : undefined;
    if (!keys || s.k !== "list") return [...l, ...r.map((x) => cloneNode(x))];
    const out = [...l];
    for (const item of r) {
      const i = out.findIndex(
        (x) =>
          isYamlMap(x) &&
          isYamlMap(item) &&
          keys.some((k) => item.get(k) !== undefined && deepEqual(x.get(k), item.get(k))),
      );
      if (i >= 0) out[i] = merge(out[i], item, s.elem);
      else out.push(cloneNode(item));
    }
    return out;
  }
  // Scalars: Go's merge never lets a zero value ("" or 0) override; booleans always do.
  if (right === "" || right === 0) return left;
  // URLs are Go structs: merged field by field, so a patch without a path keeps the config's path.
  if (s.k === "opaque" && URL_TYPES.has(s.type) && typeof left === "string" && typeof right === "string")
    return mergeUrl(left, right);
  return right;
}

const URL_TYPES = new Set(["v1alpha1.Endpoint", "meta.URL"]);
const URL_PARTS = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

function mergeUrl(left: string, right: string): string {
  const l = URL_PARTS.exec(left);
  const r = URL_PARTS.exec(right);
  if (!l || !r) return right;
  const part = (i: number): string | undefined => r[i] || l[i];
  const scheme = part(1);
  const host = part(2);
  const path = part(3) ?? "";
  const query = part(4);
  const fragment = part(5);
  return `${scheme ? `${scheme}:` : ""}${host !== undefined ? `//${host}` : ""}${path}${query ? `?${query}` : ""}${fragment ? `#${fragment}` : ""}`;
}
