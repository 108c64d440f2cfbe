import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { TalosClient } from "../talosapi/client.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { formatMemberId, inspectSnapshot, type SnapshotInfo } from "./snapshot.js";

/** One etcd member with its health as its own node reports it (EtcdStatus through that node). */
export interface MemberView {
  readonly id: string;
  readonly hostname: string;
  /** The member's address (host of its first peer URL). */
  readonly address: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly learner: boolean;
  readonly healthy: boolean;
  readonly leader: boolean;
  /** Why it is not healthy. */
  readonly problem?: string;
}

export function hostOfUrl(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return url;
  }
}

/** The member list as `node` sees it, each member's health asked from the member itself. */
export async function membersWithHealth(client: TalosClient, node: string): Promise<MemberView[]> {
  const list = await client.etcdMemberList(node);
  const statuses = await client.etcdStatus(list.members.map((m) => hostOfUrl(m.peerUrls[0] ?? m.hostname)));
  const leaders = new Set(statuses.flatMap((s) => (s.value?.leader ? [s.value.leader] : [])));
  return list.members.map((m, i) => {
    const s = statuses[i]!;
    const problem = s.error
      ? s.error.error.message
      : s.value && s.value.errors.length > 0
        ? s.value.errors.join(", ")
        : undefined;
    return {
      id: formatMemberId(m.id),
      hostname: m.hostname,
      address: hostOfUrl(m.peerUrls[0] ?? m.hostname),
      peerUrls: m.peerUrls,
      clientUrls: m.clientUrls,
      learner: m.isLearner,
      healthy: problem === undefined,
      leader: leaders.has(m.id),
      ...(problem !== undefined ? { problem } : {}),
    };
  });
}

/** A call refused because the node is not a control plane (machined answers Unimplemented). */
export function isNotControlPlane(e: unknown): boolean {
  return e instanceof ConnectError
    ? e.code === Code.Unimplemented
    : (e as { code?: number } | undefined)?.code === Code.Unimplemented;
}

export interface SavedSnapshot {
  readonly path: string;
  readonly info: SnapshotInfo;
  /** Older snapshots of the same cluster deleted by `keep`. */
  readonly pruned: readonly string[];
}

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
const snapshotName = (cluster: string) =>
  new RegExp(`^${cluster.replace(/[^A-Za-z0-9_-]/g, "\\$&")}-etcd-\\d{8}T\\d{6}Z\\.db$`);

/**
 * Streams a snapshot from `node`, writes it 0600 atomically as `<dir>/<cluster>-etcd-<UTC time>.db`, reads it back
 * and verifies it (size, sha256 trailer, members and revision where the format carries them); a snapshot that does
 * not verify is deleted and reported. `keep` prunes older snapshots of the cluster, newest kept.
 */
export async function saveSnapshot(
  client: TalosClient,
  node: string,
  o: { dir: string; cluster: string; now: Date; keep?: number },
): Promise<SavedSnapshot> {
  const data = await client.etcdSnapshot(node);
  const path = join(o.dir, `${o.cluster}-etcd-${stamp(o.now)}.db`);
  await writeFileAtomic(path, data, { mode: 0o600 });
  let info: SnapshotInfo;
  try {
    const back = await readFile(path);
    if (back.length !== data.byteLength) throw new Error(`wrote ${data.byteLength} bytes, read back ${back.length}`);
    info = inspectSnapshot(back);
  } catch (e) {
    await rm(path, { force: true });
    throw new Error(`the snapshot from ${node} does not verify (${(e as Error).message}); it was not kept`, {
      cause: e,
    });
  }
  const pruned: string[] = [];
  if (o.keep !== undefined && o.keep > 0) {
    const mine = (await readdir(o.dir)).filter((f) => snapshotName(o.cluster).test(f)).sort();
    for (const f of mine.slice(0, Math.max(0, mine.length - o.keep))) {
      await rm(join(o.dir, f), { force: true });
      pruned.push(join(o.dir, f));
    }
  }
  return { path, info, pruned };
}

export function describeSnapshot(info: SnapshotInfo): string {
  const parts = [
    `${info.size} bytes`,
    info.hashVerified ? `sha256 ${info.sha256!.slice(0, 16)}… verified` : "no hash check",
  ];
  if (info.revision !== undefined) parts.push(`revision ${info.revision}`, `${info.totalKeys} keys`);
  // Names sorted: a db lists its members by id, which says nothing to a reader.
  if (info.members)
    parts.push(
      `${info.members.length} member(s): ${info.members
        .map((m) => m.name)
        .sort()
        .join(", ")}`,
    );
  return parts.join(", ");
}
