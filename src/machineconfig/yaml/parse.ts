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
    documents.push(toNode(doc.contents as YNode, errors, errorPositions, [], record));
  }
  return { documents, errors, errorPositions, positionOf: (doc, path) => positions.get(`${doc}:${JSON.stringify(path)}`) };
}

type Recorder = (path: readonly (string | number)[], offset: number | undefined) => void;

function toNode(n: YNode | null, errors: string[], errorPositions: (YamlPosition | undefined)[], path: (string | number)[], record: Recorder): YamlNode {
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
      out.set(String(key), toNode(pair.value as YNode | null, errors, errorPositions, childPath, record));
    }
    return out;
  }
  if (isSeq(n)) {
    return n.items.map((item, i) => {
      record([...path, i], (item as YNode | null)?.range?.[0]);
      return toNode(item as YNode | null, errors, errorPositions, [...path, i], record);
    });
  }
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return String(v);
  }
  errors.push("unsupported YAML node (aliases are not allowed in machine configs)");
  errorPositions.push(undefined);
  return null;
}
