import type { Diagnostic, Severity, SourcePosition } from "../../diagnostics/index.js";
import type { LoadedTalconfig, ResolvedNode } from "../types.js";
import { formatPath, type DocPath } from "../yaml-source.js";
import { nodeFacts, type NodeFacts } from "./node-facts.js";
import type { PolicyContext } from "./types.js";

export type NodeKey = keyof ResolvedNode["origin"];

/** Position and path of a node's key: in the node if it came from there, in its group if inherited. */
export function where(
  loaded: LoadedTalconfig,
  node: ResolvedNode,
  key?: NodeKey | "hostname" | "ipAddress",
): { path: string; source: SourcePosition } {
  let p: DocPath = ["nodes", node.index];
  if (key) {
    const origin = key === "hostname" || key === "ipAddress" ? "node" : node.origin[key];
    if (origin === "group") p = [node.controlPlane ? "controlPlane" : "worker", key];
    else if (origin === "node" || key === "hostname" || key === "ipAddress") p = ["nodes", node.index, key];
  }
  return { path: formatPath(p), source: loaded.sourceMap?.positionOf(p) ?? node.source };
}

export function finding(
  rule: { code: string; severity: Severity },
  loaded: LoadedTalconfig,
  node: ResolvedNode | undefined,
  key: NodeKey | "hostname" | "ipAddress" | undefined,
  message: string,
  hint: string,
): Diagnostic {
  const loc = node ? where(loaded, node, key) : undefined;
  return {
    severity: rule.severity,
    code: rule.code,
    message,
    hint,
    ...(node ? { node: node.hostname } : {}),
    ...(loc ? loc : {}),
  };
}

export function topLevel(
  rule: { code: string; severity: Severity },
  loaded: LoadedTalconfig,
  key: string,
  message: string,
  hint: string,
): Diagnostic {
  const source = loaded.sourceMap?.positionOf([key]) ?? { file: loaded.path, line: 1, col: 1 };
  return { severity: rule.severity, code: rule.code, message, hint, path: key, source };
}

// Memoised per context and node: several rules ask for the same node's facts in one validate run.
const factsCache = new WeakMap<PolicyContext, WeakMap<ResolvedNode, NodeFacts>>();

export function facts(node: ResolvedNode, ctx: PolicyContext): NodeFacts {
  let perCtx = factsCache.get(ctx);
  if (!perCtx) factsCache.set(ctx, (perCtx = new WeakMap()));
  let f = perCtx.get(node);
  if (!f) perCtx.set(node, (f = nodeFacts(node, ctx)));
  return f;
}
