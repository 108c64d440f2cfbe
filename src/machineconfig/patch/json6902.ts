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
    if (typeof op !== "string" || !["add", "remove", "replace", "move", "copy", "test"].includes(op)) throw err(`operation ${i}: unknown op ${JSON.stringify(op)}`);
    if (typeof path !== "string") throw err(`operation ${i}: path is missing`);
    const from = item.get("from");
    return { op: op as JsonPatchOperation["op"], path, ...(typeof from === "string" ? { from } : {}), ...(item.has("value") ? { value: item.get("value")! } : {}) };
  });
}

function get(root: YamlNode, tokens: readonly string[], path: string): YamlNode {
  let cur = root;
  for (const t of tokens) {
    if (isYamlMap(cur) && cur.has(t)) cur = cur.get(t)!;
    else if (Array.isArray(cur) && /^(0|[1-9]\d*)$/.test(t) && Number(t) < cur.length) cur = (cur as readonly YamlNode[])[Number(t)]!;
    else throw err(`path "${path}" does not exist`);
  }
  return cur;
}

function setAt(root: YamlNode, tokens: readonly string[], value: YamlNode, mode: "add" | "replace", path: string): YamlNode {
  if (tokens.length === 0) return value;
  const parent = get(root, tokens.slice(0, -1), path);
  const last = tokens[tokens.length - 1]!;
  if (isYamlMap(parent)) {
    if (mode === "replace" && !parent.has(last)) throw err(`path "${path}" does not exist`);
    (parent as YamlMap).set(last, value);
  } else if (Array.isArray(parent)) {
    const list = parent as YamlNode[];
    const index = last === "-" ? list.length : /^(0|[1-9]\d*)$/.test(last) ? Number(last) : NaN;
    if (Number.isNaN(index) || index > list.length || (mode === "replace" && index >= list.length)) throw err(`path "${path}": bad list index`);
    if (mode === "add") list.splice(index, 0, value);
    else list[index] = value;
  } else {
    throw err(`path "${path}": parent is not a map or list`);
  }
  return root;
}

function removeAt(root: YamlNode, tokens: readonly string[], path: string): YamlNode {
  if (tokens.length === 0) throw err("cannot remove the document root");
  const parent = get(root, tokens.slice(0, -1), path);
  const last = tokens[tokens.length - 1]!;
  if (isYamlMap(parent) && parent.has(last)) (parent as YamlMap).delete(last);
  else if (Array.isArray(parent) && /^(0|[1-9]\d*)$/.test(last) && Number(last) < parent.length) (parent as YamlNode[]).splice(Number(last), 1);
  else throw err(`path "${path}" does not exist`);
  return root;
}

function equal(a: YamlNode, b: YamlNode): boolean {
  if (isYamlMap(a) && isYamlMap(b)) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)!));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v: YamlNode, i: number) => equal(v, (b as readonly YamlNode[])[i]!));
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
        root = setAt(root, tokens, cloneNode(op.value), op.op, op.path);
        break;
      case "remove":
        root = removeAt(root, tokens, op.path);
        break;
      case "move":
      case "copy": {
        if (op.from === undefined) throw err(`${op.op} ${op.path}: from is missing`);
        const fromTokens = parsePointer(op.from);
        const value = cloneNode(get(root, fromTokens, op.from));
        if (op.op === "move") root = removeAt(root, fromTokens, op.from);
        root = setAt(root, tokens, value, "add", op.path);
        break;
      }
      case "test":
        if (!equal(get(root, tokens, op.path), op.value ?? null)) throw err(`test ${op.path} failed`);
        break;
    }
  }
  return root;
}
