import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { testTempDir } from "./test-temp.js";

test("writeFileAtomic writes 0600 by default and leaves no temp file", async () => {
  const dir = await testTempDir("talform-aw-");
  const path = join(dir, "secret.yaml");
  await writeFileAtomic(path, "a: 1\n");
  assert.equal(await readFile(path, "utf8"), "a: 1\n");
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(dir), ["secret.yaml"]);
});

test("writeFileAtomic replaces an existing file and honours an explicit mode", async () => {
  const dir = await testTempDir("talform-aw-");
  const path = join(dir, "x.txt");
  await writeFile(path, "old");
  await writeFileAtomic(path, "new", { mode: 0o644 });
  assert.equal(await readFile(path, "utf8"), "new");
  assert.equal((await stat(path)).mode & 0o777, 0o644);
});

test("writeFileAtomic leaves the target untouched and cleans up when the rename fails", async () => {
  const dir = await testTempDir("talform-aw-");
  const target = join(dir, "is-a-dir");
  await writeFile(join(dir, "keep"), "");
  await import("node:fs/promises").then((fs) => fs.mkdir(join(target, "child"), { recursive: true }));
  await assert.rejects(writeFileAtomic(target, "data"));
  assert.deepEqual((await readdir(dir)).sort(), ["is-a-dir", "keep"]);
});
