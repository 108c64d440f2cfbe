import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { TalosContract } from "../contract/index.js";
import { decryptSopsText } from "../sops/index.js";
import { generateSecretsBundle, writeSecretsFile } from "./index.js";
import { leaksIn, watchForLeaks } from "./test-support/leaks.js";
import { testTempDir } from "../util/test-temp.js";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);
const contract = TalosContract.of(1, 13);
// RSA-2048 keeps these tests fast; the algorithm is checked in generate's own tests.
const generate = (c: TalosContract) => generateSecretsBundle(c, undefined, { serviceAccountRsa: "rsa-2048" });

/** `argv` mirrors the CLI flags: [file, ...("--force" | "--plaintext")]. */
async function write(dir: string, argv: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await writeSecretsFile({
      target: join(dir, argv[0]!),
      displayName: argv[0]!,
      contract,
      force: argv.includes("--force"),
      plaintext: argv.includes("--plaintext"),
      generate,
    });
    return { code: 0, stderr: "" };
  } catch (e) {
    return {
      code: 1,
      stderr: `${(e as Error).message}\n${(e as { diagnostics?: { hint?: string }[] }).diagnostics?.[0]?.hint ?? ""}`,
    };
  }
}

/** Runs the action while scanning the folder for plaintext key material. */
async function runWatching(dir: string, argv: string[]): Promise<{ code: number; stderr: string; leaks: string[] }> {
  const { result, leaks } = await watchForLeaks(dir, () => write(dir, argv));
  return { code: result.code, stderr: result.stderr, leaks };
}

async function project(withRule = true): Promise<string> {
  const dir = await testTempDir("talform-write-");
  if (withRule)
    await writeFile(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: ${recipient}\n`,
    );
  return dir;
}

test("writeSecretsFile refuses to overwrite without --force; --force keeps an encrypted backup", async () => {
  const dir = await project();
  assert.equal((await write(dir, ["talsecret.sops.yaml"])).code, 0);
  const first = await readFile(join(dir, "talsecret.sops.yaml"), "utf8");

  const refused = await runWatching(dir, ["talsecret.sops.yaml"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already exists.*\n.*--force/s);
  assert.equal(await readFile(join(dir, "talsecret.sops.yaml"), "utf8"), first);

  const forced = await runWatching(dir, ["talsecret.sops.yaml", "--force"]);
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
  const plain = await write(dir, ["talsecret.sops.yaml", "--plaintext"]);
  assert.equal(plain.code, 0, plain.stderr);
  const path = join(dir, "talsecret.sops.yaml");
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const original = await readFile(path, "utf8");
  assert.match(original, /LS0tLS1CRUdJTi/);

  const forced = await write(dir, ["talsecret.sops.yaml", "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual(await leaksIn(dir), []);
  const backup = (await readdir(dir)).find((n) => n.includes(".backup-"))!;
  assert.equal(
    await decryptSopsText(await readFile(join(dir, backup), "utf8"), { path: backup, identities: [identity] }),
    original,
  );
});

test("two --force runs in the same second keep both backups", async () => {
  const dir = await project();
  const now = () => new Date("2026-05-06T07:08:09Z");
  const opts = {
    target: join(dir, "talsecret.sops.yaml"),
    displayName: "talsecret.sops.yaml",
    contract,
    generate,
    now,
  };
  await writeSecretsFile(opts);
  const first = await readFile(join(dir, "talsecret.sops.yaml"), "utf8");
  await writeSecretsFile({ ...opts, force: true });
  const second = await readFile(join(dir, "talsecret.sops.yaml"), "utf8");
  await writeSecretsFile({ ...opts, force: true });
  assert.equal(await readFile(join(dir, "talsecret.sops.backup-20260506T070809Z.yaml"), "utf8"), first);
  assert.equal(await readFile(join(dir, "talsecret.sops.backup-20260506T070809Z-1.yaml"), "utf8"), second);
});
