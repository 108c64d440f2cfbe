import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliFast } from "../test-support.js";
import { decryptSopsText, isSopsEncrypted } from "../../sops/index.js";
import { parseSecretsBundle, validateSecretsBundle } from "../../secrets/index.js";
import { watchForLeaks } from "../../secrets/test-support/leaks.js";
import { testTempDir } from "../../util/test-temp.js";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const env = { SOPS_AGE_KEY: identity };

/** Runs the action while scanning the folder for plaintext key material. */
async function runWatching(dir: string, argv: string[]): Promise<{ code: number; stderr: string; leaks: string[] }> {
  const { result, leaks } = await watchForLeaks(dir, () => runCliFast(argv, { cwd: dir, env }));
  return { code: result.code, stderr: result.stderr, leaks };
}

async function project(withRule = true): Promise<string> {
  const dir = await testTempDir("talform-gensecret-");
  if (withRule)
    await writeFile(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: ${recipient}\n`,
    );
  return dir;
}

test("gensecret without -o prints a talhelper-style plaintext bundle to stdout", async () => {
  const run = await runCliFast(["gensecret", "--talos-version", "v1.13"], { env });
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
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n !== ".sops.yaml"),
      [],
    );
  }
});

const talconfig = (version?: string) =>
  `clusterName: c\n${version === undefined ? "" : `talosVersion: ${version}\n`}kubernetesVersion: v1.29.7\nendpoint: https://10.0.0.10:6443\n` +
  "nodes:\n  - hostname: cp1\n    ipAddress: 10.0.0.11\n    controlPlane: true\n    installDisk: /dev/sda\n";

test("gensecret follows talosVersion of talconfig.yaml (after ${VAR} substitution); --talos-version wins; says which it used", async () => {
  const table: { talconfig?: string; env?: string; argv: string[]; saKey: RegExp; says: RegExp }[] = [
    {
      talconfig: talconfig("v1.6.8"),
      argv: [],
      saKey: /EC PRIVATE KEY/,
      says: /Talos v1\.6\.8 \(talosVersion in talconfig\.yaml\)/,
    },
    {
      talconfig: talconfig("v1.7.7"),
      argv: [],
      saKey: /RSA PRIVATE KEY/,
      says: /Talos v1\.7\.7 \(talosVersion in talconfig\.yaml\)/,
    },
    {
      talconfig: talconfig("${TV}"),
      env: "TV: v1.6.1\n",
      argv: [],
      saKey: /EC PRIVATE KEY/,
      says: /Talos v1\.6\.1 \(talosVersion in talconfig\.yaml\)/,
    },
    {
      talconfig: talconfig("v1.6.8"),
      argv: ["--talos-version", "v1.14"],
      saKey: /RSA PRIVATE KEY/,
      says: /Talos v1\.14 \(--talos-version\)/,
    },
    {
      talconfig: talconfig(),
      argv: [],
      saKey: /RSA PRIVATE KEY/,
      says: /talform's default; talconfig\.yaml sets no talosVersion/,
    },
    { argv: [], saKey: /RSA PRIVATE KEY/, says: /talform's default; no talconfig\.yaml here/ },
  ];
  for (const row of table) {
    const dir = await project(false);
    if (row.talconfig) await writeFile(join(dir, "talconfig.yaml"), row.talconfig);
    if (row.env) await writeFile(join(dir, "talenv.yaml"), row.env);
    const run = await runCliFast(["gensecret", ...row.argv], { cwd: dir, env });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, row.says, JSON.stringify(row));
    const bundle = parseSecretsBundle(run.stdout);
    assert.match(bundle.certs.k8sserviceaccount.key, row.saKey, JSON.stringify(row));
  }
});

test("gensecret -c: a missing explicit file and a talosVersion that is not a version are usage errors", async () => {
  const dir = await project(false);
  const missing = await runCliFast(["gensecret", "-c", "nope.yaml"], { cwd: dir, env });
  assert.equal(missing.code, 64);
  assert.match(missing.stderr, /nope\.yaml: no such file/);
  await writeFile(join(dir, "talconfig.yaml"), talconfig("latest"));
  const bad = await runCliFast(["gensecret"], { cwd: dir, env });
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /talosVersion in talconfig\.yaml: "latest" is not a Talos version/);
});
