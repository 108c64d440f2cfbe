import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { readBolt, writeBolt, type BoltEntry } from "./bbolt.js";

/**
 * etcd's backend schema (etcd 3.5–3.7, `server/storage/schema`) on top of bbolt: the buckets and keys a snapshot
 * carries, so a snapshot written here is read by etcd's own tools (`etcdutl snapshot status/restore`, talosctl) and a
 * real etcd snapshot is read back here.
 *
 *   key      revision (8-byte big-endian main, "_", 8-byte big-endian sub; + "t" for a deletion) → mvccpb.KeyValue
 *   meta     consistent_index, term (u64 big-endian), confState (JSON), scheduledCompactRev/finishedCompactRev
 *            (revision bytes), storageVersion ("3.6.0", etcd ≥ 3.6)
 *   members  member id (hex, unpadded) → JSON { id, peerURLs, name, clientURLs }
 *   cluster  clusterVersion
 *   auth     authEnabled (0), authRevision; lease, alarm, members_removed, authUsers, authRoles: empty
 *
 * The simulated etcd keeps only the latest revision of each key, i.e. a store compacted at its current revision:
 * written as one entry per live key and `finishedCompactRev` = the cluster revision (after a deletion that is higher
 * than any key's; etcd's own restore takes the larger of the two, and so does `decodeEtcdDb`).
 */

export interface EtcdDbKey {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

export interface EtcdDbMember {
  readonly id: bigint;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

export interface EtcdDb {
  /** The store's revision (max of the newest key revision and the compacted revision). */
  readonly revision: number;
  readonly keys: readonly EtcdDbKey[];
  readonly members: readonly EtcdDbMember[];
  /** `3.6.0`-style, absent before etcd 3.6. */
  readonly storageVersion?: string;
}

export interface EtcdDbStatus extends EtcdDb {
  /** What `etcdutl snapshot status` reports: crc32c over every bucket name, key and value, in bbolt order. */
  readonly hash: number;
  /** The main revision of the last entry of the `key` bucket (etcdutl's "revision"). */
  readonly lastKeyRevision: number;
}

const enc = (s: string) => Buffer.from(s, "utf8");

function u64be(n: bigint | number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** etcd's revision key: main and sub revision, big-endian, joined by "_". */
export function revisionBytes(main: number, sub = 0): Uint8Array {
  const b = Buffer.alloc(17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(BigInt(sub), 9);
  return b;
}

function parseRevision(b: Uint8Array): { main: number; tombstone: boolean } {
  if (b.length < 17 || b[8] !== 0x5f) throw new Error(`not an etcd revision key: ${Buffer.from(b).toString("hex")}`);
  return { main: Number(Buffer.from(b).readBigUInt64BE(0)), tombstone: b.length === 18 && b[17] === 0x74 };
}

function encodeKeyValue(k: EtcdDbKey): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).bytes(k.key);
  if (k.createRevision) w.tag(2, WireType.Varint).int64(k.createRevision);
  if (k.modRevision) w.tag(3, WireType.Varint).int64(k.modRevision);
  if (k.version) w.tag(4, WireType.Varint).int64(k.version);
  if (k.value.length) w.tag(5, WireType.LengthDelimited).bytes(k.value);
  return w.finish();
}

function decodeKeyValue(data: Uint8Array): EtcdDbKey {
  const r = new BinaryReader(data);
  let key: Uint8Array = new Uint8Array();
  let value: Uint8Array = new Uint8Array();
  let createRevision = 0;
  let modRevision = 0;
  let version = 0;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1) key = r.bytes();
    else if (field === 2) createRevision = Number(r.int64());
    else if (field === 3) modRevision = Number(r.int64());
    else if (field === 4) version = Number(r.int64());
    else if (field === 5) value = r.bytes();
    else r.skip(wire);
  }
  return { key, value, createRevision, modRevision, version };
}

/** Go's encoding/json of membership.Member (ids are u64 numbers, beyond JavaScript's safe integers). */
function memberJson(m: EtcdDbMember): string {
  const urls = (u: readonly string[]) => JSON.stringify(u);
  const client = m.clientUrls.length ? `,"clientURLs":${urls(m.clientUrls)}` : "";
  return `{"id":${m.id},"peerURLs":${urls(m.peerUrls)}${m.name ? `,"name":${JSON.stringify(m.name)}` : ""}${client}}`;
}

/** The `storageVersion` etcd ≥ 3.6 records (major.minor.0); undefined for older releases, which have none. */
export function storageVersionOf(etcdVersion: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(etcdVersion);
  if (!m) return undefined;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 3 || (major === 3 && minor >= 6) ? `${major}.${minor}.0` : undefined;
}

/** The bbolt database of an etcd member holding `db`. */
export function encodeEtcdDb(db: EtcdDb, opts: { term?: number } = {}): Uint8Array {
  const keys: BoltEntry[] = db.keys.map((k) => [revisionBytes(k.modRevision), encodeKeyValue(k)]);
  const voters = db.members.map((m) => m.id.toString()).join(",");
  const meta: BoltEntry[] = [
    [enc("consistent_index"), u64be(db.revision)],
    [enc("term"), u64be(opts.term ?? 2)],
    [enc("confState"), enc(`{"voters":[${voters}],"auto_leave":false}`)],
    [enc("scheduledCompactRev"), revisionBytes(db.revision)],
    [enc("finishedCompactRev"), revisionBytes(db.revision)],
  ];
  if (db.storageVersion) meta.push([enc("storageVersion"), enc(db.storageVersion)]);
  const buckets = new Map<string, BoltEntry[]>([
    ["key", keys],
    ["meta", meta],
    ["lease", []],
    ["alarm", []],
    ["cluster", db.storageVersion ? [[enc("clusterVersion"), enc(db.storageVersion)]] : []],
    ["members", db.members.map((m) => [enc(m.id.toString(16)), enc(memberJson(m))])],
    ["members_removed", []],
    [
      "auth",
      [
        [enc("authEnabled"), Uint8Array.of(0)],
        [enc("authRevision"), u64be(1)],
      ],
    ],
    ["authUsers", []],
    ["authRoles", []],
  ]);
  return writeBolt(buckets);
}

/** CRC-32C (Castagnoli), the checksum etcdutl's snapshot status reports. */
const CRC32C = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const b of data) c = (CRC32C[(c ^ b) & 0xff]! ^ (c >>> 8)) >>> 0;
  return ~c >>> 0;
}

/** Reads an etcd member's bbolt database (a snapshot without its trailer, or with it: bbolt ignores the tail). */
export function decodeEtcdDb(data: Uint8Array): EtcdDbStatus {
  const buckets = readBolt(data);
  let hash = 0;
  for (const [name, entries] of buckets) {
    hash = crc32c(hash, enc(name));
    for (const [k, v] of entries) hash = crc32c(crc32c(hash, k), v);
  }
  const live = new Map<string, EtcdDbKey>();
  let lastKeyRevision = 0;
  for (const [k, v] of buckets.get("key") ?? []) {
    const rev = parseRevision(k);
    lastKeyRevision = rev.main;
    const kv = decodeKeyValue(v);
    const id = Buffer.from(kv.key).toString("latin1");
    if (rev.tombstone) live.delete(id);
    else live.set(id, kv);
  }
  const meta = new Map((buckets.get("meta") ?? []).map(([k, v]) => [Buffer.from(k).toString("utf8"), v]));
  const compacted = meta.get("finishedCompactRev");
  const revision = Math.max(lastKeyRevision, compacted ? parseRevision(compacted).main : 0);
  const members = (buckets.get("members") ?? []).map(([k, v]): EtcdDbMember => {
    const json = JSON.parse(Buffer.from(v).toString("utf8")) as {
      peerURLs?: string[];
      name?: string;
      clientURLs?: string[];
    };
    return {
      id: BigInt(`0x${Buffer.from(k).toString("utf8")}`),
      name: json.name ?? "",
      peerUrls: json.peerURLs ?? [],
      clientUrls: json.clientURLs ?? [],
    };
  });
  const storageVersion = meta.get("storageVersion");
  return {
    revision,
    lastKeyRevision,
    hash,
    keys: [...live.values()].sort((a, b) => Buffer.compare(a.key, b.key)),
    members,
    ...(storageVersion ? { storageVersion: Buffer.from(storageVersion).toString("utf8") } : {}),
  };
}
