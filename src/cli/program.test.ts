import { test } from "node:test";
import assert from "node:assert/strict";
import { runCliCaptured } from "./test-support.js";
import { TALFORM_VERSION } from "../version.js";

test("--version prints the package version and exits 0", async () => {
  const r = await runCliCaptured(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), TALFORM_VERSION);
});

test("--help lists the program description and exits 0", async () => {
  const r = await runCliCaptured(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: talform/);
});

test("an unknown command is a usage error (64) with a hint, not a stack trace", async () => {
  const r = await runCliCaptured(["frobnicate"]);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /^error: /m);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});
