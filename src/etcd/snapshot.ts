import { createHash } from "node:crypto";
import { looksLikeBolt } from "./bbolt.js";
import { decodeEtcdDb, encodeEtcdDb, type EtcdDb } from "./etcd-db.js";

/**
 * etcd snapshot files: what `EtcdSnapshot` streams and `EtcdRecover` accepts.
 *
 * A real etcd snapshot is the member's bbolt database followed by a sha256 of those bytes (etcd's maintenance
 * `Snapshot` appends it; `etcdutl snapshot restore` checks it unless `--skip-hash-check`). etcd tells a db with the
 * trailer from a raw copy by its size: bbolt files are whole pages, so `size % 512 == 32` means "has a hash".
 *
 * The simulator writes exactly that (`encodeSnapshot`: etcd's schema in a bbolt file, `etcd-db.ts`/`bbolt.ts`), so
 * talosctl and etcdutl read its snapshots, and talform reads real ones (revision, keys, members, etcdutl's hash).
 *
 * Older simulators wrote their own format with the same trailer and size rule, which is still read:
 *   "TALFORM-SIM-ETCD-SNAPSHOT v1\n" + JSON header + "\n" + one JSON key record per line, padded with "\n" to a
 *   multiple of 512 bytes, then the 32-byte sha256 of everything before it.
 */
export const SIM_SNAPSHOT_MAGIC = "TALFORM-SIM-ETCD-SNAPSHOT v1\n";
const HASH_SIZE = 32;
const PAD_TO = 512;

export interface SnapshotMember {
  /** `%016x`, like talosctl prints member ids. */
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
}

export interface SnapshotKey {
  readonly key: string;
  /** base64 of the value bytes */
  readonly value: string;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

export interface SimSnapshotContent {
  readonly cluster: string;
  readonly clusterId: string;
  readonly revision: number;
  readonly members: readonly SnapshotMember[];
  readonly keys: readonly SnapshotKey[];
}

export interface SnapshotInfo {
  readonly format: "talform-sim" | "bbolt" | "unknown";
  readonly size: number;
  /** The sha256 trailer matched the content. */
  readonly hashVerified: boolean;
  /** sha256 of the content (hex), when a trailer is present. */
  readonly sha256?: string;
  readonly revision?: number;
  readonly totalKeys?: number;
  readonly members?: readonly SnapshotMember[];
  readonly cluster?: string;
  /** bbolt snapshots: etcdutl's `snapshot status` hash (crc32c of the buckets) and etcd's storage version. */
  readonly hash?: number;
  readonly storageVersion?: string;
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

export function encodeSimSnapshot(content: SimSnapshotContent): Uint8Array {
  const header = {
    cluster: content.cluster,
    clusterId: content.clusterId,
    revision: content.revision,
    totalKeys: content.keys.length,
    members: content.members,
  };
  const lines =
    [SIM_SNAPSHOT_MAGIC + JSON.stringify(header), ...content.keys.map((k) => JSON.stringify(k))].join("\n") + "\n";
  const body = Buffer.from(lines, "utf8");
  const padded = Buffer.alloc(Math.ceil(body.length / PAD_TO) * PAD_TO, "\n");
  body.copy(padded);
  const hash = createHash("sha256").update(padded).digest();
  return new Uint8Array(Buffer.concat([padded, hash]));
}

/** Verifies the trailer (unless `skipHashCheck`, like `--recover-skip-hash-check`) and reads what the format allows. */
export function inspectSnapshot(data: Uint8Array, opts: { skipHashCheck?: boolean } = {}): SnapshotInfo {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const size = buf.length;
  if (size === 0) throw new SnapshotError("the snapshot is empty");
  const hasHash = size % PAD_TO === HASH_SIZE;
  let content = buf;
  let sha256: string | undefined;
  let hashVerified = false;
  if (hasHash) {
    content = buf.subarray(0, size - HASH_SIZE);
    const want = buf.subarray(size - HASH_SIZE);
    const got = createHash("sha256").update(content).digest();
    sha256 = got.toString("hex");
    hashVerified = got.equals(want);
    if (!hashVerified && !opts.skipHashCheck)
      throw new SnapshotError(
        `snapshot file integrity check failed: sha256 ${got.toString("hex").slice(0, 16)}… does not match the trailer`,
      );
  } else if (!opts.skipHashCheck) {
    throw new SnapshotError(
      `the snapshot has no sha256 trailer (size ${size} is not a multiple of ${PAD_TO} plus ${HASH_SIZE}); a raw copy of a db needs --skip-hash-check`,
    );
  }
  const base = { size, hashVerified, ...(sha256 ? { sha256 } : {}) };
  if (content.subarray(0, SIM_SNAPSHOT_MAGIC.length).toString("utf8") === SIM_SNAPSHOT_MAGIC) {
    const parsed = decodeSimSnapshot(content);
    return {
      format: "talform-sim",
      ...base,
      revision: parsed.revision,
      totalKeys: parsed.keys.length,
      members: parsed.members,
      cluster: parsed.cluster,
    };
  }
  if (!looksLikeBolt(content)) return { format: "unknown", ...base };
  const db = readEtcdDb(content);
  return {
    format: "bbolt",
    ...base,
    revision: db.revision,
    totalKeys: db.keys.length,
    members: db.members.map((m) => ({ id: formatMemberId(m.id), name: m.name, peerUrls: m.peerUrls })),
    hash: db.hash,
    ...(db.storageVersion ? { storageVersion: db.storageVersion } : {}),
  };
}

/** An etcd snapshot of `db`: its bbolt database followed by the sha256 trailer, as etcd's `Snapshot` streams it. */
export function encodeSnapshot(db: EtcdDb): Uint8Array {
  const body = encodeEtcdDb(db);
  return new Uint8Array(Buffer.concat([body, createHash("sha256").update(body).digest()]));
}

/** The key space of a snapshot of either format (with or without its trailer), for a restore. */
export function decodeSnapshot(data: Uint8Array): { revision: number; keys: SnapshotKey[] } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.subarray(0, SIM_SNAPSHOT_MAGIC.length).toString("utf8") === SIM_SNAPSHOT_MAGIC) {
    const legacy = decodeSimSnapshot(data);
    return { revision: legacy.revision, keys: [...legacy.keys] };
  }
  if (!looksLikeBolt(buf)) throw new SnapshotError("not an etcd snapshot (neither a bbolt database nor talform's)");
  const db = readEtcdDb(buf);
  return {
    revision: db.revision,
    keys: db.keys.map((k) => ({
      key: Buffer.from(k.key).toString("utf8"),
      value: Buffer.from(k.value).toString("base64"),
      createRevision: k.createRevision,
      modRevision: k.modRevision,
      version: k.version,
    })),
  };
}

function readEtcdDb(data: Uint8Array): ReturnType<typeof decodeEtcdDb> {
  try {
    return decodeEtcdDb(data);
  } catch (e) {
    throw new SnapshotError(`the snapshot's etcd database is unreadable: ${(e as Error).message}`);
  }
}

/** The key space and membership of a snapshot in the older simulated format (content without the trailer, or the whole file). */
export function decodeSimSnapshot(data: Uint8Array): SimSnapshotContent {
  let text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
  if (!text.startsWith(SIM_SNAPSHOT_MAGIC)) throw new SnapshotError("not a simulated etcd snapshot (unknown magic)");
  if (data.byteLength % PAD_TO === HASH_SIZE) text = text.slice(0, data.byteLength - HASH_SIZE);
  const lines = text
    .slice(SIM_SNAPSHOT_MAGIC.length)
    .split("\n")
    .filter((l) => l.length > 0);
  try {
    const header = JSON.parse(lines[0] ?? "") as {
      cluster: string;
      clusterId: string;
      revision: number;
      totalKeys: number;
      members: SnapshotMember[];
    };
    const keys = lines.slice(1).map((l) => JSON.parse(l) as SnapshotKey);
    if (keys.length !== header.totalKeys)
      throw new SnapshotError(`the snapshot header counts ${header.totalKeys} keys, the body has ${keys.length}`);
    return {
      cluster: header.cluster,
      clusterId: header.clusterId,
      revision: header.revision,
      members: header.members,
      keys,
    };
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(`the snapshot is damaged: ${(e as Error).message}`);
  }
}

/** Talos prints member ids as 16 hex digits (`etcdresource.FormatMemberID`). */
export function formatMemberId(id: bigint): string {
  return id.toString(16).padStart(16, "0");
}

export function parseMemberId(s: string): bigint {
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(s))
    throw new Error(`"${s}" is not an etcd member id (16 hex digits, as \`talform etcd members\` prints them)`);
  return BigInt(`0x${s.replace(/^0x/, "")}`);
}
