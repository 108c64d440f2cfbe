import { membersWithHealth } from "../etcd/ops.js";
import { checkRemoval } from "../etcd/quorum.js";
import type { ClusterAccess } from "./cluster-access.js";
import type { KubeNode } from "./kube-client.js";
import type { ObserveTarget } from "./observe.js";
import type {
  DesiredCluster,
  NodePlan,
  ObservedCluster,
  ObservedMembership,
  ObservedNode,
  ObservedRevision,
  PlanAction,
  PlanProblem,
} from "./types.js";

/**
 * Membership: who is in the cluster whatever the talconfig says — the etcd members (as a healthy control plane lists
 * them, each member's health asked from itself) and the registered Kubernetes Nodes. A node in there but not in the
 * talconfig is planned as `remove`; removals keep etcd's quorum (src/etcd/quorum.ts).
 */
export async function observeMembership(
  targets: readonly ObserveTarget[],
  nodes: readonly ObservedNode[],
  kubeNodes: readonly KubeNode[] | undefined,
  access: ClusterAccess,
): Promise<ObservedMembership> {
  let etcdMembers: ObservedMembership["etcdMembers"] | undefined;
  const errors: string[] = [];
  for (const t of targets.filter((x) => x.controlPlane)) {
    const o = nodes.find((n) => n.address === t.address);
    if (!o?.reachable || o.maintenance || !o.etcd?.member) continue;
    try {
      etcdMembers = (await membersWithHealth(access.secure(t.address), t.address)).map((m) => ({
        id: m.id,
        hostname: m.hostname,
        address: m.address,
        healthy: m.healthy,
      }));
      break;
    } catch (e) {
      errors.push(`${t.hostname}: ${(e as Error).message}`); // no quorum, or its etcd is down: ask the next
    }
  }
  return {
    etcdMembers: etcdMembers ?? [],
    ...(etcdMembers ? {} : { etcdMembersError: errors.join("; ") || "no running control plane to ask" }),
    ...(kubeNodes
      ? { kubernetesNodes: kubeNodes.map((k) => ({ name: k.name, ...(k.address ? { address: k.address } : {}) })) }
      : {}),
  };
}

export function discoverExtraNodes(targets: readonly ObserveTarget[], m: ObservedMembership): ObserveTarget[] {
  const known = new Set(targets.flatMap((t) => [t.hostname, t.address]));
  const out = new Map<string, ObserveTarget>();
  for (const e of m.etcdMembers)
    if (!known.has(e.hostname) && !known.has(e.address))
      out.set(e.hostname, { hostname: e.hostname, address: e.address, controlPlane: true });
  for (const k of m.kubernetesNodes ?? []) {
    if (known.has(k.name) || out.has(k.name) || !k.address || known.has(k.address)) continue;
    out.set(k.name, { hostname: k.name, address: k.address, controlPlane: false });
  }
  return [...out.values()];
}

/**
 * `remove` for every node of the cluster that the desired state no longer names. Refused (errors) when it would
 * remove every control plane or leave etcd without a healthy quorum (members leave one at a time, in plan order);
 * a warning when fault tolerance is lost (fewer than 3 members remain).
 */
export function planRemovals(
  desired: DesiredCluster,
  observed: ObservedCluster,
  revisionOf: (o: ObservedNode) => ObservedRevision,
): { nodes: NodePlan[]; errors: PlanProblem[]; warnings: PlanProblem[] } {
  const m = observed.membership;
  if (!m) return { nodes: [], errors: [], warnings: [] };
  const wanted = new Set(desired.nodes.flatMap((n) => [n.hostname, n.address]));
  const members = new Map(m.etcdMembers.map((e) => [e.hostname, e]));
  const kubeNames = new Set((m.kubernetesNodes ?? []).map((k) => k.name));
  const candidates = observed.nodes.filter(
    (o) => !wanted.has(o.hostname) && !wanted.has(o.address) && (members.has(o.hostname) || kubeNames.has(o.hostname)),
  );
  const errors: PlanProblem[] = [];
  const warnings: PlanProblem[] = [];
  if (observed.etcdBootstrapped && m.etcdMembersError) {
    errors.push({
      code: "etcd-members",
      message: `the etcd members could not be read (${m.etcdMembersError}): talform cannot tell whether a node left the talconfig, nor check quorum`,
      hint: "check etcd (talform etcd members, talform etcd status); without quorum, recover from a snapshot (talform recover)",
    });
  }
  const removedMembers = candidates.filter((o) => members.has(o.hostname)).map((o) => o.hostname);
  if (removedMembers.length > 0) {
    const verdict = checkRemoval(m.etcdMembers, removedMembers);
    const hint =
      "keep the node in talconfig.yaml until the other control planes are healthy; add a replacement first, or recover from a snapshot (talform recover)";
    if (verdict.error)
      errors.push({
        code: "etcd-quorum",
        message: `refusing to remove ${removedMembers.join(", ")}: ${verdict.error}`,
        hint,
      });
    if (verdict.warning)
      warnings.push({
        code: "etcd-fault-tolerance",
        message: verdict.warning,
        hint: "add a control plane to talconfig.yaml to get fault tolerance back",
      });
  }
  const cps = candidates.filter((o) => members.has(o.hostname));
  const workers = candidates.filter((o) => !members.has(o.hostname));
  const nodes = [...cps, ...workers].map((o): NodePlan => {
    const member = members.get(o.hostname);
    const reset = o.reachable && !o.maintenance;
    const kubernetesNode = kubeNames.has(o.hostname);
    const steps = [
      kubernetesNode ? "cordon and drain" : "",
      member ? `etcd: ${reset && member.healthy ? "leave" : `remove member ${member.id}`}` : "",
      reset ? "reset (wipe, reboot into maintenance mode)" : "",
      kubernetesNode ? "delete the Kubernetes Node" : "",
    ].filter(Boolean);
    const action: PlanAction = {
      type: "remove",
      reason: `${o.hostname} is in the cluster but not in the talconfig: ${steps.join(", ")}${reset ? "" : ` (the node ${o.maintenance ? "is in maintenance mode" : "does not answer"}: not reset)`}`,
      ...(member ? { etcdMemberId: member.id } : {}),
      reset,
      kubernetesNode,
    };
    return {
      hostname: o.hostname,
      address: o.address,
      controlPlane: member !== undefined,
      observed: revisionOf(o),
      actions: [action],
      reboots: false,
      diff: [],
    };
  });
  return { nodes, errors, warnings };
}

/**
 * Control planes the targets do not name, from Talos's cluster discovery (`Members.cluster.talos.dev` on any running
 * node) — only needed when no target is an etcd member (e.g. a talconfig that dropped every control plane).
 */
export async function discoverControlPlanes(
  targets: readonly ObserveTarget[],
  nodes: readonly ObservedNode[],
  access: ClusterAccess,
): Promise<ObserveTarget[]> {
  if (nodes.some((n) => n.etcd?.member)) return [];
  const known = new Set(targets.flatMap((t) => [t.hostname, t.address]));
  for (const n of nodes.filter((x) => x.reachable && !x.maintenance)) {
    try {
      const members = await access.secure(n.address).listResources(n.address, "cluster", "Members.cluster.talos.dev");
      return members.flatMap((m) => {
        const spec = m.spec as { hostname?: string; addresses?: string[]; machineType?: string } | undefined;
        const address = spec?.addresses?.[0];
        if (
          spec?.machineType !== "controlplane" ||
          !spec.hostname ||
          !address ||
          known.has(spec.hostname) ||
          known.has(address)
        )
          return [];
        return [{ hostname: spec.hostname, address, controlPlane: true }];
      });
    } catch {
      // next node
    }
  }
  return [];
}
