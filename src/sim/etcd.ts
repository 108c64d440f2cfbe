import { storageVersionOf } from "../etcd/etcd-db.js";
import { decodeSnapshot, encodeSnapshot, formatMemberId, inspectSnapshot, type SnapshotKey } from "../etcd/snapshot.js";
import type { Random } from "./random.js";

/**
 * The simulated etcd cluster: one replicated key space with MVCC revisions, its membership, and which nodes hold its
 * data on disk. What a real etcd does that matters to an operator is kept: every write bumps the cluster revision
 * (each key keeps create/mod revision and version), reads and writes need a healthy majority of the voting members,
 * members leave or are removed only while the rest stay a quorum (etcd's strict reconfiguration check), a snapshot
 * carries the key space with its revisions and a restore brings exactly that back as a new one-member cluster.
 * Learners are not modelled: a joining member votes at once.
 */

/** One key as etcd's MVCC store keeps it. */
export interface KvEntry {
  readonly key: string;
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

/**
 * What the simulated kube-apiserver stores its objects in (keys like Kubernetes uses: `/registry/pods/<ns>/<name>`,
 * `/registry/minions/<node>`). Every call throws `EtcdUnavailableError` while etcd has no quorum.
 */
export interface KeyValueStore {
  get(key: string): KvEntry | undefined;
  /** Every key starting with `prefix`, in key order. */
  range(prefix: string): KvEntry[];
  put(key: string, value: string): KvEntry;
  /** True when the key existed. */
  delete(key: string): boolean;
  /** The cluster revision (the revision of the last write). */
  readonly revision: number;
}

export class EtcdUnavailableError extends Error {
  constructor(message = "etcdserver: request timed out") {
    super(message);
    this.name = "EtcdUnavailableError";
  }
}

/** A refusal that maps to a gRPC code at the API (FailedPrecondition, NotFound, …). */
export class EtcdRefusal extends Error {
  constructor(
    message: string,
    readonly code: "failed-precondition" | "not-found" | "unavailable" | "already-exists" | "invalid-argument",
  ) {
    super(message);
    this.name = "EtcdRefusal";
  }
}

export interface EtcdMemberInfo {
  readonly id: bigint;
  readonly hostname: string;
  readonly address: string;
}

/** Per node (hostname): what is on its etcd data directory and whether its etcd service may run. */
type DataState = "member" | "stale";

export interface SimEtcdHost {
  readonly random: Random;
  readonly clusterName: string;
  /** The node is up and its etcd process can run (running stage, no etcd fault, API reachable). */
  live(hostname: string): boolean;
}

export class SimEtcd implements KeyValueStore {
  private keys = new Map<string, KvEntry>();
  private rev = 1;
  private readonly members = new Map<string, EtcdMemberInfo>();
  /** Data directories: `member` holds this cluster's data; `stale` is left over from a removed member. */
  private readonly data = new Map<string, DataState>();
  /** Nodes whose etcd was stopped by `leave` (until their next boot). */
  private readonly stopped = new Set<string>();
  /** Uploaded recovery snapshots (`/var/lib/etcd.snapshot`), per node. */
  private readonly recovery = new Map<string, Uint8Array>();
  private leaderName: string | undefined;
  /** Bytes written since the last defragmentation, per member (db size grows with writes, defrag gives it back). */
  private readonly garbage = new Map<string, number>();

  constructor(private readonly host: SimEtcdHost) {}

  get bootstrapped(): boolean {
    return this.members.size > 0;
  }

  get revision(): number {
    return this.rev;
  }

  memberList(): EtcdMemberInfo[] {
    return [...this.members.values()];
  }

  member(hostname: string): EtcdMemberInfo | undefined {
    return this.members.get(hostname);
  }

  hasData(hostname: string): boolean {
    return this.data.has(hostname);
  }

  /** Why the node's etcd is not a healthy member, or undefined when it is one. */
  problem(hostname: string): string | undefined {
    const m = this.members.get(hostname);
    const d = this.data.get(hostname);
    if (d === "stale")
      return "the member has already been removed from the cluster; wipe the node's EPHEMERAL (reset) so it can join again";
    if (!m) return this.bootstrapped ? "not a member of the etcd cluster" : "etcd is not bootstrapped";
    if (d !== "member")
      return `member ${formatMemberId(m.id)} already exists with the same peer URLs, but its data is gone: remove it (talform etcd remove-member ${formatMemberId(m.id)}) so the node joins again`;
    if (this.stopped.has(hostname)) return "etcd was stopped (the node left the cluster)";
    if (!this.host.live(hostname)) return "the member is not running";
    return undefined;
  }

  healthy(hostname: string): boolean {
    return this.problem(hostname) === undefined;
  }

  healthyMembers(): string[] {
    return [...this.members.keys()].filter((h) => this.healthy(h));
  }

  quorum(): boolean {
    return this.bootstrapped && this.healthyMembers().length > this.members.size / 2;
  }

  leader(): EtcdMemberInfo | undefined {
    if (!this.quorum()) return undefined;
    if (!this.leaderName || !this.healthy(this.leaderName)) this.leaderName = this.healthyMembers()[0];
    return this.leaderName ? this.members.get(this.leaderName) : undefined;
  }

  private require(): void {
    if (!this.quorum())
      throw new EtcdUnavailableError(
        this.bootstrapped ? "etcdserver: request timed out (etcd has lost quorum)" : "etcd is not bootstrapped",
      );
  }

  // --- key space ------------------------------------------------------------------------------------------------

  get(key: string): KvEntry | undefined {
    this.require();
    return this.keys.get(key);
  }

  range(prefix: string): KvEntry[] {
    this.require();
    return [...this.keys.values()]
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  put(key: string, value: string): KvEntry {
    this.require();
    const prev = this.keys.get(key);
    const rev = ++this.rev;
    const e: KvEntry = {
      key,
      value,
      createRevision: prev?.createRevision ?? rev,
      modRevision: rev,
      version: (prev?.version ?? 0) + 1,
    };
    this.keys.set(key, e);
    this.wrote(key.length + value.length);
    return e;
  }

  delete(key: string): boolean {
    this.require();
    if (!this.keys.delete(key)) return false;
    this.rev++;
    this.wrote(key.length);
    return true;
  }

  private wrote(bytes: number): void {
    for (const h of this.members.keys()) this.garbage.set(h, (this.garbage.get(h) ?? 0) + bytes + 64);
  }

  /** The whole key space (tests and drills compare it across a restore). */
  dump(): KvEntry[] {
    return [...this.keys.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  // --- membership -----------------------------------------------------------------------------------------------

  /** `Bootstrap`: a new one-member cluster on this node, empty or restored from its uploaded snapshot. */
  bootstrap(
    node: { hostname: string; address: string },
    recover: { skipHashCheck: boolean } | undefined,
  ): { restoredRevision?: number; keys?: number } {
    if (this.data.has(node.hostname)) throw new EtcdRefusal("etcd data directory is not empty", "already-exists");
    if (this.bootstrapped) throw new EtcdRefusal("etcd data directory is not empty", "already-exists");
    let restored: { restoredRevision: number; keys: number } | undefined;
    if (recover) {
      const file = this.recovery.get(node.hostname);
      if (!file)
        throw new EtcdRefusal(
          "no etcd recovery snapshot was uploaded to this node (EtcdRecover first)",
          "failed-precondition",
        );
      let keys: readonly SnapshotKey[];
      let revision: number;
      try {
        inspectSnapshot(file, { skipHashCheck: recover.skipHashCheck });
        ({ keys, revision } = decodeSnapshot(file));
      } catch (e) {
        throw new EtcdRefusal(`error recovering from the snapshot: ${(e as Error).message}`, "invalid-argument");
      }
      this.keys = new Map(
        keys.map((k) => [
          k.key,
          {
            key: k.key,
            value: Buffer.from(k.value, "base64").toString("utf8"),
            createRevision: k.createRevision,
            modRevision: k.modRevision,
            version: k.version,
          },
        ]),
      );
      this.rev = revision;
      this.recovery.delete(node.hostname); // Talos deletes /var/lib/etcd.snapshot after the restore
      restored = { restoredRevision: revision, keys: keys.length };
    } else {
      this.keys = new Map();
      this.rev = 1;
    }
    this.host.random.u64(); // the new cluster's id: raft keeps it, not the db (drawn so seeded ids stay stable)
    this.add(node);
    this.leaderName = node.hostname;
    return restored ?? {};
  }

  private add(node: { hostname: string; address: string }): EtcdMemberInfo {
    const m = { id: this.host.random.u64(), hostname: node.hostname, address: node.address };
    this.members.set(node.hostname, m);
    this.data.set(node.hostname, "member");
    this.garbage.set(node.hostname, 0);
    return m;
  }

  /**
   * A control plane whose etcd starts with an empty data directory joins the running cluster (Talos adds it with
   * MemberAdd). It cannot while its old member entry is still there (same peer URLs) or while there is no quorum.
   */
  tryJoin(node: { hostname: string; address: string }): boolean {
    if (
      !this.bootstrapped ||
      this.data.has(node.hostname) ||
      this.stopped.has(node.hostname) ||
      this.members.has(node.hostname)
    )
      return false;
    if (!this.quorum()) return false;
    this.add(node);
    return true;
  }

  /** The node booted: a stopped etcd starts again. */
  booted(hostname: string): void {
    this.stopped.delete(hostname);
  }

  /** etcd's strict reconfiguration check: after removing `hostname` the remaining started members must be a quorum. */
  private checkRemoval(hostname: string): void {
    const rest = [...this.members.keys()].filter((h) => h !== hostname);
    const started = rest.filter((h) => this.healthy(h)).length;
    if (rest.length === 0)
      throw new EtcdRefusal(
        "etcdserver: re-configuration failed due to not enough started members (the last member cannot be removed)",
        "failed-precondition",
      );
    if (started <= rest.length / 2) {
      throw new EtcdRefusal(
        `etcdserver: re-configuration failed due to not enough started members (${started} of the remaining ${rest.length} are healthy)`,
        "failed-precondition",
      );
    }
  }

  /** `EtcdLeaveCluster` on this node: remove its own member, stop etcd and clear its data directory. */
  leave(hostname: string): void {
    this.require();
    if (!this.members.has(hostname)) {
      this.data.delete(hostname);
      this.stopped.add(hostname);
      return; // already removed: nothing to do (Talos treats ErrMemberNotFound as done)
    }
    this.checkRemoval(hostname);
    this.members.delete(hostname);
    this.data.delete(hostname);
    this.stopped.add(hostname);
    if (this.leaderName === hostname) this.leaderName = undefined;
  }

  /** `EtcdRemoveMemberByID`: the removed node's data directory is stale from now on. */
  removeMember(id: bigint): EtcdMemberInfo {
    this.require();
    const m = [...this.members.values()].find((x) => x.id === id);
    if (!m) throw new EtcdRefusal(`etcdserver: member not found (${formatMemberId(id)})`, "not-found");
    this.checkRemoval(m.hostname);
    this.members.delete(m.hostname);
    if (this.data.has(m.hostname)) this.data.set(m.hostname, "stale");
    if (this.leaderName === m.hostname) this.leaderName = undefined;
    return m;
  }

  /** Returns the new leader's name, or "" when this member was not the leader (like Talos). */
  forfeitLeadership(hostname: string): string {
    this.require();
    if (this.members.size === 1)
      throw new EtcdRefusal("cannot forfeit leadership, only one member", "failed-precondition");
    if (this.leader()?.hostname !== hostname) return "";
    const next = this.healthyMembers().find((h) => h !== hostname);
    if (!next) throw new EtcdRefusal("no other healthy member can take the leadership", "unavailable");
    this.leaderName = next;
    return next;
  }

  dbSize(hostname: string): { size: number; inUse: number } {
    let inUse = 20_480;
    for (const e of this.keys.values()) inUse += e.key.length + e.value.length + 64;
    const pad = (n: number) => Math.ceil(n / 4096) * 4096;
    return { size: pad(inUse + (this.garbage.get(hostname) ?? 0)), inUse: pad(inUse) };
  }

  defragment(hostname: string): void {
    this.garbage.set(hostname, 0);
  }

  // --- data on disk ---------------------------------------------------------------------------------------------

  /**
   * The node's etcd data directory is destroyed (fault `wipe`, or a reset that wipes EPHEMERAL). Its member entry
   * stays — the cluster still counts it, unhealthy — until someone removes it. When no member holds the data any
   * more the key space is gone: etcd is not bootstrapped until a recovery.
   */
  wipe(hostname: string): void {
    this.data.delete(hostname);
    this.recovery.delete(hostname);
    if (this.bootstrapped && ![...this.members.keys()].some((h) => this.data.get(h) === "member")) {
      this.members.clear();
      this.keys = new Map();
      this.rev = 1;
      this.leaderName = undefined;
    }
  }

  /** `EtcdRecover`: keep the upload for `Bootstrap` with recover (only while etcd waits to be bootstrapped or join). */
  upload(hostname: string, snapshot: Uint8Array): void {
    if (this.data.has(hostname) || this.members.has(hostname))
      throw new EtcdRefusal(
        "etcd service is not ready for recovery yet (the node has etcd data: reset its EPHEMERAL first)",
        "failed-precondition",
      );
    this.recovery.set(hostname, snapshot);
  }

  /** The member's db as `EtcdSnapshot` streams it; `etcdVersion` is the release the node runs (its storage version). */
  snapshot(hostname: string, etcdVersion: string): Uint8Array {
    const m = this.members.get(hostname);
    if (!m || this.data.get(hostname) !== "member")
      throw new EtcdRefusal("failed reading etcd snapshot: etcd is not running on this node", "failed-precondition");
    if (!this.healthy(hostname))
      throw new EtcdRefusal("failed reading etcd snapshot: etcdserver: request timed out", "unavailable");
    // etcd's backend as a snapshot carries it (a bbolt db + sha256): talosctl and etcdutl read it like a real one.
    const storageVersion = storageVersionOf(etcdVersion);
    return encodeSnapshot({
      revision: this.rev,
      members: this.memberList().map((x) => ({
        id: x.id,
        name: x.hostname,
        peerUrls: [`https://${x.address}:2380`],
        clientUrls: [`https://${x.address}:2379`],
      })),
      keys: this.dump().map((e) => ({
        key: Buffer.from(e.key, "utf8"),
        value: Buffer.from(e.value, "utf8"),
        createRevision: e.createRevision,
        modRevision: e.modRevision,
        version: e.version,
      })),
      ...(storageVersion ? { storageVersion } : {}),
    });
  }
}
