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
  entries.sort(([a], [b]) => (goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0));
  return new Map(entries);
}

const isDigit = (c: string): boolean => c >= "0" && c <= "9";
const isLetter = (c: string): boolean => /\p{L}/u.test(c);

/**
 * go-yaml's map key order (`keyList.Less`): runs of digits compare as numbers (`a2 < a10`), a prefix sorts first
 * (`audit < audit-version`), other characters sort before letters (except right after a digit, where letters come
 * first), letters compare by code point. Re-implemented from its observable behaviour.
 */
export function goKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i]!;
    const bc = br[i]!;
    if (ac === bc) {
      digits = isDigit(ac);
      continue;
    }
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return digits ? al : bl;
    let an = 0;
    let bn = 0;
    if (ac === "0" || bc === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== "0") {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

/** Deep copy (maps keep their order). */
export function cloneNode<T extends YamlNode>(node: T): T {
  const n: YamlNode = node;
  if (isYamlMap(n)) return new Map([...n.entries()].map(([k, v]) => [k, cloneNode(v)])) as unknown as T;
  if (Array.isArray(n)) return (n as readonly YamlNode[]).map((v) => cloneNode(v)) as unknown as T;
  return node;
}
