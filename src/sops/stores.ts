import {
  Document,
  isMap,
  isScalar,
  isSeq,
  Pair,
  parseAllDocuments,
  parseDocument,
  Scalar,
  stringify,
  YAMLMap,
} from "yaml";

/** The three text stores talform reads and writes (sops also has INI and binary; talform has no use for them). */
export type SopsFormat = "yaml" | "json" | "dotenv";

/** A parsed file: one or more documents whose root is a mapping, plus the store that wrote them. */
export interface SopsTree {
  readonly format: SopsFormat;
  readonly documents: Document[];
}

export class SopsStoreError extends Error {}

/** Like sops: `.json` → JSON, `.env` → dotenv, everything else that is text → YAML. */
export function formatForPath(path: string): SopsFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".env")) return "dotenv";
  return "yaml";
}

function rootMap(doc: Document, where: string): YAMLMap {
  if (doc.contents === null || doc.contents === undefined) {
    doc.contents = new YAMLMap() as unknown as typeof doc.contents;
  }
  if (!isMap(doc.contents)) throw new SopsStoreError(`${where}: the document root must be a mapping`);
  return doc.contents;
}

export function parseStore(text: string, format: SopsFormat): SopsTree {
  if (format === "dotenv") return { format, documents: [parseDotenv(text)] };
  const docs =
    format === "json" ? [parseDocument(text, { intAsBigInt: true })] : parseAllDocuments(text, { intAsBigInt: true });
  if (!Array.isArray(docs)) throw new SopsStoreError("could not parse the file as YAML");
  const documents: Document[] = docs.filter((d, i) => i === 0 || d.contents !== null);
  for (const [i, d] of documents.entries()) {
    if (d.errors.length > 0)
      throw new SopsStoreError(`${format === "json" ? "JSON" : "YAML"} syntax: ${d.errors[0]!.message}`);
    rootMap(d, `document ${i + 1}`);
  }
  if (documents.length === 0) documents.push(new Document(new YAMLMap()));
  return { format, documents };
}

export function rootOf(doc: Document): YAMLMap {
  return rootMap(doc, "document");
}

/** Removes and returns the `sops` value of a document root, as plain data. */
export function takeMetadata(doc: Document): unknown {
  const root = rootOf(doc);
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === "sops");
  if (!pair) return undefined;
  root.items.splice(root.items.indexOf(pair), 1);
  return isMap(pair.value) || isSeq(pair.value) || isScalar(pair.value) ? pair.value.toJSON() : pair.value;
}

/** Whether a parsed document carries sops metadata (a `sops` mapping with `mac` or `lastmodified`). */
export function hasMetadata(doc: Document): boolean {
  const c = doc.contents;
  if (!isMap(c)) return false;
  const sops = c.get("sops", true);
  return isMap(sops) && (sops.has("mac") || sops.has("lastmodified"));
}

// ---------------------------------------------------------------------------------------------------------------
// dotenv: one KEY=VALUE per line, `#` comment lines; newlines in values are written as `\n` (sops's dotenv store).

function parseDotenv(text: string): Document {
  const map = new YAMLMap();
  let pendingComments: string[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      pendingComments.push(line.slice(1));
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0) throw new SopsStoreError(`dotenv line ${i + 1} is not KEY=VALUE`);
    const key = new Scalar(line.slice(0, eq));
    if (pendingComments.length > 0) {
      key.commentBefore = pendingComments.join("\n");
      pendingComments = [];
    }
    map.items.push(new Pair(key, new Scalar(line.slice(eq + 1).replaceAll("\\n", "\n"))));
  }
  if (pendingComments.length > 0) map.comment = pendingComments.join("\n");
  return new Document(map);
}

/** Flattens metadata like sops's dotenv/INI stores: `sops_age__list_0__map_enc`. */
export function flattenMetadata(value: unknown, prefix: string, out: [string, string][]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => flattenMetadata(v, `${prefix}__list_${i}`, out));
  } else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value))
      flattenMetadata(v, prefix === "sops" ? `sops_${k}` : `${prefix}__map_${k}`, out);
  } else if (value !== undefined && value !== null) {
    out.push([prefix, String(value)]);
  }
}

/** Rebuilds nested metadata from `sops_…` dotenv keys. */
export function unflattenMetadata(entries: readonly [string, string][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const parts = key.slice("sops_".length).split(/(?=__(?:map|list)_)/);
    let cursor: Record<string, unknown> | unknown[] = root;
    const steps = [
      { kind: "map", name: parts[0]! },
      ...parts
        .slice(1)
        .map((p) => (p.startsWith("__map_") ? { kind: "map", name: p.slice(6) } : { kind: "list", name: p.slice(7) })),
    ];
    steps.forEach((step, i) => {
      const last = i === steps.length - 1;
      const next = steps[i + 1];
      const container = cursor as Record<string, unknown>;
      const slot = step.kind === "list" ? Number(step.name) : step.name;
      if (last) {
        container[slot as string] = value === "true" ? true : value;
        return;
      }
      container[slot as string] ??= next!.kind === "list" ? [] : {};
      cursor = container[slot as string] as Record<string, unknown>;
    });
  }
  return root;
}

/** Splits a dotenv document into data and `sops_` metadata, like sops (metadata keys start with `sops_`). */
export function takeDotenvMetadata(doc: Document): Record<string, unknown> | undefined {
  const root = rootOf(doc);
  const meta: [string, string][] = [];
  root.items = root.items.filter((p) => {
    const k = isScalar(p.key) ? String(p.key.value) : "";
    if (!k.startsWith("sops_")) return true;
    meta.push([k, isScalar(p.value) ? String(p.value.value) : ""]);
    return false;
  });
  return meta.length > 0 ? unflattenMetadata(meta) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Writers.

function commentLines(text: string | null | undefined): string[] {
  return text ? text.split("\n").map((l) => `#${l}`) : [];
}

function scalarText(v: unknown): string {
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}

export function emitDotenv(doc: Document, metadata: Record<string, unknown> | undefined): string {
  const root = rootOf(doc);
  const lines: string[] = [];
  for (const pair of root.items) {
    const key = pair.key as Scalar;
    lines.push(...commentLines(key.commentBefore));
    const value = isScalar(pair.value) ? scalarText(pair.value.value) : "";
    if (value.includes("\n") && !value.startsWith("ENC["))
      lines.push(`${String(key.value)}=${value.replaceAll("\n", "\\n")}`);
    else lines.push(`${String(key.value)}=${value}`);
  }
  lines.push(...commentLines(root.comment));
  if (metadata) {
    const flat: [string, string][] = [];
    flattenMetadata(metadata, "sops", flat);
    for (const [k, v] of flat) lines.push(`${k}=${v.replaceAll("\n", "\\n")}`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

function jsonValue(node: unknown, depth: number): string {
  const pad = "\t".repeat(depth + 1);
  const close = "\t".repeat(depth);
  if (isMap(node)) {
    if (node.items.length === 0) return "{}";
    const parts = node.items.map(
      (p) => `${pad}${JSON.stringify(String(isScalar(p.key) ? p.key.value : p.key))}: ${jsonValue(p.value, depth + 1)}`,
    );
    return `{\n${parts.join(",\n")}\n${close}}`;
  }
  if (isSeq(node)) {
    if (node.items.length === 0) return "[]";
    return `[\n${node.items.map((v) => `${pad}${jsonValue(v, depth + 1)}`).join(",\n")}\n${close}]`;
  }
  const v = isScalar(node) ? node.value : node;
  if (v === null || v === undefined) return "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  return JSON.stringify(String(v));
}

export function emitJson(doc: Document, metadata: Record<string, unknown> | undefined): string {
  const root = rootOf(doc).clone() as YAMLMap;
  if (metadata) root.items.push(new Pair(new Scalar("sops"), doc.createNode(metadata)));
  // sops's JSON store writes tab indentation (3.13 adds a final newline).
  return `${jsonValue(root, 0)}\n`;
}

/** A YAML scalar on one line, quoted only when the yaml library says it must be. */
function inlineScalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v !== "string") return String(v);
  return stringify(v, { lineWidth: 0 }).trimEnd();
}

/**
 * The `sops:` block laid out exactly as yaml.v3 (sops) writes it with indent 4: a mapping that is a list item
 * nests its children 4 columns from the dash, not from its keys. Hand-written because the yaml library indents
 * block scalars in list items differently, which would re-indent every `enc` block whenever talform rewrites a
 * file sops wrote.
 */
function metadataYaml(value: Record<string, unknown>): string {
  const lines: string[] = [];
  const emitMap = (map: Record<string, unknown>, keyCol: number, level: number, firstPrefix?: string): void => {
    Object.entries(map).forEach(([key, v], i) => {
      const head = i === 0 && firstPrefix !== undefined ? firstPrefix : " ".repeat(keyCol);
      if (Array.isArray(v)) {
        if (v.length === 0) {
          lines.push(`${head}${key}: []`);
          return;
        }
        lines.push(`${head}${key}:`);
        emitList(v, level + 4);
      } else if (typeof v === "object" && v !== null) {
        lines.push(`${head}${key}:`);
        emitMap(v as Record<string, unknown>, level + 4, level + 4);
      } else if (typeof v === "string" && v.includes("\n")) {
        lines.push(`${head}${key}: ${v.endsWith("\n") ? "|" : "|-"}`);
        for (const l of v.replace(/\n$/, "").split("\n")) lines.push(l === "" ? "" : `${" ".repeat(level + 4)}${l}`);
      } else {
        lines.push(`${head}${key}: ${key === "lastmodified" ? JSON.stringify(v) : inlineScalar(v)}`);
      }
    });
  };
  const emitList = (items: readonly unknown[], dashCol: number): void => {
    for (const item of items) {
      if (typeof item === "object" && item !== null && !Array.isArray(item) && Object.keys(item).length > 0) {
        emitMap(item as Record<string, unknown>, dashCol + 2, dashCol, `${" ".repeat(dashCol)}- `);
      } else {
        lines.push(`${" ".repeat(dashCol)}- ${inlineScalar(item)}`);
      }
    }
  };
  lines.push("sops:");
  emitMap(value, 4, 4);
  return lines.map((l) => `${l}\n`).join("");
}

export function emitYaml(documents: readonly Document[], metadata: Record<string, unknown> | undefined): string {
  return documents
    .map((doc) => {
      // yaml.v3 (sops) writes 4-space indentation with sequences indented under their key, and never folds lines.
      const empty = rootOf(doc).items.length === 0 && !doc.commentBefore && !doc.comment && !rootOf(doc).comment;
      let text =
        empty && metadata ? "" : doc.toString({ indent: 4, indentSeq: true, lineWidth: 0, minContentWidth: 0 });
      // The separator is written below, once, whether or not the source spelled out `---`.
      text = text.replace(/^---(\n| )/, "");
      return metadata ? `${text}${metadataYaml(metadata)}` : text;
    })
    .join("---\n");
}

export function emitStore(tree: SopsTree, metadata: Record<string, unknown> | undefined): string {
  if (tree.format === "json") return emitJson(tree.documents[0]!, metadata);
  if (tree.format === "dotenv") return emitDotenv(tree.documents[0]!, metadata);
  return emitYaml(tree.documents, metadata);
}
