import type { TalosContract } from "../contract/index.js";
import type { Diagnostic } from "../diagnostics/index.js";
import { documentId, documentKind } from "./patch/strategic.js";
import { documentShape, type FieldShape, type Shape } from "./schema/shape.js";
import { VERSION_DELTAS } from "./schema/version-deltas.generated.js";
import { isYamlMap, type YamlMap, type YamlNode } from "./yaml/node.js";
import { parseYamlDocuments, type YamlPosition } from "./yaml/parse.js";

/**
 * A strict machine-config decoder, rejecting what Talos's `configloader` rejects for the target version:
 *  - YAML syntax errors, duplicate keys, aliases;
 *  - documents that are not mappings, documents without `kind` that are not the legacy v1alpha1 document,
 *    `apiVersion`/`version` other than v1alpha1;
 *  - document kinds the target Talos minor does not register (e.g. `HostnameConfig` for 1.11);
 *  - unknown fields at any depth of a known document type, and fields the target minor does not have yet
 *    (e.g. `machine.install.grubUseUKICmdline` for 1.11) — Talos decodes with KnownFields(true);
 *  - structural type mismatches (a mapping where a list or scalar belongs, a non-boolean for a boolean field, a
 *    non-integer for an integer field);
 *  - duplicate documents (same apiVersion/kind/name), more than one v1alpha1 document, and link/VIP/volume kinds
 *    sharing a name (Talos's ConflictsWithKinds).
 * It does NOT run Talos's semantic validation (`Validate(mode)`: required fields, CIDR/URL syntax, role rules …).
 * Type checks inside types with their own YAML decoding (URLs, durations, CIDRs, PEM blocks) are not performed.
 */
export interface DecodedMachineConfig {
  readonly documents: YamlMap[];
  readonly errors: Diagnostic[];
}

const CONFLICTING_KINDS: readonly (readonly string[])[] = [
  [
    "LinkConfig",
    "BondConfig",
    "BridgeConfig",
    "VLANConfig",
    "DummyLinkConfig",
    "VRFConfig",
    "WireguardConfig",
    "VethConfig",
  ],
  ["Layer2VIPConfig", "HCloudVIPConfig"],
  ["UserVolumeConfig", "ExistingVolumeConfig"],
];

const LEGACY_KEYS = ["version", "debug", "persist", "machine", "cluster"];

/** The first minor (in `VERSION_DELTAS` order) that has `predicate`, for "needs Talos ≥ …" hints. */
function firstMinorWith(predicate: (delta: (typeof VERSION_DELTAS)[string]) => boolean): string | undefined {
  return Object.entries(VERSION_DELTAS).find(([, d]) => predicate(d))?.[0];
}

export function decodeMachineConfig(
  text: string,
  contract: TalosContract,
  file = "machine config",
): DecodedMachineConfig {
  const errors: Diagnostic[] = [];
  const parsed = parseYamlDocuments(text);
  const source = (p: YamlPosition | undefined) => (p ? { source: { file, line: p.line, col: p.col } } : {});
  parsed.errors.forEach((message, i) =>
    errors.push({
      severity: "error",
      code: "config-decode",
      message: `${file}: ${message}`,
      ...source(parsed.errorPositions[i]),
    }),
  );
  const checked = checkDocuments(parsed.documents, contract, (index, path) => source(parsed.positionOf(index, path)));
  return { documents: checked.documents, errors: [...errors, ...checked.errors] };
}

/**
 * The decoder's checks on documents already in memory (no positions in the diagnostics). For configs talform
 * renders itself: their text is `encodeDocuments` of these documents, which parses back to the same data (a property
 * test of the encoder), so this finds exactly what `decodeMachineConfig` on the text would, without the re-parse.
 */
export function decodeMachineDocuments(documents: readonly YamlNode[], contract: TalosContract): DecodedMachineConfig {
  return checkDocuments(documents, contract, () => ({}));
}

type Locate = (
  index: number,
  path: readonly (string | number)[],
) => { source?: { file: string; line: number; col: number } };

// The version deltas as sets, once per minor (the decoder runs once per rendered config).
const deltaSetCache = new WeakMap<
  (typeof VERSION_DELTAS)[string],
  { kinds: ReadonlySet<string>; absent: ReadonlySet<string>; extra: ReadonlySet<string> }
>();

function deltaSets(delta: (typeof VERSION_DELTAS)[string]) {
  let sets = deltaSetCache.get(delta);
  if (!sets) {
    sets = { kinds: new Set(delta.kinds), absent: new Set(delta.absent), extra: new Set(delta.extra) };
    deltaSetCache.set(delta, sets);
  }
  return sets;
}

function checkDocuments(input: readonly YamlNode[], contract: TalosContract, locate: Locate): DecodedMachineConfig {
  const errors: Diagnostic[] = [];
  const delta = VERSION_DELTAS[contract.name];
  if (!delta) {
    errors.push({
      severity: "error",
      code: "config-decode",
      message: `Talos ${contract.name} is not supported by talform's decoder`,
      hint: `use one of ${Object.keys(VERSION_DELTAS).join(", ")}`,
    });
    return { documents: [], errors };
  }
  const { kinds, absent, extra } = deltaSets(delta);

  const documents: YamlMap[] = [];
  const ids = new Map<string, number>();
  const namesByGroup = new Map<string, string>();
  input.forEach((doc, index) => {
    const at = (path: readonly (string | number)[]) => locate(index, path);
    const err = (message: string, path: readonly (string | number)[], hint?: string) =>
      errors.push({
        severity: "error",
        code: "config-decode",
        message,
        ...(hint ? { hint } : {}),
        ...(path.length > 0 ? { path: `document ${index + 1}: ${path.join(".")}` } : { path: `document ${index + 1}` }),
        ...at(path),
      });
    if (!isYamlMap(doc)) {
      err(`document ${index + 1} is not a mapping`, []);
      return;
    }
    const hasKind = doc.has("kind");
    if (!hasKind && !LEGACY_KEYS.some((k) => doc.has(k))) {
      err("document has no kind", [], "add apiVersion: v1alpha1 and kind: <DocumentKind>");
      return;
    }
    if (hasKind && doc.get("apiVersion") !== "v1alpha1") {
      err(`${String(doc.get("kind"))}: apiVersion must be v1alpha1`, ["apiVersion"]);
    }
    if (!hasKind && doc.get("version") !== "v1alpha1") {
      err('the legacy config document needs "version: v1alpha1"', ["version"]);
    }
    const kind = documentKind(doc);
    if (!kinds.has(kind)) {
      const since = firstMinorWith((d) => d.kinds.includes(kind));
      err(
        `unknown document kind "${kind}" for Talos ${contract.name}`,
        ["kind"],
        since
          ? `${kind} needs Talos ${since} or newer; generate for that version or drop the document`
          : "check the kind's spelling",
      );
      return;
    }
    const id = documentId(doc);
    if (ids.has(id))
      err(
        `duplicate document ${kind === "v1alpha1" ? "v1alpha1 (legacy config)" : id} is not allowed`,
        [],
        `merge it with document ${ids.get(id)! + 1}`,
      );
    else ids.set(id, index);
    const name = doc.get("name");
    const group = CONFLICTING_KINDS.findIndex((g) => g.includes(kind));
    if (group >= 0 && typeof name === "string") {
      const key = `${group}/${name}`;
      const other = namesByGroup.get(key);
      if (other && other !== kind)
        err(
          `${kind} "${name}" conflicts with ${other} "${name}"`,
          ["name"],
          "each link/VIP/volume name may be configured by one kind only",
        );
      else namesByGroup.set(key, kind);
    }
    const shape = documentShape(kind);
    if (shape) checkNode(doc, shape, [], { absent, extra, contract, err });
    documents.push(doc);
  });
  return { documents, errors };
}

interface CheckContext {
  readonly absent: ReadonlySet<string>;
  /** Fields only this minor has (not in the newest type table): accepted, their values not type-checked. */
  readonly extra: ReadonlySet<string>;
  readonly contract: TalosContract;
  readonly err: (message: string, path: readonly (string | number)[], hint?: string) => void;
}

const describe = (v: YamlNode): string =>
  v === null
    ? "null"
    : isYamlMap(v)
      ? "a mapping"
      : Array.isArray(v)
        ? "a list"
        : typeof v === "string"
          ? "a string"
          : typeof v === "number"
            ? "a number"
            : "a boolean";
const META_FIELDS = new Set(["apiVersion", "kind"]);
// go-yaml accepts YAML 1.1 booleans for Go bool fields (talform also accepts them quoted — Talos would not).
const YAML11_BOOL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

// Struct shapes are shared and immutable: their fields by name, built once per shape.
const fieldMaps = new WeakMap<Shape, ReadonlyMap<string, FieldShape>>();

function fieldsByName(shape: Extract<Shape, { k: "struct" }>): ReadonlyMap<string, FieldShape> {
  let map = fieldMaps.get(shape);
  if (!map) {
    const byName = new Map<string, FieldShape>();
    for (const f of shape.fields) if (!byName.has(f.name)) byName.set(f.name, f); // the first wins, as a search would
    fieldMaps.set(shape, (map = byName));
  }
  return map;
}

// Fields a minor does not have, by struct type: checkNode asks for every field of every config, so the set of
// "type.field" strings is split once per set.
const absentByType = new WeakMap<ReadonlySet<string>, ReadonlyMap<string, ReadonlySet<string>>>();

function absentFields(absent: ReadonlySet<string>, type: string): ReadonlySet<string> | undefined {
  let byType = absentByType.get(absent);
  if (!byType) {
    const m = new Map<string, Set<string>>();
    for (const entry of absent) {
      const dot = entry.lastIndexOf(".");
      const t = entry.slice(0, dot);
      let fields = m.get(t);
      if (!fields) m.set(t, (fields = new Set()));
      fields.add(entry.slice(dot + 1));
    }
    absentByType.set(absent, (byType = m));
  }
  return byType.get(type);
}

/**
 * Checks `node` against `shape`. `path` is the node's path, a stack this extends and restores while it descends (a
 * copy per visited field was most of the decoder's garbage); diagnostics get copies.
 */
function checkNode(node: YamlNode, shape: Shape, path: (string | number)[], ctx: CheckContext): void {
  if (node === null) return; // null decodes to the zero value
  switch (shape.k) {
    case "ptr":
      checkNode(node, shape.elem, path, ctx);
      return;
    case "struct": {
      if (!isYamlMap(node)) {
        ctx.err(`${path.join(".") || "document"}: expected a mapping, got ${describe(node)}`, [...path]);
        return;
      }
      const fields = fieldsByName(shape);
      const absent = absentFields(ctx.absent, shape.type);
      for (const [key, value] of node) {
        const field = fields.get(key);
        if (!field) {
          if (path.length === 0 && META_FIELDS.has(key)) continue;
          if (ctx.extra.has(`${shape.type}.${key}`)) continue;
          ctx.err(
            `unknown field "${[...path, key].join(".")}"`,
            [...path, key],
            "remove it or check its spelling against the Talos configuration reference",
          );
          continue;
        }
        if (key.includes(".") ? ctx.absent.has(`${shape.type}.${key}`) : absent?.has(key)) {
          const since = firstMinorWith((d) => !d.absent.includes(`${shape.type}.${key}`));
          ctx.err(
            `field "${[...path, key].join(".")}" is not supported by Talos ${ctx.contract.name}`,
            [...path, key],
            since ? `it needs Talos ${since} or newer` : undefined,
          );
          continue;
        }
        path.push(key);
        checkNode(value, field.shape(), path, ctx);
        path.pop();
      }
      return;
    }
    case "list":
      if (!Array.isArray(node)) {
        ctx.err(`${path.join(".")}: expected a list, got ${describe(node)}`, [...path]);
        return;
      }
      (node as readonly YamlNode[]).forEach((item, i) => {
        path.push(i);
        checkNode(item, shape.elem, path, ctx);
        path.pop();
      });
      return;
    case "map":
      if (!isYamlMap(node)) {
        ctx.err(`${path.join(".")}: expected a mapping, got ${describe(node)}`, [...path]);
        return;
      }
      for (const [k, v] of node) {
        path.push(k);
        checkNode(v, shape.elem, path, ctx);
        path.pop();
      }
      return;
    case "scalar":
      if (isYamlMap(node) || Array.isArray(node))
        ctx.err(
          `${path.join(".")}: expected a ${shape.go === "string" ? "string" : shape.go === "bool" ? "boolean" : "number"}, got ${describe(node)}`,
          [...path],
        );
      else if (
        shape.go === "bool" &&
        typeof node !== "boolean" &&
        !(typeof node === "string" && YAML11_BOOL.test(node))
      )
        ctx.err(`${path.join(".")}: expected true or false, got ${JSON.stringify(node)}`, [...path]);
      else if (shape.go === "int" && !(typeof node === "number" && Number.isInteger(node)))
        ctx.err(`${path.join(".")}: expected an integer, got ${JSON.stringify(node)}`, [...path]);
      return;
    case "unstructured":
    case "opaque":
      return;
  }
}
