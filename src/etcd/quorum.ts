/**
 * etcd quorum arithmetic for membership changes. A cluster of N voting members needs floor(N/2)+1 healthy ones to
 * answer; members leave one at a time, and each removal is only safe while the members that remain are a healthy
 * majority of the new, smaller cluster (what etcd's strict reconfiguration check enforces).
 */
export interface MemberHealth {
  readonly hostname: string;
  readonly healthy: boolean;
}

export interface RemovalVerdict {
  /** Why the removal is refused (undefined: allowed). */
  readonly error?: string;
  /** Allowed, but fault tolerance is lost. */
  readonly warning?: string;
}

export function quorumSize(members: number): number {
  return Math.floor(members / 2) + 1;
}

export function hasQuorum(members: readonly MemberHealth[]): boolean {
  return members.length > 0 && members.filter((m) => m.healthy).length >= quorumSize(members.length);
}

/** Checks removing `removing` (in that order, one at a time) from `members`. */
export function checkRemoval(members: readonly MemberHealth[], removing: readonly string[]): RemovalVerdict {
  const gone = new Set(removing);
  if (members.length > 0 && members.every((m) => gone.has(m.hostname))) {
    return {
      error: `removing every control plane (${removing.join(", ")}) would leave no etcd member: the cluster and its Kubernetes API would be gone`,
    };
  }
  let rest = [...members];
  for (const h of removing) {
    if (!rest.some((m) => m.hostname === h)) continue;
    rest = rest.filter((m) => m.hostname !== h);
    const healthy = rest.filter((m) => m.healthy);
    if (healthy.length < quorumSize(rest.length)) {
      const down = rest.filter((m) => !m.healthy).map((m) => m.hostname);
      return {
        error: `removing ${h} would leave ${rest.length} etcd member(s) of which only ${healthy.length} are healthy (quorum needs ${quorumSize(rest.length)}): etcd would lose quorum${down.length > 0 ? `; ${down.join(", ")} ${down.length === 1 ? "is" : "are"} down` : ""}`,
      };
    }
  }
  if (rest.length < 3) {
    return {
      warning: `the cluster shrinks to ${rest.length} control plane(s): etcd no longer tolerates losing a member (3 or more are recommended)`,
    };
  }
  return {};
}
