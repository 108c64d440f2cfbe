import { Document, isMap, isScalar, isSeq, Pair, parseAllDocuments, Scalar, YAMLMap, type Node } from "yaml";
import type { MigrationTarget } from "./rules.js";

/**
 * Rewrites one strategic-merge patch (YAML text, possibly several documents) for a migration target: the legacy
 * v1alpha1 fields the target moved into documents become patches of those documents. Works on the yaml package's
 * Document model, so comments and the formatting of untouched parts survive; a moved field keeps the comments written
 * on and above it.
 */

/** Which machines a patch applies to (from where the talconfig lists it). */
export type PatchScope = "controlplane" | "worker" | "all";

export interface MigratedPatch {
  /** The rewritten patch, or undefined when nothing changed. */
  readonly text: string | undefined;
  /**
   * Documents only control planes accept, split out of an `all`-scoped patch (they belong in controlPlane.patches);
   * undefined when there are none.
   */
  readonly controlPlaneText: string | undefined;
  /** What was moved, dropped, or left and why — one line each. */
  readonly notes: readonly string[];
}

const TO_STRING = { lineWidth: 0, flowCollectionPadding: false } as const;

const isLegacyDocument = (contents: unknown): contents is YAMLMap =>
  isMap(contents) &&
  !contents.has("kind") &&
  ["machine", "cluster", "version", "debug", "persist"].some((k) => contents.has(k));

/** Migrates `text`; a text that is not YAML, or JSON6902 (a list), is left alone with a note. */
export function migratePatchText(text: string, scope: PatchScope, target: MigrationTarget): MigratedPatch {
  // talhelper renders patch files as Go templates; `{{ … }}` even parses as YAML (a flow map), so look first.
  if (text.includes("{{"))
    return {
      text: undefined,
      controlPlaneText: undefined,
      notes: ["not migrated: a Go template (migrate the template by hand)"],
    };
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) {
    return {
      text: undefined,
      controlPlaneText: undefined,
      notes: ["not migrated: not parseable as YAML (templated or encrypted?)"],
    };
  }
  if (docs.some((d) => isSeq(d.contents))) {
    return {
      text: undefined,
      controlPlaneText: undefined,
      notes: [
        "not migrated: a JSON6902 patch (Talos applies JSON6902 only to single-document configs, i.e. before 1.12)",
      ],
    };
  }
  const notes: string[] = [];
  const created = new Map<string, Document>();
  const legacy = new Set(docs.filter((d) => isLegacyDocument(d.contents)));
  const others = docs.filter((d) => !legacy.has(d));
  const listed: Document[] = [];
  let changed = false;

  for (const doc of legacy) {
    const root = doc.contents as YAMLMap;
    const target$ = (kind: string): YAMLMap => documentFor(kind, others, created);
    for (const m of target.moves) {
      const pair = takePair(root, m.from);
      if (!pair) continue;
      changed = true;
      const value = m.transform === "negate" ? negate(pair.value) : pair.value;
      putPair(target$(m.kind), m.to, pair, value);
      notes.push(`${m.from} → ${m.kind} ${m.to}${m.transform === "negate" ? " (negated)" : ""}`);
    }
    for (const d of target.drops) {
      const at = pairAt(root, d.from);
      if (!at || !isScalar(at.value) || at.value.value !== d.value) continue;
      takePair(root, d.from);
      changed = true;
      notes.push(`${d.from}: ${String(d.value)} dropped: ${d.why}`);
    }
    for (const l of target.lists) {
      const pair = takePair(root, l.from);
      if (!pair) continue;
      changed = true;
      const items = isSeq(pair.value) ? pair.value.items : [];
      for (const item of items) {
        const name = isMap(item) ? item.get("name") : undefined;
        const d = new Document({ apiVersion: "v1alpha1", kind: l.kind });
        if (isMap(item)) for (const p of item.items) (d.contents as YAMLMap).items.push(p);
        listed.push(d);
        notes.push(`${l.from}[${String(name)}] → ${l.kind} ${String(name)}`);
      }
    }
    for (const section of target.sections) {
      const left = pairAt(root, section);
      if (left && isMap(left.value) && left.value.items.length > 0) {
        const keys = left.value.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
        notes.push(
          `left in ${section}: ${keys.join(", ")} (no ${target.minor} document takes ${keys.length === 1 ? "it" : "them"}; see docs/genconfig.md)`,
        );
      }
    }
  }
  if (!changed) return { text: undefined, controlPlaneText: undefined, notes };

  // A comment above an emptied legacy document (the patch's header) moves to the first new document.
  const header = [...legacy]
    .filter((d) => isEmptyMap(d.contents))
    .flatMap((d) => [d.commentBefore, (d.contents as YAMLMap).commentBefore])
    .filter(Boolean)
    .join("\n");
  const firstNew = [...created.values(), ...listed][0];
  if (header && firstNew) {
    const contents = firstNew.contents as YAMLMap;
    contents.commentBefore = [header, contents.commentBefore].filter(Boolean).join("\n");
  }
  // Documents the patch already had keep their place; new ones follow in first-use order.
  const unique = [...docs.filter((d) => !legacy.has(d) || !isEmptyMap(d.contents)), ...created.values(), ...listed];
  const controlPlaneOnly = (d: Document) => target.controlPlaneOnly.has(String((d.contents as YAMLMap).get("kind")));
  let kept = unique;
  let split: Document[] = [];
  if (scope !== "controlplane") {
    split = unique.filter(controlPlaneOnly);
    kept = unique.filter((d) => !controlPlaneOnly(d));
    for (const d of split) {
      const kind = String((d.contents as YAMLMap).get("kind"));
      notes.push(
        scope === "all"
          ? `${kind}: control planes only, moved to controlPlane.patches`
          : `${kind} dropped: it configures a control-plane component (inert in a worker's config), and Talos refuses it on workers`,
      );
    }
  }
  return {
    text: kept.length > 0 ? joinDocuments(kept) : "",
    controlPlaneText: scope === "all" && split.length > 0 ? joinDocuments(split) : undefined,
    notes,
  };
}

function joinDocuments(docs: readonly Document[]): string {
  return docs
    .map((d, i) => {
      d.directives!.docStart = null;
      const body = d.toString(TO_STRING);
      return i === 0 ? body : `---\n${body}`;
    })
    .join("");
}

const isEmptyMap = (n: unknown): boolean => isMap(n) && n.items.length === 0;

function documentFor(kind: string, existing: readonly Document[], created: Map<string, Document>): YAMLMap {
  const have = existing.find((d) => isMap(d.contents) && d.contents.get("kind") === kind && !d.contents.has("name"));
  if (have) return have.contents as YAMLMap;
  let d = created.get(kind);
  if (!d) created.set(kind, (d = new Document({ apiVersion: "v1alpha1", kind })));
  return d.contents as YAMLMap;
}

const keyOf = (p: Pair): unknown => (isScalar(p.key) ? p.key.value : p.key);

function pairAt(root: YAMLMap, path: string): Pair | undefined {
  const keys = path.split(".");
  let map: YAMLMap = root;
  for (let i = 0; i < keys.length; i++) {
    const pair = map.items.find((p) => keyOf(p) === keys[i]) as Pair | undefined;
    if (!pair) return undefined;
    if (i === keys.length - 1) return pair;
    if (!isMap(pair.value)) return undefined;
    map = pair.value;
  }
  return undefined;
}

/**
 * Removes the pair at `path` and returns it, pruning maps it leaves empty. A comment the yaml package keeps on the
 * parent map (the one above its first key) travels with the first pair.
 */
function takePair(root: YAMLMap, path: string): Pair | undefined {
  const keys = path.split(".");
  const chain: YAMLMap[] = [root];
  for (const k of keys.slice(0, -1)) {
    const p = chain[chain.length - 1]!.items.find((x) => keyOf(x) === k) as Pair | undefined;
    if (!p || !isMap(p.value)) return undefined;
    chain.push(p.value);
  }
  const parent = chain[chain.length - 1]!;
  const index = parent.items.findIndex((p) => keyOf(p) === keys[keys.length - 1]);
  if (index < 0) return undefined;
  const [pair] = parent.items.splice(index, 1) as Pair[];
  if (index === 0 && parent.commentBefore && isScalar(pair!.key)) {
    pair!.key.commentBefore = [parent.commentBefore, pair!.key.commentBefore].filter(Boolean).join("\n");
    parent.commentBefore = parent.items.length > 0 ? undefined : parent.commentBefore;
  }
  for (let i = chain.length - 1; i > 0; i--) {
    if (chain[i]!.items.length > 0) break;
    const up = chain[i - 1]!;
    const pruned = up.items.find((p) => (p as Pair).value === chain[i]) as Pair | undefined;
    up.items = up.items.filter((p) => p !== pruned);
    // The comment of a key that disappears goes with the moved field, or (at the top) to the document's header.
    const lost = pruned && isScalar(pruned.key) ? pruned.key.commentBefore : undefined;
    if (lost && i === 1) up.commentBefore = [up.commentBefore, lost].filter(Boolean).join("\n");
    else if (lost && isScalar(pair!.key))
      pair!.key.commentBefore = [lost, pair!.key.commentBefore].filter(Boolean).join("\n");
  }
  return pair;
}

/** Puts `value` under `path` of `doc` (creating maps on the way), keeping the comments of the moved pair's key. */
function putPair(doc: YAMLMap, path: string, moved: Pair, value: unknown): void {
  const keys = path.split(".");
  let map = doc;
  for (const k of keys.slice(0, -1)) {
    let p = map.items.find((x) => keyOf(x) === k) as Pair | undefined;
    if (!p || !isMap(p.value)) {
      p = new Pair(new Scalar(k), new YAMLMap());
      map.items.push(p);
    }
    map = p.value as YAMLMap;
  }
  const key = new Scalar(keys[keys.length - 1]!);
  if (isScalar(moved.key)) {
    key.commentBefore = moved.key.commentBefore;
    key.comment = moved.key.comment;
  }
  const existing = map.items.findIndex((x) => keyOf(x) === key.value);
  const pair = new Pair(key, value as Node);
  if (existing >= 0) map.items[existing] = pair;
  else map.items.push(pair);
}

/** `true` ↔ `false`, keeping the scalar's comments; anything else is kept as written (Talos will say what is wrong). */
function negate(node: unknown): unknown {
  if (!isScalar(node) || typeof node.value !== "boolean") return node;
  const out = new Scalar(!node.value);
  out.comment = node.comment;
  out.commentBefore = node.commentBefore;
  return out;
}
