import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import {
  decodeSimSnapshot,
  decodeSnapshot,
  encodeSimSnapshot,
  encodeSnapshot,
  formatMemberId,
  inspectSnapshot,
  parseMemberId,
} from "./snapshot.js";

const content = {
  cluster: "lab",
  clusterId: "00000000000000aa",
  revision: 42,
  members: [{ id: "0000000000000001", name: "cp1", peerUrls: ["https://10.0.0.1:2380"] }],
  keys: [
    { key: "/registry/a", value: Buffer.from("x").toString("base64"), createRevision: 2, modRevision: 40, version: 3 },
  ],
};

test("older simulated snapshots (still read): etcd's size rule (size % 512 == 32), sha256 trailer, header and keys round-trip", () => {
  const snap = encodeSimSnapshot(content);
  assert.equal(snap.byteLength % 512, 32);
  const body = snap.subarray(0, snap.byteLength - 32);
  assert.deepEqual(Buffer.from(snap.subarray(snap.byteLength - 32)), createHash("sha256").update(body).digest());
  const info = inspectSnapshot(snap);
  assert.deepEqual(
    [info.format, info.hashVerified, info.revision, info.totalKeys, info.members?.length, info.cluster],
    ["talform-sim", true, 42, 1, 1, "lab"],
  );
  assert.deepEqual(decodeSimSnapshot(snap).keys, content.keys);
});

test("inspectSnapshot refuses damaged or trailer-less files unless the hash check is skipped", () => {
  const snap = Buffer.from(encodeSimSnapshot(content));
  const flipped = Buffer.from(snap);
  flipped[40] = flipped[40]! ^ 1;
  assert.throws(() => inspectSnapshot(flipped), /integrity check failed/);
  const raw = snap.subarray(0, snap.length - 32);
  assert.throws(() => inspectSnapshot(raw), /no sha256 trailer/);
  assert.equal(inspectSnapshot(raw, { skipHashCheck: true }).hashVerified, false);
  assert.throws(() => inspectSnapshot(new Uint8Array()), /empty/);
  // A file with bbolt's magic that is no bbolt database: reported, not taken for a snapshot.
  const page = Buffer.alloc(4096 * 4);
  page.writeUInt32LE(0xed0cdaed, 16);
  const fake = Buffer.concat([page, createHash("sha256").update(page).digest()]);
  assert.throws(() => inspectSnapshot(fake), /etcd database is unreadable: invalid bbolt database: no valid meta page/);
});

test("member ids print and parse as talosctl's 16 hex digits", () => {
  assert.equal(formatMemberId(0x2bn), "000000000000002b");
  assert.equal(parseMemberId("000000000000002b"), 0x2bn);
  assert.throws(() => parseMemberId("cp1"), /not an etcd member id/);
});

test("etcd snapshots: a bbolt db + sha256 trailer, read back with revision, keys, members; restores either format", () => {
  const snap = encodeSnapshot({
    revision: 12,
    keys: [
      { key: Buffer.from("/registry/a"), value: Buffer.from("x"), createRevision: 2, modRevision: 11, version: 4 },
    ],
    members: [{ id: 0x2bn, name: "cp1", peerUrls: ["https://10.0.0.1:2380"], clientUrls: [] }],
    storageVersion: "3.6.0",
  });
  assert.equal(snap.byteLength % 512, 32);
  const info = inspectSnapshot(snap);
  assert.deepEqual(
    [info.format, info.hashVerified, info.revision, info.totalKeys, info.members, info.storageVersion],
    ["bbolt", true, 12, 1, [{ id: "000000000000002b", name: "cp1", peerUrls: ["https://10.0.0.1:2380"] }], "3.6.0"],
  );
  assert.deepEqual(decodeSnapshot(snap), {
    revision: 12,
    keys: [{ key: "/registry/a", value: "eA==", createRevision: 2, modRevision: 11, version: 4 }],
  });
  assert.deepEqual(decodeSnapshot(encodeSimSnapshot(content)), { revision: 42, keys: content.keys });
  assert.throws(() => decodeSnapshot(Buffer.from("hello")), /not an etcd snapshot/);
});
