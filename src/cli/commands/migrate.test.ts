import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCliCaptured } from "../test-support.js";

const FIXTURE = fileURLToPath(new URL("../../migrate/testdata/legacy-1.13/", import.meta.url));

test("talform migrate shows the diff and writes nothing; --write writes; a second run has nothing to do", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-migrate-cli-"));
  try {
    await cp(FIXTURE, dir, { recursive: true });
    const original = await readFile(join(dir, "talconfig.yaml"), "utf8");
    const preview = await runCliCaptured(["migrate", "--to", "v1.14"], { cwd: dir, env: {} });
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /^--- a\/talconfig\.yaml\n/m);
    assert.match(preview.stdout, /^\+kind: KubeletConfig$/m);
    assert.match(preview.stderr, /2 file\(s\) would change; run again with --write/);
    assert.equal(await readFile(join(dir, "talconfig.yaml"), "utf8"), original);

    const write = await runCliCaptured(["migrate", "--write"], { cwd: dir, env: {} });
    assert.equal(write.code, 0, write.stderr);
    assert.match(await readFile(join(dir, "patches", "kubelet.yaml"), "utf8"), /^kind: KubeletConfig$/m);
    assert.match(await readFile(join(dir, "talconfig.yaml"), "utf8"), /^talosVersion: v1\.14\.1 # pinned$/m);

    const again = await runCliCaptured(["migrate", "--write"], { cwd: dir, env: {} });
    assert.equal(again.code, 0);
    assert.equal(again.stdout, "");
    assert.match(again.stderr, /nothing to migrate/);

    const bad = await runCliCaptured(["migrate", "--to", "v2.0"], { cwd: dir, env: {} });
    assert.equal(bad.code, 64);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
