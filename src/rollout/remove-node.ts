import { membersWithHealth, type MemberView } from "../etcd/ops.js";
import { parseMemberId } from "../etcd/snapshot.js";
import { checkRemoval } from "../etcd/quorum.js";
import type { ClusterAccess, KubeApi, NodePlan, PlanAction } from "../plan/index.js";

type RemoveAction = Extract<PlanAction, { type: "remove" }>;

export interface RemovalContext {
  readonly access: ClusterAccess;
  /** Control planes that stay (configured, not being removed): where the member list is read and removals sent. */
  readonly otherControlPlanes: () => readonly NodePlan[];
  readonly kube: () => Promise<KubeApi | undefined>;
  readonly until: (what: string, check: () => Promise<string | undefined>) => Promise<void>;
  readonly info: (message: string) => void;
}

/** The members as one of the remaining control planes lists them (the first that answers). */
async function members(ctx: RemovalContext): Promise<{ via: NodePlan; list: MemberView[] }> {
  const errors: string[] = [];
  for (const cp of ctx.otherControlPlanes()) {
    try {
      return { via: cp, list: await membersWithHealth(ctx.access.secure(cp.address), cp.address) };
    } catch (e) {
      errors.push(`${cp.hostname}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no remaining control plane can list the etcd members (${errors.join("; ") || "none left"})`);
}

/** Before a control plane leaves: the members that stay must be a healthy quorum (checked again at apply time). */
export async function checkRemovalQuorum(ctx: RemovalContext, node: NodePlan): Promise<void> {
  const { list } = await members(ctx);
  if (!list.some((m) => m.hostname === node.hostname)) return;
  const verdict = checkRemoval(list, [node.hostname]);
  if (verdict.error) throw new Error(verdict.error);
}

/**
 * Executes a `remove`, each part safe to run again after a crash: the node leaves etcd (EtcdLeaveCluster on the node
 * while it runs; otherwise EtcdRemoveMemberByID through a remaining control plane), is reset (wiped, rebooted into
 * maintenance mode, so its kubelet cannot register again) when it answers, and its Kubernetes Node is deleted.
 */
export async function removeNode(ctx: RemovalContext, node: NodePlan, a: RemoveAction): Promise<void> {
  const self = ctx.access.secure(node.address);
  if (a.etcdMemberId) {
    const { via, list } = await members(ctx);
    const member = list.find((m) => m.id === a.etcdMemberId || m.hostname === node.hostname);
    if (member) {
      const left =
        a.reset && member.healthy
          ? await self.etcdLeaveCluster(node.address).then(
              () => true,
              (e: Error) => (
                ctx.info(`etcd leave on ${node.hostname} failed (${e.message}); removing the member by id`),
                false
              ),
            )
          : false;
      if (!left) await ctx.access.secure(via.address).etcdRemoveMemberById(via.address, parseMemberId(member.id));
      await ctx.until(`${node.hostname} to leave the etcd members`, async () =>
        (await members(ctx)).list.some((m) => m.id === member.id) ? "still a member" : undefined,
      );
      ctx.info(
        `${node.hostname} is no longer an etcd member (${left ? "left" : `removed ${member.id} through ${via.hostname}`})`,
      );
    }
  }
  if (a.reset) {
    const before = await self.bootId(node.address).catch(() => undefined);
    if (before !== undefined) {
      await self.reset(node.address, { graceful: false, reboot: true });
      await ctx.until(`${node.hostname} to reset`, async () =>
        (await self.bootId(node.address).catch(() => undefined)) === before ? "not reset yet" : undefined,
      );
    }
  }
  if (a.kubernetesNode) {
    const kube = await ctx.kube();
    if (!kube)
      throw new Error(
        `the Kubernetes API is not reachable: the Node ${node.hostname} was not deleted (delete it with kubectl delete node ${node.hostname})`,
      );
    await kube.deleteNode(node.hostname);
  }
}
