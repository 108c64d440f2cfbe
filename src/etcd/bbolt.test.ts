import assert from "node:assert/strict";
import { test } from "node:test";
import { BoltError, looksLikeBolt, readBolt, writeBolt, type BoltEntry } from "./bbolt.js";

const entries = (n: number, valueSize: number): BoltEntry[] =>
  Array.from({ length: n }, (_, i) => [
    Buffer.from(`k${String(i).padStart(6, "0")}`),
    Buffer.alloc(valueSize, i % 251),
  ]);

// Sizes that exercise one leaf, several leaves under a branch, branch levels, overflow pages and an empty bucket.
for (const [name, n, valueSize] of [
  ["empty bucket", 0, 0],
  ["one leaf", 3, 10],
  ["leaves under a branch", 400, 100],
  ["two branch levels", 40_000, 8],
  ["overflow pages", 4, 9000],
] as const) {
  test(`bbolt round trip: ${name}`, () => {
    const want = entries(n, valueSize);
    const db = writeBolt(
      new Map([
        ["b", [...want].reverse()],
        ["a", [[Buffer.from("x"), Buffer.from("y")]]],
      ]),
    );
    assert.equal(db.byteLength % 4096, 0, "whole pages");
    assert.ok(looksLikeBolt(db));
    const back = readBolt(db);
    assert.deepEqual([...back.keys()], ["a", "b"], "buckets in key order");
    assert.deepEqual(
      back.get("b")!.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
      want.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
    );
  });
}

test("bbolt reader: a trailer after the pages is ignored; damage is reported", () => {
  const db = Buffer.from(writeBolt(new Map([["key", entries(2, 4)]])));
  assert.equal(readBolt(Buffer.concat([db, Buffer.alloc(32, 7)])).get("key")!.length, 2);
  const badMeta = Buffer.from(db);
  // Both meta pages damaged (a flipped page-size bit): their checksums no longer match.
  for (const at of [16 + 8, 4096 + 16 + 8]) badMeta.writeUInt8(badMeta.readUInt8(at) ^ 1, at);
  assert.throws(() => readBolt(badMeta), BoltError);
  assert.throws(() => readBolt(db.subarray(0, 4096 * 3)), /claims \d+ pages/);
  assert.throws(() => writeBolt(new Map([["k", [...entries(1, 1), ...entries(1, 1)]]])), /duplicate key/);
});
