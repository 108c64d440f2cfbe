/**
 * A minimal bbolt (go.etcd.io/bbolt) file writer and reader: etcd's backend database, which is what an etcd snapshot
 * contains. Written by hand because no maintained JavaScript library reads or writes bbolt files (npm has none), and
 * talform needs only a small part: one level of named buckets of byte keys and values, written once as a whole
 * (a snapshot), read back whole (a restore, `talform etcd snapshot`).
 *
 * The format, as bbolt v1.4 lays it out (all integers little-endian):
 *   page     = header { id u64, flags u16, count u16, overflow u32 } + body, `pageSize` bytes (× 1 + overflow)
 *   meta     = pages 0 and 1: { magic 0xED0CDAED, version 2, pageSize, flags, root bucket { root pgid, sequence },
 *              freelist pgid, high-water pgid, txid, FNV-1a-64 of the preceding 56 bytes }; the valid one with the
 *              higher txid wins
 *   freelist = page of free page ids (none here: every page below the high-water mark is reachable)
 *   leaf     = elements { flags u32, pos u32, ksize u32, vsize u32 } (pos relative to the element), then key/value
 *              bytes; flag 1 marks a sub-bucket whose value is { root pgid u64, sequence u64 } (+ an inline page
 *              when root is 0)
 *   branch   = elements { pos u32, ksize u32, pgid u64 }: the first key of each child page, in key order
 * The writer packs each bucket's sorted entries into as few leaf pages as fit (an entry larger than a page gets
 * overflow pages) and adds branch levels above them until one page remains: a valid B+tree that bbolt's consistency
 * check (`tx.Check`, run by `etcdutl snapshot status`) accepts. It never writes inline buckets; the reader reads them
 * (etcd keeps small buckets inline).
 */

const MAGIC = 0xed0cdaed;
const VERSION = 2;
const HEADER = 16;
const ELEMENT = 16;
const BRANCH_PAGE = 0x01;
const LEAF_PAGE = 0x02;
const META_PAGE = 0x04;
const FREELIST_PAGE = 0x10;
const BUCKET_LEAF = 0x01;
export const DEFAULT_PAGE_SIZE = 4096;

export type BoltEntry = readonly [key: Uint8Array, value: Uint8Array];
/** Bucket name → its entries (any order; the writer sorts them). */
export type BoltBuckets = ReadonlyMap<string, readonly BoltEntry[]>;

export class BoltError extends Error {
  constructor(message: string) {
    super(`invalid bbolt database: ${message}`);
    this.name = "BoltError";
  }
}

const compare = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

/** FNV-1a 64 (bbolt's meta checksum). */
function fnv1a64(data: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of data) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

interface Page {
  readonly flags: number;
  /** Leaf: [key, value, elementFlags]; branch: [key, child pgid]. */
  readonly items: readonly (readonly [Uint8Array, Uint8Array, number])[] | readonly (readonly [Uint8Array, bigint])[];
}

/** Sizes of the data a page element carries. */
const leafBytes = (e: readonly [Uint8Array, Uint8Array, number]) => ELEMENT + e[0].length + e[1].length;
const branchBytes = (e: readonly [Uint8Array, bigint]) => ELEMENT + e[0].length;

/** Groups items into pages that fit `pageSize` (at least one item per page). */
function packPages<T>(items: readonly T[], bytes: (t: T) => number, pageSize: number): T[][] {
  const pages: T[][] = [];
  let cur: T[] = [];
  let used = HEADER;
  for (const it of items) {
    const n = bytes(it);
    if (cur.length > 0 && used + n > pageSize) {
      pages.push(cur);
      cur = [];
      used = HEADER;
    }
    cur.push(it);
    used += n;
  }
  if (cur.length > 0 || pages.length === 0) pages.push(cur);
  return pages;
}

/** Writes a bbolt database holding `buckets` (top-level buckets only); its size is a whole number of pages. */
export function writeBolt(buckets: BoltBuckets, opts: { pageSize?: number; txid?: bigint } = {}): Uint8Array {
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  const txid = opts.txid ?? 2n;
  const pages: { id: bigint; buf: Buffer }[] = [];
  let next = 3n; // 0, 1: meta; 2: freelist

  const emit = (p: Page): bigint => {
    const isLeaf = p.flags === LEAF_PAGE;
    const count = p.items.length;
    if (count > 0xffff) throw new Error("bbolt page with more than 65535 elements");
    let dataSize = 0;
    for (const it of p.items) dataSize += it[0].length + (isLeaf ? (it[1] as Uint8Array).length : 0);
    const size = HEADER + count * ELEMENT + dataSize;
    const span = Math.ceil(size / pageSize);
    const buf = Buffer.alloc(span * pageSize);
    const id = next;
    next += BigInt(span);
    buf.writeBigUInt64LE(id, 0);
    buf.writeUInt16LE(p.flags, 8);
    buf.writeUInt16LE(count, 10);
    buf.writeUInt32LE(span - 1, 12);
    let data = HEADER + count * ELEMENT;
    p.items.forEach((it, i) => {
      const at = HEADER + i * ELEMENT;
      const key = it[0];
      if (isLeaf) {
        const [, value, flags] = it as readonly [Uint8Array, Uint8Array, number];
        buf.writeUInt32LE(flags, at);
        buf.writeUInt32LE(data - at, at + 4);
        buf.writeUInt32LE(key.length, at + 8);
        buf.writeUInt32LE(value.length, at + 12);
        buf.set(key, data);
        buf.set(value, data + key.length);
        data += key.length + value.length;
      } else {
        buf.writeUInt32LE(data - at, at);
        buf.writeUInt32LE(key.length, at + 4);
        buf.writeBigUInt64LE(it[1] as bigint, at + 8);
        buf.set(key, data);
        data += key.length;
      }
    });
    pages.push({ id, buf });
    return id;
  };

  /** A B+tree of `entries` (sorted, unique keys): leaves, then branch levels; returns the root page id. */
  const tree = (entries: readonly (readonly [Uint8Array, Uint8Array, number])[]): bigint => {
    let level: (readonly [Uint8Array, bigint])[] = packPages(entries, leafBytes, pageSize).map((items) => [
      items[0]?.[0] ?? new Uint8Array(),
      emit({ flags: LEAF_PAGE, items }),
    ]);
    while (level.length > 1)
      level = packPages(level, branchBytes, pageSize).map((items) => [
        items[0]![0],
        emit({ flags: BRANCH_PAGE, items }),
      ]);
    return level[0]![1];
  };

  const sortedEntries = (list: readonly BoltEntry[]) => {
    const sorted = [...list].sort((a, b) => compare(a[0], b[0]));
    for (let i = 1; i < sorted.length; i++)
      if (compare(sorted[i - 1]![0], sorted[i]![0]) === 0)
        throw new Error(`duplicate key ${Buffer.from(sorted[i]![0]).toString("hex")} in a bbolt bucket`);
    return sorted.map(([k, v]) => [k, v, 0] as const);
  };

  const rootItems = [...buckets.entries()]
    .map(([name, entries]) => [Buffer.from(name, "utf8"), entries] as const)
    .sort((a, b) => compare(a[0], b[0]))
    .map(([name, entries]) => {
      const header = Buffer.alloc(16);
      header.writeBigUInt64LE(tree(sortedEntries(entries)), 0);
      return [name, header, BUCKET_LEAF] as const;
    });
  const root = tree(rootItems);

  const file = Buffer.alloc(Number(next) * pageSize);
  for (const [i, tx] of [txid - (txid % 2n), txid - (txid % 2n) + 1n].entries()) {
    const at = i * pageSize;
    file.writeBigUInt64LE(BigInt(i), at);
    file.writeUInt16LE(META_PAGE, at + 8);
    const m = at + HEADER;
    file.writeUInt32LE(MAGIC, m);
    file.writeUInt32LE(VERSION, m + 4);
    file.writeUInt32LE(pageSize, m + 8);
    file.writeUInt32LE(0, m + 12);
    file.writeBigUInt64LE(root, m + 16);
    file.writeBigUInt64LE(0n, m + 24);
    file.writeBigUInt64LE(2n, m + 32);
    file.writeBigUInt64LE(next, m + 40);
    file.writeBigUInt64LE(tx, m + 48);
    file.writeBigUInt64LE(fnv1a64(file.subarray(m, m + 56)), m + 56);
  }
  const fl = 2 * pageSize;
  file.writeBigUInt64LE(2n, fl);
  file.writeUInt16LE(FREELIST_PAGE, fl + 8);
  for (const p of pages) p.buf.copy(file, Number(p.id) * pageSize);
  return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
}

interface Meta {
  readonly pageSize: number;
  readonly root: bigint;
  readonly pgid: bigint;
  readonly txid: bigint;
}

function readMeta(buf: Buffer, at: number): Meta | undefined {
  if (buf.length < at + HEADER + 64) return undefined;
  const m = at + HEADER;
  if (buf.readUInt32LE(m) !== MAGIC || buf.readUInt32LE(m + 4) !== VERSION) return undefined;
  if (fnv1a64(buf.subarray(m, m + 56)) !== buf.readBigUInt64LE(m + 56)) return undefined;
  return {
    pageSize: buf.readUInt32LE(m + 8),
    root: buf.readBigUInt64LE(m + 16),
    pgid: buf.readBigUInt64LE(m + 40),
    txid: buf.readBigUInt64LE(m + 48),
  };
}

/** True when `data` starts with a bbolt meta page (checks the magic only). */
export function looksLikeBolt(data: Uint8Array): boolean {
  return data.byteLength >= 24 && Buffer.from(data.buffer, data.byteOffset, 24).readUInt32LE(16) === MAGIC;
}

/**
 * Reads every top-level bucket of a bbolt database (a trailer after the last page is ignored). Keys come in bbolt's
 * order (bytewise). Nested buckets are not descended into (etcd has none).
 */
export function readBolt(data: Uint8Array): Map<string, BoltEntry[]> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const m0 = readMeta(buf, 0);
  const m1 = m0 ? readMeta(buf, m0.pageSize) : readMeta(buf, DEFAULT_PAGE_SIZE);
  const meta = !m0 ? m1 : !m1 ? m0 : m1.txid > m0.txid ? m1 : m0;
  if (!meta) throw new BoltError("no valid meta page");
  const pageSize = meta.pageSize;
  if (BigInt(buf.length) < meta.pgid * BigInt(pageSize))
    throw new BoltError(`file is ${buf.length} bytes, its meta page claims ${meta.pgid} pages of ${pageSize}`);

  const visited = new Set<bigint>();
  const pageAt = (id: bigint): Buffer => {
    if (id < 2n || id >= meta.pgid) throw new BoltError(`page ${id} is out of range`);
    if (visited.has(id)) throw new BoltError(`page ${id} is referenced twice`);
    visited.add(id);
    const at = Number(id) * pageSize;
    const overflow = buf.readUInt32LE(at + 12);
    return buf.subarray(at, at + (overflow + 1) * pageSize);
  };

  /** Walks a page (tree) and calls `leaf` for each leaf element in key order. */
  const walk = (page: Buffer, leaf: (key: Buffer, value: Buffer, flags: number) => void): void => {
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    for (let i = 0; i < count; i++) {
      const at = HEADER + i * ELEMENT;
      if (flags === LEAF_PAGE) {
        const pos = at + page.readUInt32LE(at + 4);
        const ksize = page.readUInt32LE(at + 8);
        const vsize = page.readUInt32LE(at + 12);
        if (pos + ksize + vsize > page.length) throw new BoltError("a leaf element points past its page");
        leaf(page.subarray(pos, pos + ksize), page.subarray(pos + ksize, pos + ksize + vsize), page.readUInt32LE(at));
      } else if (flags === BRANCH_PAGE) {
        walk(pageAt(page.readBigUInt64LE(at + 8)), leaf);
      } else throw new BoltError(`unexpected page type 0x${flags.toString(16)} in a bucket`);
    }
  };

  const bucketRoot = (value: Buffer): Buffer => {
    if (value.length < 16) throw new BoltError("a bucket value is shorter than its header");
    const root = value.readBigUInt64LE(0);
    return root === 0n ? value.subarray(16) : pageAt(root);
  };

  const out = new Map<string, BoltEntry[]>();
  walk(pageAt(meta.root), (name, value, flags) => {
    if (!(flags & BUCKET_LEAF)) throw new BoltError("the root bucket holds a plain key");
    const entries: BoltEntry[] = [];
    walk(bucketRoot(value), (k, v, f) => {
      if (!(f & BUCKET_LEAF)) entries.push([new Uint8Array(k), new Uint8Array(v)]);
    });
    out.set(name.toString("utf8"), entries);
  });
  return out;
}
