import assert from "node:assert/strict";
import { test } from "node:test";
import { readBolt } from "./bbolt.js";
import { decodeEtcdDb, encodeEtcdDb, revisionBytes, storageVersionOf, type EtcdDb } from "./etcd-db.js";

const db: EtcdDb = {
  revision: 9, // higher than any key's: the last write was a deletion
  keys: [
    { key: Buffer.from("/registry/a"), value: Buffer.from("1"), createRevision: 2, modRevision: 7, version: 3 },
    { key: Buffer.from("/registry/b"), value: Buffer.from(""), createRevision: 5, modRevision: 5, version: 1 },
  ],
  members: [
    {
      id: 0xfedcba9876543210n,
      name: "cp1",
      peerUrls: ["https://10.0.0.1:2380"],
      clientUrls: ["https://10.0.0.1:2379"],
    },
  ],
  storageVersion: "3.6.0",
};

test("etcd db: the schema's buckets, revision keys, member records; decoded back with the store revision", () => {
  const bolt = readBolt(encodeEtcdDb(db));
  assert.deepEqual(
    [...bolt.keys()],
    ["alarm", "auth", "authRoles", "authUsers", "cluster", "key", "lease", "members", "members_removed", "meta"],
  );
  assert.deepEqual(
    bolt.get("key")!.map(([k]) => Buffer.from(k)),
    [Buffer.from(revisionBytes(5)), Buffer.from(revisionBytes(7))],
  );
  const [memberKey, memberValue] = bolt.get("members")![0]!;
  assert.equal(Buffer.from(memberKey).toString(), "fedcba9876543210");
  assert.match(
    Buffer.from(memberValue).toString(),
    /^\{"id":18364758544493064720,"peerURLs":\["https:\/\/10\.0\.0\.1:2380"\],"name":"cp1"/,
  );
  const back = decodeEtcdDb(encodeEtcdDb(db));
  assert.deepEqual(
    { revision: back.revision, lastKeyRevision: back.lastKeyRevision, storageVersion: back.storageVersion },
    { revision: 9, lastKeyRevision: 7, storageVersion: "3.6.0" },
  );
  assert.deepEqual(
    back.keys.map((k) => ({ ...k, key: Buffer.from(k.key), value: Buffer.from(k.value) })),
    db.keys.map((k) => ({ ...k, key: Buffer.from(k.key), value: Buffer.from(k.value) })),
  );
  assert.deepEqual(back.members, db.members);
  assert.equal(typeof back.hash, "number");
});

test("storage version: recorded from etcd 3.6 on", () => {
  assert.deepEqual(["3.5.7", "3.6.12", "v3.7.1", "4.0.0"].map(storageVersionOf), [
    undefined,
    "3.6.0",
    "3.7.0",
    "4.0.0",
  ]);
});
