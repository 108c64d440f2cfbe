import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliCaptured } from "./test-support.js";

test("plan/apply report user errors: missing talconfig, unknown plan format, bad --max-parallel", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "talform-plan-cli-"));
  try {
    let r = await runCliCaptured(["plan", "-c", "nope.yaml"], { cwd, env: { TALFORM_LOOPBACK_ONLY: "1" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope\.yaml does not exist/);
    await writeFile(join(cwd, "plan.json"), JSON.stringify({ formatVersion: 9 }));
    r = await runCliCaptured(["apply", "plan.json"], { cwd, env: { TALFORM_LOOPBACK_ONLY: "1" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /plan format version 9 is not supported/);
    r = await runCliCaptured(["apply", "--max-parallel", "0", "--yes"], { cwd, env: {} });
    assert.equal(r.code, 64);
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
});
