import type { Diagnostic, Severity, SourcePosition } from "../../diagnostics/index.js";
import type { LoadedTalconfig, ResolvedNode } from "../types.js";
import type { DocPath } from "../yaml-source.js";
import { nodeFacts, type NodeFacts } from "./node-facts.js";
import type { PolicyContext } from "./types.js";

export type NodeKey = keyof ResolvedNode["origin"];

/** Position and path of a node's key: in the node if it came from there, in its group if inherited. */
export function where(loaded: LoadedTalconfig, node: ResolvedNode, key?: NodeKey | "hostname" | "ipAddress"): { path: string; source: SourcePosition } {
  let p: DocPath = ["nodes", node.index];
  if (key) {
    const origin = key === "hostname" || key === "ipAddress" ? "node" : node.origin[key];
    if (origin === "group") p = [node.controlPlane ? "controlPlane" : "worker", key];
    else if (origin === "node" || key === "hostname" || key === "ipAddress") p = ["nodes", node.index, key];
  }
  const path = p.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").replace(/^\./, "");
  return { path, source: loaded.sourceMap?.positionOf(p) ?? node.source };
}

export function finding(rule: { code: string; severity: Severity }, loaded: LoadedTalconfig, node: ResolvedNode | undefined, key: NodeKey | "hostname" | "ipAddress" | undefined, message: string, hint: string): Diagnostic {
  const loc = node ? where(loaded, node, key) : undefined;
  return { severity: rule.severity, code: rule.code, message, hint, ...(node ? { node: node.hostname } : {}), ...(loc ? loc : {}) };
}

export function topLevel(rule: { code: string; severity: Severity }, loaded: LoadedTalconfig, key: string, message: string, hint: string): Diagnostic {
  const source = loaded.sourceMap?.positionOf([key]) ?? { file: loaded.path, line: 1, col: 1 };
  return { severity: rule.severity, code: rule.code, message, hint, path: key, source };
}

// Memoised per validate run (rules ask for the same node's facts several times).
export const factsCache = new WeakMap<ResolvedNode, NodeFacts>();
export function facts(node: ResolvedNode, ctx: PolicyContext): NodeFacts {
  let f = factsCache.get(node);
  if (!f) factsCache.set(node, (f = nodeFacts(node, ctx)));
  return f;
}
