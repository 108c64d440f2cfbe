import { isScalar } from "yaml";
import type { z } from "zod";
import type { Diagnostic } from "../diagnostics/index.js";
import { CODES } from "./codes.js";
import { closest } from "./formats.js";
import { talconfigSchema, type Talconfig } from "./schema.js";
import { knownKeysAt } from "./schema-walk.js";
import { formatPath, type DocPath, type YamlSource } from "./yaml-source.js";

/** Checks the data against the zod schema and turns every issue into a located diagnostic. */
export function parseWithSchema(
  data: unknown,
  src: YamlSource,
  diagnostics: Diagnostic[],
  failed: Set<unknown>,
): Talconfig | undefined {
  let result = talconfigSchema.safeParse(data);
  // talhelper decodes with yaml.v3 into Go strings, so `talosVersion: 1.13` or `ipAddress: 10` are strings there.
  // Give string fields the scalar's source text when YAML typed it as a number or bool, then re-check.
  if (!result.success) {
    let patched = false;
    for (const issue of result.error.issues) {
      if (issue.code !== "invalid_type" || issue.expected !== "string") continue;
      const node = src.nodeAt(issue.path as DocPath);
      if (
        isScalar(node) &&
        (typeof node.value === "number" || typeof node.value === "boolean") &&
        node.source !== undefined
      ) {
        if (setAt(data, issue.path as DocPath, node.source)) patched = true;
      }
    }
    if (patched) result = talconfigSchema.safeParse(data);
  }
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (failed.has(src.nodeAt(issue.path as DocPath))) continue;
    diagnostics.push(...issueToDiagnostics(issue, src, data));
  }
  return undefined;
}

function setAt(root: unknown, path: DocPath, value: unknown): boolean {
  let cur = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) {
    const next = cur?.[seg];
    if (typeof next !== "object" || next === null) return false;
    cur = next as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]!] = value;
  return true;
}

export function nodeNameFor(path: DocPath, data: unknown): string | undefined {
  if (path[0] !== "nodes" || typeof path[1] !== "number") return undefined;
  const n = (data as { nodes?: unknown[] }).nodes?.[path[1]] as { hostname?: unknown } | undefined;
  return typeof n?.hostname === "string" ? n.hostname : undefined;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function valueAt(root: unknown, path: DocPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function issueToDiagnostics(issue: z.core.$ZodIssue, src: YamlSource, data: unknown): Diagnostic[] {
  const path = issue.path as DocPath;
  const node = nodeNameFor(path, data);
  const base = { severity: "error" as const, ...(node ? { node } : {}) };
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(talconfigSchema, path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      const full = [...path, key];
      return {
        ...base,
        code: CODES.unknownKey,
        message: `unknown key "${key}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}`,
        hint: suggestion ? `rename it to ${suggestion}` : `remove it; keys allowed here: ${known.join(", ")}`,
        path: formatPath(full),
        source: src.positionOf(full, true),
      };
    });
  }
  const actual = valueAt(data, path);
  if (issue.code === "invalid_type" && actual === undefined) {
    const key = path[path.length - 1];
    return [
      {
        ...base,
        code: CODES.missingKey,
        message: `${String(key)} is required`,
        hint: `add ${formatPath(path)}`,
        path: formatPath(path),
        source: src.positionOf(path),
      },
    ];
  }
  let hint = `fix ${formatPath(path) || "the document"}`;
  let message: string;
  if (issue.code === "invalid_type")
    hint = `change ${formatPath(path) || "the document"} to ${issue.expected === "object" ? "a map (key: value lines)" : issue.expected === "array" ? "a list (- item lines or [a, b])" : `a ${issue.expected}`}`;
  if (issue.code === "invalid_value") hint = `use one of: ${issue.values.map((v) => String(v)).join(", ")}`;
  if (issue.code === "invalid_type")
    message = `expected ${issue.expected === "object" ? "a map" : issue.expected === "array" ? "a list" : issue.expected}, got ${describe(actual)}`;
  else if (issue.code === "invalid_value")
    message = `${describe(actual)} is not allowed; expected one of: ${issue.values.map((v) => String(v)).join(", ")}`;
  else if (issue.code === "invalid_union") message = `${describe(actual)} is not a valid value here`;
  else if (issue.code === "custom") {
    message = `${describe(actual)} ${issue.message}`;
    const h = (issue.params as { hint?: unknown } | undefined)?.hint;
    if (typeof h === "string") hint = h;
  } else message = issue.message;
  return [{ ...base, code: CODES.invalidValue, message, hint, path: formatPath(path), source: src.positionOf(path) }];
}
