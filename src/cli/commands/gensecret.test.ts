import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliCaptured } from "../test-support.js";
import { decryptSopsText, isSopsEncrypted } from "../../sops/index.js";
import { parseSecretsBundle, validateSecretsBundle } from "../../secrets/index.js";
import { watchForLeaks } from "../../secrets/test-support/leaks.js";
import { testTempDir } from "../../util/test-temp.js";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const env = { SOPS_AGE_KEY: identity };

/** Runs the action while scanning the folder for plaintext key material. */
async function runWatching(dir: string, argv: string[]): Promise<{ code: number; stderr: string; leaks: string[] }> {
  const { result, leaks } = await watchForLeaks(dir, () => runCliCaptured(argv, { cwd: dir, env }));
  return { code: result.code, stderr: result.stderr, leaks };
}

async function project(withRule = true): Promise<string> {
  const dir = await testTempDir("talform-gensecret-");
  if (withRule) await writeFile(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: ${recipient}\n`);
  return dir;
}

test("gensecret without -o prints a talhelper-style plaintext bundle to stdout", async () => {
  const run = await runCliCaptured(["gensecret", "--talos-version", "v1.13"], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^cluster:\n {2}id: [A-Za-z0-9_-]{43}=\n/);
  const bundle = parseSecretsBundle(run.stdout);
  assert.deepEqual(validateSecretsBundle(bundle, { now: new Date() }), []);
});

test("gensecret --out encrypts in memory: the folder never holds plaintext, the file is 0600 and decrypts to a valid bundle", async () => {
  const dir = await project();
  const run = await runWatching(dir, ["gensecret", "--out", "talsecret.sops.yaml"]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.leaks, []);
  const path = join(dir, "talsecret.sops.yaml");
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const text = await readFile(path, "utf8");
  assert.ok(isSopsEncrypted(text));
  const bundle = parseSecretsBundle(await decryptSopsText(text, { path, identities: [identity] }));
  assert.deepEqual(validateSecretsBundle(bundle, { now: new Date() }), []);
  assert.match(run.stderr, /sops-encrypted for 1 age recipient/);
});

test("gensecret --out fails without a matching .sops.yaml rule, says how to add one, and writes nothing", async () => {
  for (const withRule of [false, true]) {
    const dir = await project(withRule);
    const run = await runWatching(dir, ["gensecret", "--output", "other.yaml"]); // the old spelling, a hidden alias
    assert.equal(run.code, 1);
    assert.match(run.stderr, /creation_rules/);
    assert.deepEqual(run.leaks, []);
    assert.deepEqual((await readdir(dir)).filter((n) => n !== ".sops.yaml"), []);
  }
});

