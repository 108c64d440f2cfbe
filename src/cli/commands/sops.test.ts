import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliCaptured } from "../test-support.js";
import { isSopsEncrypted } from "../../sops/index.js";
import { testTempDir } from "../../util/test-temp.js";

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);

async function project(): Promise<string> {
  const dir = await testTempDir("talform-sopscli-");
  await writeFile(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: \\.sops\\.(yaml|json|env)$\n    age: ${recipient}\n`,
  );
  return dir;
}

test("sops encrypt / decrypt, to stdout and in place, for YAML, JSON and dotenv", async () => {
  const dir = await project();
  const files: Record<string, string> = {
    "a.sops.yaml": "a: one\nb: 2\n",
    "b.sops.json": '{\n\t"k": "v"\n}\n',
    "c.sops.env": "K=v\n",
  };
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(dir, name), text);
    const enc = await runCliCaptured(["sops", "encrypt", name], { cwd: dir });
    assert.equal(enc.code, 0, enc.stderr);
    assert.ok(isSopsEncrypted(enc.stdout), name);
    assert.equal(await readFile(join(dir, name), "utf8"), text, "without -i the file is untouched");
    assert.equal((await runCliCaptured(["sops", "encrypt", "--in-place", name], { cwd: dir })).code, 0);
    assert.ok(isSopsEncrypted(await readFile(join(dir, name), "utf8")));
    const dec = await runCliCaptured(["sops", "decrypt", name], { cwd: dir, env: { SOPS_AGE_KEY: identity } });
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(dec.stdout, text);
    const noKey = await runCliCaptured(["sops", "decrypt", name], { cwd: dir, env: {} });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, new RegExp(`${name.replaceAll(".", "\\.")}: cannot decrypt`));
  }
});

test("sops edit runs $EDITOR in a private temp folder, re-encrypts with the same data key and removes the folder", async () => {
  const dir = await project();
  await writeFile(join(dir, "s.sops.yaml"), "a: one\nb: two\n");
  assert.equal((await runCliCaptured(["sops", "encrypt", "--in-place", "s.sops.yaml"], { cwd: dir })).code, 0);
  const before = await readFile(join(dir, "s.sops.yaml"), "utf8");
  const log = join(dir, "editor-log.json");
  const editor = join(dir, "editor.mjs");
  await writeFile(
    editor,
    `import { readFileSync, writeFileSync, statSync } from "node:fs"; import { dirname } from "node:path";
const f = process.argv[2];
writeFileSync(${JSON.stringify(log)}, JSON.stringify({ f, dirMode: statSync(dirname(f)).mode & 0o777, fileMode: statSync(f).mode & 0o777 }));
writeFileSync(f, readFileSync(f, "utf8").replace("b: two", "b: three"));`,
  );
  const run = await runCliCaptured(["sops", "edit", "s.sops.yaml"], {
    cwd: dir,
    env: { SOPS_AGE_KEY: identity, EDITOR: `node ${editor}` },
  });
  assert.equal(run.code, 0, run.stderr);
  const seen = JSON.parse(await readFile(log, "utf8")) as { f: string; dirMode: number; fileMode: number };
  assert.equal(seen.dirMode, 0o700);
  assert.equal(seen.fileMode, 0o600);
  await assert.rejects(stat(seen.f), /ENOENT/);
  const after = await readFile(join(dir, "s.sops.yaml"), "utf8");
  const line = (t: string, k: string) => t.split("\n").find((l) => l.startsWith(`${k}:`));
  assert.equal(line(after, "a"), line(before, "a"), "unchanged value keeps its ciphertext");
  assert.notEqual(line(after, "b"), line(before, "b"));
  const dec = await runCliCaptured(["sops", "decrypt", "s.sops.yaml"], { cwd: dir, env: { SOPS_AGE_KEY: identity } });
  assert.equal(dec.stdout, "a: one\nb: three\n");
});

test("sops edit: a failing editor leaves the file unchanged", async () => {
  const dir = await project();
  await writeFile(join(dir, "s.sops.yaml"), "a: one\n");
  await runCliCaptured(["sops", "encrypt", "--in-place", "s.sops.yaml"], { cwd: dir });
  const before = await readFile(join(dir, "s.sops.yaml"), "utf8");
  const run = await runCliCaptured(["sops", "edit", "s.sops.yaml"], {
    cwd: dir,
    env: { SOPS_AGE_KEY: identity, EDITOR: "false" },
  });
  assert.equal(run.code, 1);
  assert.equal(await readFile(join(dir, "s.sops.yaml"), "utf8"), before);
});

test("sops edit: an edit that breaks the YAML is discarded with a clear message", async () => {
  const dir = await project();
  await writeFile(join(dir, "s.sops.yaml"), "a: one\n");
  await runCliCaptured(["sops", "encrypt", "--in-place", "s.sops.yaml"], { cwd: dir });
  const before = await readFile(join(dir, "s.sops.yaml"), "utf8");
  const editor = join(dir, "break.mjs");
  await writeFile(
    editor,
    `import { writeFileSync } from "node:fs"; writeFileSync(process.argv[2], "a: [unclosed\\n");`,
  );
  const run = await runCliCaptured(["sops", "edit", "s.sops.yaml"], {
    cwd: dir,
    env: { SOPS_AGE_KEY: identity, EDITOR: `node ${editor}` },
  });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /your edit was discarded and s\.sops\.yaml is unchanged/);
  assert.equal(await readFile(join(dir, "s.sops.yaml"), "utf8"), before);
});
