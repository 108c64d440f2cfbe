import type { ControllerKube, Lease } from "./kube.js";

/**
 * Leader election with a coordination.k8s.io Lease, the way client-go's leaderelection does it: the holder renews
 * `renewTime` every `retryMs`; anyone may take the lease once `renewTime + leaseDurationSeconds` has passed; writes
 * carry the resourceVersion they read, so of two replicas racing for it exactly one wins. A replica acts only while
 * its own last successful renewal is younger than the lease duration (by its own clock), so a partitioned holder
 * stops before another can take over.
 */
export interface LeaderElector {
  /** One try: acquire or renew. Returns whether this replica leads now. */
  tick(): Promise<boolean>;
  isLeader(): boolean;
  /** Gives the lease up (graceful shutdown), so a successor does not wait for it to expire. */
  release(): Promise<void>;
}

export interface LeaderElectorOptions {
  readonly kube: ControllerKube;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  readonly now: () => Date;
}

export function leaderElector(o: LeaderElectorOptions): LeaderElector {
  let renewedAt: number | undefined;
  const leading = () => renewedAt !== undefined && o.now().getTime() - renewedAt < o.leaseDurationSeconds * 1000;
  return {
    async tick() {
      const now = o.now();
      let current: Lease | undefined;
      try {
        current = await o.kube.getLease(o.namespace, o.name);
      } catch {
        return leading();
      }
      const mine = current?.holder === o.identity;
      const expired =
        !current?.holder ||
        !current.renewTime ||
        now.getTime() > current.renewTime.getTime() + current.durationSeconds * 1000;
      if (current && !mine && !expired) {
        renewedAt = undefined;
        return false;
      }
      const next: Lease = {
        name: o.name,
        holder: o.identity,
        durationSeconds: o.leaseDurationSeconds,
        acquireTime: mine ? (current?.acquireTime ?? now) : now,
        renewTime: now,
        transitions: (current?.transitions ?? 0) + (current && !mine ? 1 : 0),
        ...(current?.resourceVersion ? { resourceVersion: current.resourceVersion } : {}),
      };
      let won: boolean;
      try {
        won = await o.kube.writeLease(o.namespace, next);
      } catch {
        return leading();
      }
      if (won) renewedAt = now.getTime();
      else renewedAt = undefined;
      return won;
    },
    isLeader: leading,
    async release() {
      if (!leading()) return;
      renewedAt = undefined;
      const current = await o.kube.getLease(o.namespace, o.name).catch(() => undefined);
      if (current?.holder !== o.identity) return;
      await o.kube
        .writeLease(o.namespace, { ...current, holder: undefined, renewTime: undefined, acquireTime: undefined })
        .catch(() => false);
    },
  };
}
