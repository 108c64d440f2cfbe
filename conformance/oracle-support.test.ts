// The conformance helpers must fail loudly, never skip: a missing oracle or reference folder is a failed test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  oracleBinDir,
  oraclePath,
  referencePath,
  repoRoot,
  resolveReferenceRoot,
  runOracle,
} from "./support/oracles.js";

test("oracleBinDir: TALFORM_ORACLE_BIN_DIR wins, relative to the repository; default .cache/bin", () => {
  assert.equal(oracleBinDir({}), join(repoRoot, ".cache", "bin"));
  assert.equal(oracleBinDir({ TALFORM_ORACLE_BIN_DIR: "/opt/oracles" }), "/opt/oracles");
  assert.equal(oracleBinDir({ TALFORM_ORACLE_BIN_DIR: "x/bin" }), join(repoRoot, "x", "bin"));
});

test("a missing oracle is an error that says how to install it", async () => {
  const empty = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  const saved = process.env.TALFORM_ORACLE_BIN_DIR;
  process.env.TALFORM_ORACLE_BIN_DIR = empty;
  try {
    assert.throws(() => oraclePath("sops"), /"sops" is not installed at .*scripts\/install-oracles\.sh/);
    await assert.rejects(async () => runOracle("talhelper", ["--version"]), /"talhelper" is not installed/);
  } finally {
    if (saved === undefined) delete process.env.TALFORM_ORACLE_BIN_DIR;
    else process.env.TALFORM_ORACLE_BIN_DIR = saved;
    await rm(empty, { recursive: true, force: true });
  }
});

test("reference paths: a missing file is an error; TALFORM_REFERENCE_DIR overrides the folder", () => {
  assert.match(referencePath("talos-golden", "README.md"), /talos-golden\/README\.md$/);
  assert.throws(() => referencePath("no-such-file.yaml"), /reference file .*no-such-file\.yaml is missing/);
  assert.equal(resolveReferenceRoot({ TALFORM_REFERENCE_DIR: "/nonexistent/reference" }), "/nonexistent/reference");
});
