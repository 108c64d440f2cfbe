import { TalformError } from "../../diagnostics/index.js";
import { cloneNode, isYamlMap, type YamlMap, type YamlNode } from "../yaml/node.js";

/**
 * RFC 6902 JSON Patch over ordered YAML data. Hand-written because the npm implementations work on plain JS objects,
 * which would reorder integer-like keys; the operation set is small and fully specified by the RFC.
 */
export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  readonly path: string;
  readonly from?: string;
  readonly value?: YamlNode;
}

function err(message: string): TalformError {
  return new TalformError(`JSON patch: ${message}`, { code: "config-patch" });
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw err(`path "${pointer}" must start with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** Converts parsed YAML (a list of {op, path, …} maps) into operations, with errors that name the bad entry. */
export function toJsonPatch(node: YamlNode): JsonPatchOperation[] {
  if (!Array.isArray(node)) throw err("a JSON patch must be a list of operations");
  return (node as readonly YamlNode[]).map((item, i) => {
    if (!isYamlMap(item)) throw err(`operation ${i} is not a map`);
    const op = item.get("op");
    const path = item.get("path");
    if (typeof op !== "string" || !["add", "remove", "replace", "move", "copy", "test"].includes(op))
      throw err(`operation ${i}: unknown op ${JSON.stringify(op)}`);
    if (typeof path !== "string") throw err(`operation ${i}: path is missing`);
    const from = item.get("from");
    return {
      op: op as JsonPatchOperation["op"],
      path,
      ...(typeof from === "string" ? { from } : {}),
      ...(item.has("value") ? { value: item.get("value")! } : {}),
    };
  });
}

/*
 * Talos's configpatcher applies JSON patches with evanphx/json-patch v4, whose rules differ from the RFC in places
 * users rely on (each checked against `talos-oracle patch`, conformance/machineconfig-json6902.test.ts):
 * - the parent of the target must exist (every token but the last), else "doc is missing path";
 * - `replace` of a missing object key sets it, like `add`; `remove` of a missing key fails;
 * - list indexes are Go integers (`01`, `+1`), negative ones count from the end (for `add`, -1 appends);
 * - `copy` (and `test` without a value) of a missing object key reads null.
 */
const INDEX = /^[+-]?[0-9]+$/;

type Container = { readonly map: YamlMap } | { readonly list: YamlNode[] };

/** The container holding the last token of `tokens` (evanphx's findObject), or undefined when a step is missing. */
function parentOf(root: YamlNode, tokens: readonly string[]): Container | undefined {
  let cur: YamlNode | undefined = root;
  for (const t of tokens.slice(0, -1)) {
    cur = isYamlMap(cur) ? cur.get(t) : Array.isArray(cur) ? elementAt(cur as YamlNode[], t) : undefined;
    if (cur === undefined || cur === null) return undefined;
  }
  if (isYamlMap(cur)) return { map: cur };
  if (Array.isArray(cur)) return { list: cur as YamlNode[] };
  return undefined;
}

/** Index into a list for reading, replacing and removing; undefined when out of range. */
function readIndex(list: readonly YamlNode[], token: string): number | undefined {
  if (!INDEX.test(token)) return undefined;
  let i = Number(token);
  if (i < 0) i += list.length;
  return i >= 0 && i < list.length ? i : undefined;
}

function elementAt(list: YamlNode[], token: string): YamlNode | undefined {
  const i = readIndex(list, token);
  return i === undefined ? undefined : list[i];
}

function indexError(op: string, path: string, token: string): TalformError {
  return INDEX.test(token)
    ? err(`${op} ${path}: list index ${token} is out of range`)
    : err(`${op} ${path}: "${token}" is not a list index`);
}

function missingPath(op: string, path: string): TalformError {
  return err(`${op} ${path}: the document has no ${parentPointer(path) || "root"} to ${op} into`);
}

function parentPointer(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf("/")));
}

/** Reads the target of `path` the way copy/test do: a missing object key reads null. */
function read(root: YamlNode, tokens: readonly string[], op: string, path: string): YamlNode {
  if (tokens.length === 0) return root;
  const c = parentOf(root, tokens);
  if (!c) throw missingPath(op, path);
  const last = tokens[tokens.length - 1]!;
  if ("map" in c) return c.map.get(last) ?? null;
  const i = readIndex(c.list, last);
  if (i === undefined) throw indexError(op, path, last);
  return c.list[i]!;
}

function add(root: YamlNode, tokens: readonly string[], value: YamlNode, op: string, path: string): YamlNode {
  if (tokens.length === 0) return value;
  const c = parentOf(root, tokens);
  if (!c) throw missingPath(op, path);
  const last = tokens[tokens.length - 1]!;
  if ("map" in c) {
    c.map.set(last, value);
    return root;
  }
  let i = last === "-" ? c.list.length : INDEX.test(last) ? Number(last) : NaN;
  if (i < 0) i += c.list.length + 1;
  if (Number.isNaN(i) || i < 0 || i > c.list.length) throw indexError(op, path, last);
  c.list.splice(i, 0, value);
  return root;
}

function replace(root: YamlNode, tokens: readonly string[], value: YamlNode, path: string): YamlNode {
  if (tokens.length === 0) return value;
  const c = parentOf(root, tokens);
  if (!c) throw missingPath("replace", path);
  const last = tokens[tokens.length - 1]!;
  if ("map" in c) {
    c.map.set(last, value);
    return root;
  }
  const i = readIndex(c.list, last);
  if (i === undefined) throw indexError("replace", path, last);
  c.list[i] = value;
  return root;
}

function remove(root: YamlNode, tokens: readonly string[], op: string, path: string): YamlNode {
  if (tokens.length === 0) throw err("cannot remove the document root");
  const c = parentOf(root, tokens);
  if (!c) throw missingPath(op, path);
  const last = tokens[tokens.length - 1]!;
  if ("map" in c) {
    if (!c.map.has(last)) throw err(`${op} ${path}: there is no key "${last}" to remove`);
    c.map.delete(last);
    return root;
  }
  const i = readIndex(c.list, last);
  if (i === undefined) throw indexError(op, path, last);
  c.list.splice(i, 1);
  return root;
}

function equal(a: YamlNode, b: YamlNode): boolean {
  if (isYamlMap(a) && isYamlMap(b))
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)!));
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v: YamlNode, i: number) => equal(v, (b as readonly YamlNode[])[i]!));
  return a === b;
}

/** Applies operations to one document; the input is not modified. */
export function applyJsonPatch(doc: YamlNode, ops: readonly JsonPatchOperation[]): YamlNode {
  let root = cloneNode(doc);
  for (const op of ops) {
    const tokens = parsePointer(op.path);
    switch (op.op) {
      case "add":
      case "replace":
        if (op.value === undefined) throw err(`${op.op} ${op.path}: value is missing`);
        root =
          op.op === "add"
            ? add(root, tokens, cloneNode(op.value), "add", op.path)
            : replace(root, tokens, cloneNode(op.value), op.path);
        break;
      case "remove":
        root = remove(root, tokens, "remove", op.path);
        break;
      case "move":
      case "copy": {
        if (op.from === undefined) throw err(`${op.op} ${op.path}: from is missing`);
        const fromTokens = parsePointer(op.from);
        const value = cloneNode(read(root, fromTokens, op.op, op.from));
        if (op.op === "move") root = remove(root, fromTokens, "move", op.from);
        root = add(root, tokens, value, op.op, op.path);
        break;
      }
      case "test": {
        const actual = read(root, tokens, "test", op.path);
        // evanphx: a missing target passes only a test without a value.
        const ok = op.value === undefined ? actual === null : actual !== null && equal(actual, op.value);
        if (!ok) throw err(`test ${op.path} failed`);
        break;
      }
    }
  }
  return root;
}
