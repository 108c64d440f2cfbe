import type { TalosContract } from "../../contract/index.js";
import { GO_TYPES, KIND_TYPES } from "./go-types.generated.js";

/**
 * The YAML shape of a Talos config document, resolved from the Go type table (`go-types.generated.ts`). Talos decodes
 * every document into Go structs and encodes it back, so after a patch the output key order is the struct field
 * order, Go maps are sorted, non-omitempty fields appear with zero values — this module tells the patcher which.
 */
export type Shape =
  | { readonly k: "struct"; readonly type: string; readonly fields: readonly FieldShape[] }
  | { readonly k: "ptr"; readonly elem: Shape }
  | { readonly k: "list"; readonly type: string; readonly elem: Shape }
  | { readonly k: "map"; readonly elem: Shape }
  | { readonly k: "scalar"; readonly go: "string" | "bool" | "int" | "float" }
  /** `map[string]any` / `meta.Unstructured`: any YAML, maps sorted. */
  | { readonly k: "unstructured" }
  /** A type with its own YAML marshaller or from outside the config types: passed through as written. */
  | { readonly k: "opaque"; readonly type: string };

export interface FieldShape {
  readonly name: string;
  readonly shape: () => Shape;
  readonly omitempty: boolean;
  /** `merge:"replace"`: a patch replaces the list/map instead of appending. */
  readonly replace: boolean;
}

/**
 * The type table is read from the newest machinery; encodings that older machinery wrote differently are listed
 * here, each behind a contract predicate (the shape follows the Talos version that encodes the document).
 */
export interface ShapeVariant {
  /** `cluster.controlPlane` is omitempty (Talos ≥ 1.14); older machinery writes `controlPlane: null`. */
  readonly clusterControlPlaneOmitEmpty: boolean;
}

export function shapeVariantFor(contract: TalosContract | undefined): ShapeVariant {
  return { clusterControlPlaneOmitEmpty: contract ? contract.clusterControlPlaneOmitEmpty() : true };
}

const NEWEST: ShapeVariant = { clusterControlPlaneOmitEmpty: true };
const caches = new Map<string, Map<string, Shape>>();
// shapeOf runs for every field the patcher and decoder visit: the variant object is mapped to its cache once, so the
// hot path is two map lookups (shapeVariantFor makes a new object per call, hence the key by value behind it).
const cacheByVariant = new WeakMap<ShapeVariant, Map<string, Shape>>();

function cacheFor(variant: ShapeVariant): Map<string, Shape> {
  let cache = cacheByVariant.get(variant);
  if (cache) return cache;
  const key = JSON.stringify(variant);
  cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new Map()));
  cacheByVariant.set(variant, cache);
  return cache;
}

const SCALARS: Record<string, "string" | "bool" | "int" | "float"> = {
  string: "string",
  bool: "bool",
  int: "int",
  int8: "int",
  int16: "int",
  int32: "int",
  int64: "int",
  uint: "int",
  uint8: "int",
  uint16: "int",
  uint32: "int",
  uint64: "int",
  float32: "float",
  float64: "float",
};

export function shapeOf(goType: string, variant: ShapeVariant = NEWEST): Shape {
  const cache = cacheFor(variant);
  const hit = cache.get(goType);
  if (hit) return hit;
  const shape = resolve(goType, variant);
  cache.set(goType, shape);
  return shape;
}

function resolve(t: string, v: ShapeVariant): Shape {
  if (t.startsWith("*")) return { k: "ptr", elem: shapeOf(t.slice(1), v) };
  if (t === "[]byte") return { k: "opaque", type: t };
  if (t.startsWith("[]")) return { k: "list", type: t, elem: shapeOf(t.slice(2), v) };
  const m = /^map\[\w+\](.+)$/.exec(t);
  if (m)
    return m[1] === "any" || m[1]!.startsWith("interface")
      ? { k: "unstructured" }
      : { k: "map", elem: shapeOf(m[1]!, v) };
  const scalar = SCALARS[t];
  if (scalar) return { k: "scalar", go: scalar };
  if (t === "any" || t.startsWith("interface")) return { k: "unstructured" };
  if (t === "meta.Unstructured") return { k: "unstructured" };
  const def = GO_TYPES[t];
  if (!def || def.c) return { k: "opaque", type: t };
  if (def.t !== undefined) {
    const inner = shapeOf(def.t, v);
    return inner.k === "list" ? { ...inner, type: t } : inner;
  }
  const fields: FieldShape[] = [];
  for (const [name, type, flags] of def.s ?? []) {
    if (flags.includes("i")) {
      const inner = shapeOf(type, v);
      if (inner.k === "struct") fields.push(...inner.fields);
      else return inner; // an inline map makes the whole struct a map
      continue;
    }
    let omitempty = flags.includes("o");
    if (t === "v1alpha1.ClusterConfig" && name === "controlPlane") omitempty = v.clusterControlPlaneOmitEmpty;
    // Resolved on first use (types refer to each other recursively), then kept.
    let resolved: Shape | undefined;
    fields.push({ name, shape: () => (resolved ??= shapeOf(type, v)), omitempty, replace: flags.includes("r") });
  }
  return { k: "struct", type: t, fields };
}

/** The shape of a whole document of `kind` ("v1alpha1" for the legacy document), or undefined for unknown kinds. */
export function documentShape(kind: string, variant: ShapeVariant = NEWEST): Shape | undefined {
  const t = KIND_TYPES[kind];
  return t ? shapeOf(t, variant) : undefined;
}

/** Lists whose items Talos merges by a key (custom `Merge` implementations) instead of appending. */
export const MERGE_BY_KEY: Readonly<Record<string, readonly string[]>> = {
  "v1alpha1.NetworkDeviceList": ["interface", "deviceSelector"],
  "v1alpha1.VlanList": ["vlanId"],
  "v1alpha1.AdmissionPluginConfigList": ["name"],
  "extensions.ConfigFileList": ["mountPath"],
};

export const ALL_KINDS: readonly string[] = Object.keys(KIND_TYPES);
