// Test-only: a plan value around the given nodes (the envelope every plan test needs).
import type { NodePlan, Plan } from "../plan/index.js";

export function planOf(nodes: readonly NodePlan[]): Plan {
  const changed = nodes.filter((n) => n.actions.length > 0);
  return {
    formatVersion: 1,
    tool: { name: "talform", version: "test" },
    createdAt: "2026-01-01T00:00:00Z",
    clusterName: "lab",
    inputs: { desiredDigest: "d" },
    etcdBootstrapped: true,
    prepare: [],
    nodes,
    errors: [],
    summary: { changes: changed.reduce((s, n) => s + n.actions.length, 0), nodesChanged: changed.length },
  };
}
