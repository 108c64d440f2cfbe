import { goMap, isYamlMap, RawScalar, type YamlMap, type YamlNode } from "../yaml/node.js";
import { formatGoDuration, parseGoDuration } from "./go-duration.js";
import type { Shape } from "./shape.js";

/**
 * Re-shapes a document the way Talos's decode → encode round trip does: struct fields in Go field order, omitempty
 * fields dropped when zero, non-omitempty fields present (with Go zero values), Go maps and unstructured maps sorted.
 * Keys the type does not know are kept at the end in their original order (the strict decoder reports them).
 */
export function canonicalize(node: YamlNode | undefined, shape: Shape): YamlNode {
  switch (shape.k) {
    case "ptr":
      return node === null || node === undefined ? null : canonicalize(node, shape.elem);
    case "struct": {
      const src = isYamlMap(node) ? node : new Map<string, YamlNode>();
      const out: YamlMap = new Map();
      const known = fieldNames(shape);
      for (const f of shape.fields) {
        const fs = f.shape();
        const v = src.get(f.name);
        if (v === undefined) {
          if (!f.omitempty) out.set(f.name, zeroOf(fs));
          continue;
        }
        const c = canonicalize(v, fs);
        if (f.omitempty && isZero(c, fs)) continue;
        out.set(f.name, c);
      }
      for (const [k, v] of src) if (!known.has(k)) out.set(k, v);
      return out;
    }
    case "list": {
      if (!Array.isArray(node)) return [];
      const items = (node as readonly YamlNode[]).map((item) => canonicalize(item, shape.elem));
      return shape.type === "v1alpha1.ClusterInlineManifests" ? items.map(trimManifestContents) : items;
    }
    case "map":
      return isYamlMap(node) ? goMap(new Map([...node].map(([k, v]) => [k, canonicalize(v, shape.elem)]))) : new Map();
    case "scalar":
      if (node === null || node === undefined) return zeroOf(shape);
      // go-yaml decodes YAML 1.1 booleans (yes/on/…) into bool fields; they re-encode as true/false.
      if (shape.go === "bool" && typeof node === "string" && /^(?:y|Y|yes|Yes|YES|on|On|ON)$/.test(node)) return true;
      if (shape.go === "bool" && typeof node === "string" && /^(?:n|N|no|No|NO|off|Off|OFF)$/.test(node)) return false;
      // go-yaml decodes any scalar into a string field as its text (`max-pods: 200` → "200"); Talos writes it quoted.
      if (shape.go === "string" && (typeof node === "number" || typeof node === "boolean")) return goScalarText(node);
      return node;
    case "unstructured":
      return node === null || node === undefined ? new Map() : sortDeep(node);
    case "opaque":
      // Talos writes file modes in octal (`FileMode.MarshalYAML`: `0o644`); a decoded number is re-encoded so.
      if (shape.type === "v1alpha1.FileMode" && typeof node === "number" && Number.isInteger(node) && node >= 0)
        return new RawScalar(`0o${node.toString(8)}`);
      // time.Duration decodes with time.ParseDuration and encodes with Duration.String (`5m` → `5m0s`).
      if (shape.type === "time.Duration" && typeof node === "string") {
        const ns = parseGoDuration(node);
        if (ns !== undefined) return formatGoDuration(ns);
      }
      // meta.ArgValue (extraArgs values) decodes a scalar as a string or a list as strings, and writes them so.
      if (shape.type === "meta.ArgValue") return argValue(node);
      // A FileMode is a uint32, never nil: an absent or null one is 0 and written `0o0`.
      if (shape.type === "v1alpha1.FileMode" && (node === null || node === undefined)) return new RawScalar("0o0");
      return node === undefined ? null : node;
  }
}

// Struct shapes are shared and immutable: their field names, collected once per shape (canonicalize runs on every
// struct of every rendered config).
const fieldNameSets = new WeakMap<Shape, ReadonlySet<string>>();

function fieldNames(shape: Extract<Shape, { k: "struct" }>): ReadonlySet<string> {
  let names = fieldNameSets.get(shape);
  if (!names) fieldNameSets.set(shape, (names = new Set(shape.fields.map((f) => f.name))));
  return names;
}

function sortDeep(node: YamlNode): YamlNode {
  if (isYamlMap(node)) return goMap(new Map([...node].map(([k, v]) => [k, sortDeep(v)])));
  if (Array.isArray(node)) return (node as readonly YamlNode[]).map(sortDeep);
  return node;
}

export function zeroOf(shape: Shape): YamlNode {
  switch (shape.k) {
    case "scalar":
      return shape.go === "string" ? "" : shape.go === "bool" ? false : 0;
    case "list":
      return [];
    case "map":
    case "unstructured":
      return new Map();
    case "struct":
      return canonicalize(new Map(), shape);
    case "ptr":
      return null;
    case "opaque":
      return shape.type === "v1alpha1.FileMode" ? new RawScalar("0o0") : null;
  }
}

/**
 * The text of a number or boolean the way it reads in YAML, which is what go-yaml stores in a string field. The
 * parser keeps values, not source text, so a non-canonical spelling (`0x10`, `1_000`, `1.50`) reads canonically.
 */
function argValue(node: YamlNode | undefined): YamlNode {
  if (typeof node === "number" || typeof node === "boolean") return goScalarText(node);
  if (Array.isArray(node))
    return (node as readonly YamlNode[]).map((v) =>
      typeof v === "number" || typeof v === "boolean" ? goScalarText(v) : v,
    );
  return node === undefined ? null : node;
}

function goScalarText(v: number | boolean): string {
  return String(v);
}

/** go-yaml's omitempty test. */
export function isZero(node: YamlNode, shape: Shape): boolean {
  switch (shape.k) {
    case "ptr":
      return node === null;
    case "scalar":
      return node === null || node === "" || node === 0 || node === false;
    case "list":
      return !Array.isArray(node) || node.length === 0;
    case "map":
    case "unstructured":
      return node === null || (isYamlMap(node) && node.size === 0);
    case "struct":
      return isYamlMap(node)
        ? shape.fields.every((f) => !node.has(f.name) || isZero(node.get(f.name)!, f.shape())) &&
            [...node.keys()].every((k) => shape.fields.some((f) => f.name === k))
        : node === null;
    case "opaque":
      return (
        node === null ||
        node === "" ||
        (isYamlMap(node) && node.size === 0) ||
        (Array.isArray(node) && node.length === 0)
      );
  }
}

/** Talos's decoder strips leading whitespace other than spaces from inline manifest contents. */
function trimManifestContents(item: YamlNode): YamlNode {
  if (!isYamlMap(item)) return item;
  const contents = item.get("contents");
  if (typeof contents !== "string") return item;
  return new Map([...item].map(([k, v]) => [k, k === "contents" ? contents.replace(/^[\t\n\v\f\r]+/, "") : v]));
}
