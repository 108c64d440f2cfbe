import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliCaptured } from "../test-support.js";
import { decryptSopsText, isSopsEncrypted } from "../../sops/index.js";
import { parseSecretsBundle, validateSecretsBundle } from "../../secrets/index.js";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const env = { SOPS_AGE_KEY: identity };

/** Plaintext key material patterns: PEM, base64 of "-----BEGIN", Talos tokens. */
const LEAKS = [/PRIVATE KEY/, /LS0tLS1CRUdJTi/, /[0-9a-z]{6}\.[0-9a-z]{16}/];

async function leaksIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    let text: string;
    try {
      if ((await stat(path)).isDirectory()) continue;
      text = await readFile(path, "utf8");
    } catch {
      continue; // a temp file renamed away between readdir and read
    }
    for (const re of LEAKS) if (re.test(text)) found.push(`${name} matches ${re}`);
  }
  return found;
}

/** Runs the CLI while scanning the folder continuously, so plaintext that exists only mid-run is caught too. */
async function runWatching(dir: string, argv: string[]): Promise<{ code: number; stderr: string; leaks: string[] }> {
  const leaks = new Set<string>();
  let done = false;
  const watcher = (async () => {
    while (!done) {
      for (const l of await leaksIn(dir)) leaks.add(l);
      await new Promise((r) => setImmediate(r));
    }
  })();
  const run = await runCliCaptured(argv, { cwd: dir, env });
  done = true;
  await watcher;
  for (const l of await leaksIn(dir)) leaks.add(l);
  return { code: run.code, stderr: run.stderr, leaks: [...leaks] };
}

async function project(withRule = true): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "talform-gensecret-"));
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

test("gensecret -o encrypts in memory: the folder never holds plaintext, the file is 0600 and decrypts to a valid bundle", async () => {
  const dir = await project();
  const run = await runWatching(dir, ["gensecret", "-o", "talsecret.sops.yaml"]);
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

test("gensecret -o fails without a matching .sops.yaml rule, says how to add one, and writes nothing", async () => {
  for (const withRule of [false, true]) {
    const dir = await project(withRule);
    const run = await runWatching(dir, ["gensecret", "-o", "other.yaml"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /creation_rules/);
    assert.deepEqual(run.leaks, []);
    assert.deepEqual((await readdir(dir)).filter((n) => n !== ".sops.yaml"), []);
  }
});

test("gensecret refuses to overwrite without --force; --force keeps an encrypted backup", async () => {
  const dir = await project();
  assert.equal((await runCliCaptured(["gensecret", "-o", "talsecret.sops.yaml"], { cwd: dir, env })).code, 0);
  const first = await readFile(join(dir, "talsecret.sops.yaml"), "utf8");

  const refused = await runWatching(dir, ["gensecret", "-o", "talsecret.sops.yaml"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already exists.*\n.*--force/s);
  assert.equal(await readFile(join(dir, "talsecret.sops.yaml"), "utf8"), first);

  const forced = await runWatching(dir, ["gensecret", "-o", "talsecret.sops.yaml", "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(forced.leaks, []);
  const names = await readdir(dir);
  const backup = names.find((n) => /^talsecret\.sops\.backup-\d{8}T\d{6}Z\.yaml$/.test(n));
  assert.ok(backup, names.join(","));
  assert.equal(await readFile(join(dir, backup), "utf8"), first);
  assert.notEqual(await readFile(join(dir, "talsecret.sops.yaml"), "utf8"), first);
});

test("--force over a plaintext bundle encrypts the backup; --plaintext writes plaintext only when asked", async () => {
  const dir = await project();
  const plain = await runCliCaptured(["gensecret", "-o", "talsecret.sops.yaml", "--plaintext"], { cwd: dir, env });
  assert.equal(plain.code, 0, plain.stderr);
  const path = join(dir, "talsecret.sops.yaml");
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const original = await readFile(path, "utf8");
  assert.match(original, /LS0tLS1CRUdJTi/);

  const forced = await runCliCaptured(["gensecret", "-o", "talsecret.sops.yaml", "--force"], { cwd: dir, env });
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(await leaksIn(dir), []);
  const backup = (await readdir(dir)).find((n) => n.includes(".backup-"))!;
  assert.equal(await decryptSopsText(await readFile(join(dir, backup), "utf8"), { path: backup, identities: [identity] }), original);
});
