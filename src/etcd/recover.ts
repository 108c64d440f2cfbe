import type { TalosClient } from "../talosapi/client.js";
import { describeSnapshot, membersWithHealth, type MemberView } from "./ops.js";
import { hasQuorum } from "./quorum.js";
import { inspectSnapshot, type SnapshotInfo } from "./snapshot.js";

/**
 * etcd disaster recovery as Talos documents it (disaster-recovery: reset the control planes' EPHEMERAL, wait for etcd
 * `Preparing`, upload the snapshot and bootstrap one node with it; the others join the restored cluster).
 */
export interface RecoverOptions {
  readonly snapshot: Uint8Array;
  readonly snapshotPath: string;
  /** Every control plane (addresses), the bootstrap node among them. */
  readonly controlPlanes: readonly string[];
  readonly bootstrapNode: string;
  /** Recover although etcd still has a healthy quorum (replaces live data with the snapshot). */
  readonly force: boolean;
  /** For a db copied from a member's disk (no sha256 trailer), like `--recover-skip-hash-check`. */
  readonly skipHashCheck: boolean;
  readonly timeoutMs: number;
  readonly pollMs?: number;
}

export interface RecoverStep {
  readonly id: string;
  readonly node?: string;
  readonly label: string;
}

export class RecoverRefused extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "RecoverRefused";
  }
}

export function verifySnapshotForRecovery(
  o: Pick<RecoverOptions, "snapshot" | "snapshotPath" | "skipHashCheck">,
): SnapshotInfo {
  try {
    return inspectSnapshot(o.snapshot, { skipHashCheck: o.skipHashCheck });
  } catch (e) {
    throw new RecoverRefused(
      `${o.snapshotPath}: ${(e as Error).message}`,
      "take a fresh snapshot (talform etcd snapshot), or pass --skip-hash-check for a db copied from a member's disk",
    );
  }
}

/** The steps, in order (also what `--dry-run` prints). */
export function recoverySteps(
  o: Pick<RecoverOptions, "controlPlanes" | "bootstrapNode" | "snapshotPath">,
): RecoverStep[] {
  const others = o.controlPlanes.filter((n) => n !== o.bootstrapNode);
  return [
    { id: "verify", label: `verify the snapshot ${o.snapshotPath} (size, sha256 trailer)` },
    {
      id: "quorum",
      label: "check that etcd has no healthy quorum (a live cluster is not overwritten without --force)",
    },
    ...o.controlPlanes.map((n) => ({
      id: `reset/${n}`,
      node: n,
      label: `reset ${n}: wipe EPHEMERAL (etcd data), keep STATE, reboot (graceful=false)`,
    })),
    ...o.controlPlanes.map((n) => ({
      id: `preparing/${n}`,
      node: n,
      label: `wait until etcd on ${n} is Preparing (empty data directory, waiting for a bootstrap)`,
    })),
    { id: "upload", node: o.bootstrapNode, label: `upload the snapshot to ${o.bootstrapNode} (EtcdRecover)` },
    {
      id: "bootstrap",
      node: o.bootstrapNode,
      label: `bootstrap ${o.bootstrapNode} from it (Bootstrap with recover_etcd)`,
    },
    {
      id: "join",
      label: `wait until ${others.length > 0 ? `${others.join(", ")} join and ` : ""}every member is healthy`,
    },
  ];
}

/**
 * `clientFor(node)` must talk to that node directly (the node as its own endpoint): every control plane reboots
 * during the recovery, so proxying through one of them would cut the calls to the others.
 */
export async function recoverEtcd(
  clientFor: (node: string) => TalosClient,
  o: RecoverOptions,
  report: (line: string) => void,
): Promise<{ members: MemberView[]; info: SnapshotInfo }> {
  if (!o.controlPlanes.includes(o.bootstrapNode))
    throw new RecoverRefused(
      `the bootstrap node ${o.bootstrapNode} is not one of the control planes (${o.controlPlanes.join(", ")})`,
      "pass --bootstrap-node with one of the -n addresses",
    );
  const steps = recoverySteps(o);
  const step = (id: string) =>
    report(`[${steps.findIndex((s) => s.id === id) + 1}/${steps.length}] ${steps.find((s) => s.id === id)!.label}`);
  step("verify");
  const info = verifySnapshotForRecovery(o);
  report(`  ${describeSnapshot(info)}`);
  step("quorum");
  const live = await liveQuorum(clientFor, o.controlPlanes);
  if (live) {
    const healthy = live.filter((m) => m.healthy).length;
    const msg = `etcd still has a healthy quorum (${healthy} of ${live.length} members healthy: ${live.map((m) => `${m.hostname} ${m.healthy ? "healthy" : "down"}`).join(", ")})`;
    if (!o.force) {
      throw new RecoverRefused(
        `${msg}: recovering would throw away its current data and replace it with the snapshot${info.revision !== undefined ? ` (revision ${info.revision})` : ""}`,
        "replace the broken members instead (talform etcd remove-member, then re-add the node with plan/apply); pass --force only if the live data is known bad",
      );
    }
    report(`  warning: ${msg}; --force: its data will be replaced`);
  } else report("  no healthy quorum: recovery is needed");

  const poll = o.pollMs ?? 500;
  const until = async (what: string, check: () => Promise<string | undefined>) => {
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      const wrong = await check().catch((e: Error) => e.message);
      if (wrong === undefined) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${wrong})`);
      await new Promise((r) => setTimeout(r, poll));
    }
  };
  const boots = new Map<string, string | undefined>();
  for (const n of o.controlPlanes) {
    step(`reset/${n}`);
    boots.set(
      n,
      await clientFor(n)
        .bootId(n)
        .catch(() => undefined),
    );
    await clientFor(n).reset(n, {
      graceful: false,
      reboot: true,
      systemPartitionsToWipe: [{ label: "EPHEMERAL", wipe: true }],
    });
  }
  for (const n of o.controlPlanes) {
    step(`preparing/${n}`);
    await until(`${n} to reboot`, async () => {
      const now = await clientFor(n).bootId(n);
      return now !== boots.get(n) ? undefined : "still the old boot";
    });
    await until(`etcd on ${n} to be Preparing`, async () => {
      const [s] = await clientFor(n).services([n]);
      if (s?.error) return s.error.error.message;
      const etcd = s!.value!.find((x) => x.id === "etcd");
      return etcd?.state === "Preparing" ? undefined : `etcd is ${etcd?.state ?? "missing"}`;
    });
  }
  step("upload");
  await clientFor(o.bootstrapNode).etcdRecover(o.bootstrapNode, o.snapshot);
  step("bootstrap");
  await clientFor(o.bootstrapNode).bootstrap(o.bootstrapNode, { skipHashCheck: o.skipHashCheck });
  step("join");
  let members: MemberView[] = [];
  await until("every control plane to be a healthy etcd member", async () => {
    members = await membersWithHealth(clientFor(o.bootstrapNode), o.bootstrapNode);
    const missing = o.controlPlanes.filter((n) => !members.some((m) => m.address === n || m.hostname === n));
    const sick = members.filter((m) => !m.healthy);
    if (missing.length > 0) return `not members yet: ${missing.join(", ")}`;
    return sick.length > 0 ? `unhealthy: ${sick.map((m) => m.hostname).join(", ")}` : undefined;
  });
  return { members, info };
}

/** The member list with health when some control plane can still read it and the members have quorum. */
async function liveQuorum(
  clientFor: (node: string) => TalosClient,
  controlPlanes: readonly string[],
): Promise<MemberView[] | undefined> {
  for (const n of controlPlanes) {
    try {
      const members = await membersWithHealth(clientFor(n), n);
      if (hasQuorum(members)) return members;
    } catch {
      // this node cannot read the members (no quorum, or its etcd is down): try the next
    }
  }
  return undefined;
}
