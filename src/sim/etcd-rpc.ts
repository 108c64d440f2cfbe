import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MachineService } from "../gen/machine/machine_pb.js";
import type { SimCluster } from "./cluster.js";
import type { SimNode } from "./node.js";

/** Roles of the etcd-lifecycle methods (machined's authorization rules, services/machined.go). */
export const ETCD_METHOD_ROLES: Readonly<Record<string, readonly string[]>> = {
  "/machine.MachineService/EtcdDefragment": ["os:admin", "os:operator"],
  "/machine.MachineService/EtcdForfeitLeadership": ["os:admin"],
  "/machine.MachineService/EtcdLeaveCluster": ["os:admin"],
  "/machine.MachineService/EtcdRecover": ["os:admin"],
  "/machine.MachineService/EtcdRemoveMemberByID": ["os:admin"],
  "/machine.MachineService/Reset": ["os:admin"],
};

/**
 * The MachineService handlers for etcd membership, recovery and reset. `route` authorizes the call and picks the
 * target node (apid's routing); every handler then checks the node is a control plane like machined does.
 */
export function etcdLifecycleHandlers(
  cluster: SimCluster,
  route: (ctx: HandlerContext) => SimNode,
): Partial<ServiceImpl<typeof MachineService>> {
  const controlPlane = (ctx: HandlerContext, what: string): SimNode => {
    const n = route(ctx);
    if (!n.controlPlane) throw new ConnectError(`${what} is only available on control plane nodes`, Code.Unimplemented);
    return n;
  };
  return {
    etcdRemoveMemberByID(req, ctx) {
      cluster.etcdRemoveMember(controlPlane(ctx, "etcd remove member"), req.memberId);
      return { messages: [{}] };
    },
    etcdLeaveCluster(_req, ctx) {
      cluster.etcdLeave(controlPlane(ctx, "etcd leave"));
      return { messages: [{}] };
    },
    etcdForfeitLeadership(_req, ctx) {
      return { messages: [{ member: cluster.etcdForfeitLeadership(controlPlane(ctx, "etcd forfeit leadership")) }] };
    },
    etcdDefragment(_req, ctx) {
      cluster.etcdDefragment(controlPlane(ctx, "etcd defragment"));
      return { messages: [{}] };
    },
    async etcdRecover(reqs, ctx) {
      const n = controlPlane(ctx, "etcd recover");
      const chunks: Uint8Array[] = [];
      for await (const d of reqs) chunks.push(d.bytes);
      cluster.etcdRecoverUpload(n, new Uint8Array(Buffer.concat(chunks)));
      return { messages: [{}] };
    },
    reset(req, ctx) {
      const n = route(ctx);
      const actorId = cluster.reset(n, {
        graceful: req.graceful,
        reboot: req.reboot,
        systemPartitionsToWipe: req.systemPartitionsToWipe,
        mode: req.mode,
      });
      return { messages: [{ actorId }] };
    },
  };
}
