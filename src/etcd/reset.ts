import type { TalosClient } from "../talosapi/client.js";
import { isNotControlPlane, membersWithHealth, type MemberView } from "./ops.js";
import { checkRemoval } from "./quorum.js";

export const WIPE_MODES = { all: 0, "system-disk": 1, "user-disks": 2 } as const;
export type WipeMode = keyof typeof WIPE_MODES;

export interface ResetOptions {
  /** Leave etcd (control planes) and drain first; `false` only when asked for explicitly. */
  readonly graceful: boolean;
  readonly reboot: boolean;
  readonly wipeMode: WipeMode;
  /** System partition labels to wipe (`EPHEMERAL`, `STATE`); empty: the whole system disk. */
  readonly systemLabelsToWipe: readonly string[];
  readonly wait: boolean;
  readonly timeoutMs: number;
  readonly pollMs?: number;
}

export class ResetRefused extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "ResetRefused";
  }
}

/** Which member `node` (an address or hostname) is. */
export function memberOf(members: readonly MemberView[], node: string): MemberView | undefined {
  return members.find((m) => m.address === node || m.hostname === node);
}

/**
 * `Reset` with talform's guards: a graceful reset of a control plane makes Talos leave etcd first, which only works
 * while the other members stay a healthy quorum — checked before anything is sent, so a refused reset changes
 * nothing. With `wait`, returns once the node went away (rebooted with a new boot id, or down/halted).
 */
export async function resetWithGuards(
  client: TalosClient,
  node: string,
  o: ResetOptions,
  report: (line: string) => void,
): Promise<{ actorId: string; member?: MemberView }> {
  let members: MemberView[] | undefined;
  try {
    members = await membersWithHealth(client, node);
  } catch (e) {
    if (!isNotControlPlane(e)) {
      if (o.graceful) {
        throw new ResetRefused(
          `cannot read the etcd members through ${node}: ${(e as Error).message}; a graceful reset would fail when it leaves etcd`,
          "fix etcd first (talform etcd status), or reset without leaving etcd: --graceful=false, then remove its member with talform etcd remove-member",
        );
      }
      report(
        `warning: cannot read the etcd members through ${node} (${(e as Error).message}); resetting without leaving etcd`,
      );
    }
  }
  const member = members ? memberOf(members, node) : undefined;
  if (members && member) {
    if (o.graceful) {
      const verdict = checkRemoval(members, [member.hostname]);
      if (verdict.error) {
        throw new ResetRefused(
          `refusing to reset ${member.hostname}: ${verdict.error}`,
          "bring the other control planes back to healthy first (talform etcd members), or recover from a snapshot (talform recover)",
        );
      }
      if (verdict.warning) report(`warning: ${verdict.warning}`);
      report(`${member.hostname} leaves etcd (member ${member.id}) before the reset`);
    } else {
      report(
        `warning: --graceful=false: ${member.hostname} does not leave etcd; afterwards remove its member: talform etcd remove-member ${member.id} -n <another control plane>`,
      );
    }
  }
  const before = await client.bootId(node).catch(() => undefined);
  const actorId = await client.reset(node, {
    graceful: o.graceful,
    reboot: o.reboot,
    mode: WIPE_MODES[o.wipeMode],
    systemPartitionsToWipe: o.systemLabelsToWipe.map((label) => ({ label, wipe: true })),
  });
  report(`reset of ${node} started (actor ${actorId})`);
  if (o.wait) await waitGone(client, node, before, o);
  return { actorId, ...(member ? { member } : {}) };
}

/** The node left its current boot: a new boot id, or it stopped answering with the cluster's credentials. */
async function waitGone(client: TalosClient, node: string, before: string | undefined, o: ResetOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const now = await client.bootId(node).catch(() => undefined);
    if (now === undefined || now !== before) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${node} did not start the reset within ${Math.round(o.timeoutMs / 1000)} s (check talform logs machined -n ${node}: the sequence fails when etcd refuses the leave)`,
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
  }
}
