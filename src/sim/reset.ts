import { Code, ConnectError } from "@connectrpc/connect";
import type { SimCluster } from "./cluster.js";
import type { SimNode } from "./node.js";

/** The fields of Talos's `ResetRequest` the simulator acts on (WipeMode: 0 ALL, 1 SYSTEM_DISK, 2 USER_DISKS). */
export interface SimResetRequest {
  readonly graceful: boolean;
  readonly reboot: boolean;
  readonly systemPartitionsToWipe: readonly { readonly label: string; readonly wipe: boolean }[];
  readonly mode: number;
}

const SYSTEM_LABELS = new Set(["STATE", "EPHEMERAL", "META"]);
const USER_DISKS = 2;

/**
 * Talos's reset sequence, in the order that matters for etcd (v1alpha1_sequencer.go `Reset`): with `graceful` a control
 * plane leaves etcd first (a refusal — e.g. the rest would lose quorum — fails the sequence and the node keeps
 * running, untouched), then the system partitions are wiped (all of them when none is listed: STATE and EPHEMERAL)
 * and the node reboots or halts. Wiping STATE drops the machine config: the node comes back in maintenance mode.
 */
export function resetNode(cluster: SimCluster, node: SimNode, req: SimResetRequest): string {
  if (node.inMaintenance) throw new ConnectError("reset is not supported in maintenance mode", Code.FailedPrecondition);
  if (node.stage !== "running")
    throw new ConnectError(`a ${node.stage} sequence is already running`, Code.FailedPrecondition);
  for (const p of req.systemPartitionsToWipe) {
    if (!SYSTEM_LABELS.has(p.label))
      throw new ConnectError(
        `failed to get volume status with label "${p.label}": resource VolumeStatuses.block.talos.dev(runtime/${p.label}@undefined) doesn't exist`,
        Code.NotFound,
      );
  }
  if (req.mode === USER_DISKS && req.systemPartitionsToWipe.length > 0) {
    throw new ConnectError(
      "reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter",
      Code.Unknown,
    );
  }
  const wholeDisk = req.mode !== USER_DISKS && req.systemPartitionsToWipe.length === 0;
  const wiped = (label: string) => wholeDisk || req.systemPartitionsToWipe.some((p) => p.label === label && p.wipe);
  const actor = cluster.random.uuid();
  node.log("machined", `reset request received. actorID: ${actor}`);
  cluster.after(50, () => {
    if (req.graceful && node.controlPlane && cluster.etcdData.member(node.hostname)) {
      try {
        cluster.etcdLeave(node);
      } catch (e) {
        node.log("machined", `reset failed: failed to leave cluster: ${(e as Error).message}`);
        return;
      }
    }
    if (wiped("EPHEMERAL")) cluster.etcdData.wipe(node.hostname);
    node.log(
      "machined",
      `resetting: wiping ${
        wholeDisk
          ? "the system disk"
          : req.systemPartitionsToWipe
              .filter((p) => p.wipe)
              .map((p) => p.label)
              .join(", ") || "nothing"
      }`,
    );
    node.resetAndRestart({ wipeState: wiped("STATE"), halt: !req.reboot }, actor);
  });
  return actor;
}
