import { isMap, isScalar, isSeq, parseAllDocuments, type Node as YNode } from "yaml";
import type { YamlMap, YamlNode } from "./node.js";

export interface ParsedDocuments {
  readonly documents: YamlNode[];
  readonly errors: string[];
}

/** Parses (multi-document) YAML into ordered data; empty documents are skipped, like Talos's decoder does. */
export function parseYamlDocuments(text: string): ParsedDocuments {
  const errors: string[] = [];
  const documents: YamlNode[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true, merge: false })) {
    for (const e of doc.errors) errors.push(e.message);
    if (doc.errors.length > 0) continue;
    if (doc.contents === null) continue;
    documents.push(toNode(doc.contents as YNode, errors));
  }
  return { documents, errors };
}

function toNode(n: YNode | null, errors: string[]): YamlNode {
  if (n === null) return null;
  if (isMap(n)) {
    const out: YamlMap = new Map();
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== "string" && typeof key !== "number" && typeof key !== "boolean") {
        errors.push("complex mapping keys are not supported");
        continue;
      }
      out.set(String(key), toNode(pair.value as YNode | null, errors));
    }
    return out;
  }
  if (isSeq(n)) return n.items.map((item) => toNode(item as YNode | null, errors));
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return String(v);
  }
  errors.push("unsupported YAML node (aliases are not allowed in machine configs)");
  return null;
}
