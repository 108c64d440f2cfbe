import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliFast } from "../test-support.js";
import { isSopsEncrypted } from "../../sops/index.js";

const INIT = [
  "init",
  "--name",
  "lab",
  "--endpoint",
  "https://127.0.30.11:6443",
  "--node",
  "cp1=127.0.30.11:controlplane",
  "--node",
  "w1=127.0.30.21:worker",
];

async function emptyProject(): Promise<{ dir: string; env: Record<string, string>; done: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), "talform-init-"));
  const dir = join(root, "repo");
  await mkdir(dir);
  return { dir, env: { HOME: join(root, "home") }, done: () => rm(root, { recursive: true, force: true }) };
}

test("init, validate, gensecret, genconfig from an empty folder with no age key anywhere", async () => {
  const p = await emptyProject();
  try {
    let r = await runCliFast(INIT, { cwd: p.dir, env: p.env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /iac\/talos\/talconfig\.yaml is valid \(2 nodes\)\nnext: cd iac\/talos && talform gensecret/,
    );
    const keyFile = join(p.env.HOME!, ".config", "sops", "age", "keys.txt");
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const recipient = /^# public key: (age1\w+)$/m.exec(await readFile(keyFile, "utf8"))![1]!;
    assert.match(r.stderr, new RegExp(`your age public key: ${recipient}`));
    const folder = join(p.dir, "iac", "talos");
    assert.match(await readFile(join(folder, ".sops.yaml"), "utf8"), new RegExp(`age: ${recipient}`));
    assert.match(
      await readFile(join(folder, "talconfig.yaml"), "utf8"),
      /^# yaml-language-server: \$schema=\.\/talconfig\.schema\.json\n/,
    );
    assert.match(await readFile(join(folder, ".gitignore"), "utf8"), /^clusterconfig\/$/m);
    assert.equal(
      await readFile(join(folder, ".talform", ".gitignore"), "utf8"),
      "# written by talform: everything here holds or derives from secrets\n*\n",
    );

    // From the repository root: discovery finds iac/talos/talconfig.yaml and says so once.
    for (const argv of [["validate"], ["gensecret"], ["genconfig"]]) {
      r = await runCliFast(argv, { cwd: p.dir, env: p.env });
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.match(/using iac\/talos\/talconfig\.yaml/g)?.length, 1, r.stderr);
    }
    assert.ok(
      isSopsEncrypted(await readFile(join(folder, "talsecret.sops.yaml"), "utf8")),
      "gensecret wrote the bundle encrypted",
    );
    await stat(join(folder, "clusterconfig", "lab-cp1.yaml"));

    // A second init keeps the key and refuses to replace the talconfig.
    r = await runCliFast(INIT, { cwd: p.dir, env: p.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /exists already\n {2}hint: adopt it with `talform init --from-talhelper`/);
    assert.match(await readFile(keyFile, "utf8"), new RegExp(recipient));
  } finally {
    await p.done();
  }
});

test("init uses an identity you already have and writes no key; age keygen then prints it", async () => {
  const p = await emptyProject();
  try {
    const identity = await generateIdentity();
    const env = { ...p.env, SOPS_AGE_KEY: identity };
    const r = await runCliFast([...INIT, "."], { cwd: p.dir, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stderr, /keys\.txt/);
    assert.match(await readFile(join(p.dir, ".sops.yaml"), "utf8"), new RegExp(await identityToRecipient(identity)));
    const k = await runCliFast(["age", "keygen"], { cwd: p.dir, env });
    assert.equal(k.code, 0);
    assert.equal(k.stdout, `${await identityToRecipient(identity)}\n`);
    assert.match(k.stderr, /no new key written/);
  } finally {
    await p.done();
  }
});

test("age keygen writes a new identity 0600 where sops reads it, and never overwrites a file", async () => {
  const p = await emptyProject();
  try {
    let r = await runCliFast(["age", "keygen"], { cwd: p.dir, env: p.env });
    assert.equal(r.code, 0, r.stderr);
    const keyFile = join(p.env.HOME!, ".config", "sops", "age", "keys.txt");
    const text = await readFile(keyFile, "utf8");
    assert.match(text, /^# created: \S+Z\n# public key: age1\w+\nAGE-SECRET-KEY-1\w+\n$/);
    assert.equal(r.stdout, `${/public key: (\S+)/.exec(text)![1]}\n`);
    await writeFile(join(p.dir, "other.txt"), "not a key\n");
    r = await runCliFast(["age", "keygen", "--out", "other.txt"], { cwd: p.dir, env: p.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /talform does not overwrite it/);
  } finally {
    await p.done();
  }
});

test("init --from-talhelper adopts a folder: the $schema line, .sops.yaml and .gitignore added, the rest kept", async () => {
  const p = await emptyProject();
  try {
    const talconfig =
      "clusterName: old\ntalosVersion: v1.13.9\nkubernetesVersion: v1.36.3\nendpoint: https://127.0.30.11:6443\nnodes: []\n";
    await writeFile(join(p.dir, "talconfig.yaml"), talconfig);
    await writeFile(join(p.dir, ".gitignore"), "node_modules/\n");
    const r = await runCliFast(["init", "--from-talhelper", "."], { cwd: p.dir, env: p.env });
    assert.match(r.stderr, /updated talconfig\.yaml {2}\(added the \$schema line\)/);
    assert.equal(
      await readFile(join(p.dir, "talconfig.yaml"), "utf8"),
      `# yaml-language-server: $schema=./talconfig.schema.json\n${talconfig}`,
    );
    assert.match(
      await readFile(join(p.dir, ".gitignore"), "utf8"),
      /^node_modules\/\n\n# talform: .*\nclusterconfig\/\n\.talform\/\n/,
    );
    await stat(join(p.dir, ".sops.yaml"));
  } finally {
    await p.done();
  }
});

test("init without the answers on a non-terminal is a usage error naming the flags", async () => {
  const p = await emptyProject();
  try {
    const r = await runCliFast(["init"], { cwd: p.dir, env: p.env });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /init needs --name and --node/);
    const bad = await runCliFast(["init", "--name", "lab", "--node", "cp1"], { cwd: p.dir, env: p.env });
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /is not NAME=ADDRESS\[:ROLE\]/);
  } finally {
    await p.done();
  }
});
