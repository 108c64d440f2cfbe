import { compareGoKeys, goKeyLess } from "../../util/go-key-order.js";

/**
 * Ordered YAML data. Talos encodes Go structs (keys in struct field order) and Go maps (keys sorted by go-yaml's
 * "natural" key order); both become a `YamlMap` here, whose insertion order IS the output order. Plain JS objects are
 * avoided as document bodies because they reorder integer-like keys.
 */
export type YamlScalar = string | number | boolean | null | RawScalar;

/**
 * A plain scalar written exactly as given: the output of Talos types with their own YAML marshaller that emit a
 * tagged node go-yaml does not quote (FileMode's `!!int 0o644`).
 */
export class RawScalar {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}
export type YamlNode = YamlScalar | readonly YamlNode[] | YamlMap;
export type YamlMap = Map<string, YamlNode>;

export function isYamlMap(v: unknown): v is YamlMap {
  return v instanceof Map;
}

/**
 * Builds a struct-like map from `[key, value]` pairs in the given order; `undefined` values are dropped, which is how
 * Go's `omitempty` fields disappear.
 */
export function struct(entries: readonly (readonly [string, YamlNode | undefined])[]): YamlMap {
  const out: YamlMap = new Map();
  for (const [k, v] of entries) if (v !== undefined) out.set(k, v);
  return out;
}

/** A Go `map[string]T`: keys sorted as go-yaml sorts them. */
export function goMap(record: Readonly<Record<string, YamlNode>> | ReadonlyMap<string, YamlNode>): YamlMap {
  const entries = record instanceof Map ? [...record.entries()] : Object.entries(record);
  entries.sort(([a], [b]) => compareGoKeys(a, b));
  return new Map(entries);
}

export { goKeyLess };

/** Deep copy (maps keep their order). */
export function cloneNode<T extends YamlNode>(node: T): T {
  const n: YamlNode = node;
  if (isYamlMap(n)) {
    // A loop, not `new Map([...entries].map(…))`: genconfig copies whole configs per node, and the intermediate
    // arrays were garbage.
    const out: YamlMap = new Map();
    for (const [k, v] of n) out.set(k, cloneNode(v));
    return out as unknown as T;
  }
  if (Array.isArray(n)) return (n as readonly YamlNode[]).map((v) => cloneNode(v)) as unknown as T;
  return node;
}
