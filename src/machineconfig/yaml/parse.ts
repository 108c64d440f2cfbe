import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YNode } from "yaml";
import type { YamlMap, YamlNode } from "./node.js";

export interface YamlPosition {
  /** 1-based. */
  readonly line: number;
  readonly col: number;
}

export interface ParsedDocuments {
  readonly documents: YamlNode[];
  readonly errors: string[];
  /** Errors with their position, when the parser knows it. */
  readonly errorPositions: (YamlPosition | undefined)[];
  /** Where a key (or list item) of document `doc` starts; `path` as in the data (`["machine", "install"]`, `["x", 0]`). */
  readonly positionOf: (doc: number, path: readonly (string | number)[]) => YamlPosition | undefined;
}

/**
 * go-yaml's resolution of plain (unquoted) scalars, which differs from YAML 1.2 core: `0644` is octal (420),
 * underscores are dropped from numbers, `yes`/`on` stay strings (typed boolean fields accept them, see the decoder),
 * numbers out of float range stay strings. Timestamps stay strings (Go would make them time.Time).
 */
export function resolvePlain(src: string): YamlNode {
  if (src === "" || /^(?:~|null|Null|NULL)$/.test(src)) return null;
  if (/^(?:true|True|TRUE)$/.test(src)) return true;
  if (/^(?:false|False|FALSE)$/.test(src)) return false;
  if (/^[-+]?(?:\.inf|\.Inf|\.INF)$/.test(src)) return src.startsWith("-") ? -Infinity : Infinity;
  if (/^(?:\.nan|\.NaN|\.NAN)$/.test(src)) return NaN;
  if (!/^[-+.0-9]/.test(src)) return src;
  const p = src.replaceAll("_", "");
  const int = /^([-+]?)(?:0[bB]([01]+)|0[oO]([0-7]+)|0[xX]([0-9a-fA-F]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(p);
  if (int) {
    const [, sign, bin, oct, hex, legacyOct, dec] = int;
    const value =
      bin !== undefined
        ? parseInt(bin, 2)
        : oct !== undefined
          ? parseInt(oct, 8)
          : hex !== undefined
            ? parseInt(hex, 16)
            : legacyOct !== undefined
              ? legacyOct === ""
                ? 0
                : parseInt(legacyOct, 8)
              : Number(dec);
    return sign === "-" ? -value : value;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(p)) {
    const f = Number(p);
    return Number.isFinite(f) ? f : src;
  }
  return src;
}

/** Parses (multi-document) YAML into ordered data; empty documents are skipped, like Talos's decoder does. */
export function parseYamlDocuments(text: string): ParsedDocuments {
  const lineCounter = new LineCounter();
  const errors: string[] = [];
  const errorPositions: (YamlPosition | undefined)[] = [];
  const documents: YamlNode[] = [];
  const positions = new Map<string, YamlPosition>();
  const pos = (offset: number | undefined): YamlPosition | undefined => {
    if (offset === undefined) return undefined;
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, merge: false, lineCounter })) {
    for (const e of doc.errors) {
      errors.push(e.message);
      errorPositions.push(e.linePos?.[0] ? { line: e.linePos[0].line, col: e.linePos[0].col } : undefined);
    }
    if (doc.errors.length > 0) continue;
    if (doc.contents === null) continue;
    const index = documents.length;
    const record = (path: readonly (string | number)[], offset: number | undefined) => {
      const p = pos(offset);
      if (p) positions.set(`${index}:${JSON.stringify(path)}`, p);
    };
    record([], (doc.contents as YNode).range?.[0]);
    documents.push(toNode(doc.contents as YNode, errors, errorPositions, [], record, text));
  }
  return {
    documents,
    errors,
    errorPositions,
    positionOf: (doc, path) => positions.get(`${doc}:${JSON.stringify(path)}`),
  };
}

type Recorder = (path: readonly (string | number)[], offset: number | undefined) => void;

function toNode(
  n: YNode | null,
  errors: string[],
  errorPositions: (YamlPosition | undefined)[],
  path: (string | number)[],
  record: Recorder,
  text: string,
): YamlNode {
  if (n === null) return null;
  if (isMap(n)) {
    const out: YamlMap = new Map();
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== "string" && typeof key !== "number" && typeof key !== "boolean") {
        errors.push("complex mapping keys are not supported");
        errorPositions.push(undefined);
        continue;
      }
      const childPath = [...path, String(key)];
      record(childPath, isScalar(pair.key) ? pair.key.range?.[0] : undefined);
      out.set(String(key), toNode(pair.value as YNode | null, errors, errorPositions, childPath, record, text));
    }
    return out;
  }
  if (isSeq(n)) {
    return n.items.map((item, i) => {
      record([...path, i], (item as YNode | null)?.range?.[0]);
      return toNode(item as YNode | null, errors, errorPositions, [...path, i], record, text);
    });
  }
  if (isScalar(n)) {
    if (n.type === "PLAIN" && typeof n.source === "string") return resolvePlain(n.source);
    const v = n.value;
    // A block scalar that ends the input without a line break has none to keep: go-yaml's value ends with the last
    // character, the yaml package adds "\n" for clip and keep chomping.
    if (
      (n.type === "BLOCK_LITERAL" || n.type === "BLOCK_FOLDED") &&
      typeof v === "string" &&
      v.endsWith("\n") &&
      n.range &&
      !text.slice(n.range[0], n.range[1]).endsWith("\n")
    )
      return v.slice(0, -1);
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return String(v);
  }
  errors.push("unsupported YAML node (aliases are not allowed in machine configs)");
  errorPositions.push(undefined);
  return null;
}
