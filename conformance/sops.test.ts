// Conformance of the native sops implementation: published sops/talhelper vectors, and the real sops binary both ways.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { generateIdentity, identityToRecipient } from "age-encryption";
import {
  creationRuleFor,
  decryptSopsText,
  encryptSopsText,
  loadAgeIdentities,
  openSopsText,
  parseSopsConfig,
  readOptionalFile,
  ruleFromMetadata,
  type SopsFormat,
  type SopsRule,
} from "../src/sops/index.js";
import { leafPlaintext, walkDocument } from "../src/sops/tree.js";
import { referencePath, runOracle } from "./support/oracles.js";
import { testTempDir } from "../src/util/test-temp.js";

const keyOf = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.startsWith("AGE-SECRET-KEY-"))!
    .trim();

// ---- published vectors -------------------------------------------------------------------------------------------
const SOPS_KEY = referencePath("sops-vectors", "sops-0b07dfbc5", "age", "keys.txt");
const HUMPHD_KEY = referencePath("sops-vectors", "humphd-sops-age", "key.txt");
const VECTORS: { file: string; key: string; expected?: string }[] = [
  {
    file: referencePath("sops-vectors", "sops-0b07dfbc5", "example.yaml"),
    key: SOPS_KEY,
    expected: referencePath("sops-vectors", "sops-0b07dfbc5", "example.yaml.expected.json"),
  },
  {
    file: referencePath("sops-vectors", "sops-0b07dfbc5", "example.json"),
    key: SOPS_KEY,
    expected: referencePath("sops-vectors", "sops-0b07dfbc5", "example.json.expected.json"),
  },
  {
    file: referencePath("sops-vectors", "humphd-sops-age", "tests", "data", "secret.enc.yaml"),
    key: HUMPHD_KEY,
    expected: referencePath("sops-vectors", "humphd-sops-age", "secret.enc.yaml.expected.json"),
  },
  {
    file: referencePath("sops-vectors", "humphd-sops-age", "tests", "data", "secret.enc.json"),
    key: HUMPHD_KEY,
    expected: referencePath("sops-vectors", "humphd-sops-age", "secret.enc.json.expected.json"),
  },
  { file: referencePath("sops-vectors", "humphd-sops-age", "tests", "data", "secret.enc.env"), key: HUMPHD_KEY },
];

for (const v of VECTORS) {
  test(`vector ${v.file.split("/reference/")[1]} decrypts with a verified MAC and the expected data key and values`, async () => {
    const opened = await openSopsText(readFileSync(v.file, "utf8"), { path: v.file, identities: [keyOf(v.key)] });
    if (!v.expected) return;
    const expected = JSON.parse(readFileSync(v.expected, "utf8")) as { dataKeyHex: string; values: [string, string][] };
    assert.equal(Buffer.from(opened.dataKey).toString("hex"), expected.dataKeyHex);
    const format: SopsFormat = v.file.endsWith(".json") ? "json" : "yaml";
    const docs =
      format === "json"
        ? [parseAllDocuments(opened.plaintext, { intAsBigInt: true })].flat()
        : parseAllDocuments(opened.plaintext, { intAsBigInt: true });
    const seen = docs.flatMap((d) =>
      walkDocument(d).leaves.flatMap((l) => {
        // Empty strings feed zero bytes to the MAC; the research vectors list them anyway.
        const p = l.scalar.value === "" ? { text: "" } : leafPlaintext(l.scalar.value, format);
        return p ? [[l.path.map((k) => `${k}:`).join(""), p.text]] : [];
      }),
    );
    assert.deepEqual(seen, expected.values);
  });
}

test("humphd vector: the plaintext twin matches the decrypted JSON", async () => {
  const file = referencePath("sops-vectors", "humphd-sops-age", "tests", "data", "secret.enc.json");
  const plain = await decryptSopsText(readFileSync(file, "utf8"), { path: file, identities: [keyOf(HUMPHD_KEY)] });
  assert.deepEqual(
    JSON.parse(plain),
    JSON.parse(readFileSync(referencePath("sops-vectors", "humphd-sops-age", "tests", "data", "secret.json"), "utf8")),
  );
});

const TH = (...p: string[]) => referencePath("talhelper-fixtures", ...p);
const TH_KEY = TH("example", "key.txt");
const TALHELPER_PAIRS: [string, string | undefined][] = [
  [TH("sops-decrypt", "encrypted.yaml"), TH("sops-decrypt", "unencrypted.yaml")],
  [TH("sops-decrypt", "encrypted.json"), TH("sops-decrypt", "unencrypted.json")],
  [TH("sops-decrypt", "encrypted.env"), TH("sops-decrypt", "unencrypted.env")],
  // (sops-generate/unencrypted-manifest.yaml is a different manifest, not the plaintext of this one.)
  [TH("sops-generate", "encrypted-manifest.sops.yaml"), undefined],
  [TH("example", "talsecret.yaml"), undefined],
  [TH("example", "talenv.yaml"), undefined],
  [TH("patcher", "encrypted.sops.yaml"), undefined],
  [TH("substitute", "file3.sops.yaml"), undefined],
  [TH("substitute", "encrypted-manifest.sops.yaml"), TH("substitute", "encrypted-manifest.yaml")],
];

for (const [enc, plain] of TALHELPER_PAIRS) {
  test(`talhelper fixture ${enc.split("/talhelper-fixtures/")[1]} decrypts with a verified MAC${plain ? " to its plaintext twin" : ""}`, async () => {
    const ids = await loadAgeIdentities({ SOPS_AGE_KEY_FILE: TH_KEY }, readOptionalFile);
    const out = await decryptSopsText(readFileSync(enc, "utf8"), { path: enc, identities: ids });
    if (!plain) return;
    const want = readFileSync(plain, "utf8");
    if (enc.endsWith(".env")) assert.equal(out.trim(), want.trim());
    else if (enc.endsWith(".json")) assert.deepEqual(JSON.parse(out), JSON.parse(want));
    else assert.deepEqual(parseYaml(out), parseYaml(want));
  });
}

// ---- the real sops binary ----------------------------------------------------------------------------------------

const id1 = await generateIdentity();
const id2 = await generateIdentity();
const r1 = await identityToRecipient(id1);
const r2 = await identityToRecipient(id2);

const SAMPLES: Record<SopsFormat, { name: string; text: string }> = {
  yaml: {
    name: "s.yaml",
    text: '# top\nhello: world\nnum: 7\nflt: 3.5\nflag: true\nempty: ""\nlist:\n    - a\n    - 2\nnested:\n    # inner\n    deep: value\n    multi: |\n        line1\n        line2\nkeep_unencrypted: plain\n---\nsecond: doc\n',
  },
  json: {
    name: "s.json",
    text: '{\n\t"a": "b",\n\t"n": 7,\n\t"f": 1.5,\n\t"t": true,\n\t"nested": {\n\t\t"x": [\n\t\t\t1,\n\t\t\t"y"\n\t\t]\n\t}\n}\n',
  },
  dotenv: { name: "s.env", text: "# a comment\nFOO=bar\nMULTI=line1\\nline2\n" },
};
const RULES: Record<string, SopsRule> = {
  "one recipient": { ageRecipients: [r1] },
  "two recipients": { ageRecipients: [r1, r2] },
  "two key groups": { ageRecipients: [], keyGroups: [[r1], [r2]] },
  encrypted_regex: { ageRecipients: [r1], encryptedRegex: "^(hello|nested|a|FOO)$" },
  mac_only_encrypted: { ageRecipients: [r1], macOnlyEncrypted: true },
};
const sopsType = (f: SopsFormat) => (f === "dotenv" ? "dotenv" : f);
const semantic = (f: SopsFormat, text: string) =>
  f === "json" ? JSON.parse(text) : f === "dotenv" ? text.trim() : parseAllDocuments(text).map((d) => d.toJS());

for (const [format, sample] of Object.entries(SAMPLES) as [SopsFormat, (typeof SAMPLES)[SopsFormat]][]) {
  for (const [ruleName, rule] of Object.entries(RULES)) {
    test(`real sops decrypts what talform encrypts: ${format}, ${ruleName}`, async () => {
      const dir = await testTempDir("talform-sops-conf-");
      const file = join(dir, sample.name);
      await writeFile(file, await encryptSopsText(sample.text, { path: file, rule }));
      const r = await runOracle(
        "sops",
        ["decrypt", "--input-type", sopsType(format), "--output-type", sopsType(format), file],
        { env: { SOPS_AGE_KEY: `${id1}\n${id2}` } },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(semantic(format, r.stdout), semantic(format, sample.text));
    });
  }

  test(`talform decrypts what real sops encrypts, and sops decrypts talform's edit of it: ${format}`, async () => {
    const dir = await testTempDir("talform-sops-conf-");
    const plainFile = join(dir, sample.name);
    await writeFile(plainFile, sample.text);
    const enc = await runOracle("sops", ["encrypt", "--age", `${r1},${r2}`, plainFile]);
    assert.equal(enc.code, 0, enc.stderr);
    const opened = await openSopsText(enc.stdout, { path: sample.name, identities: [id2] });
    assert.deepEqual(semantic(format, opened.plaintext), semantic(format, sample.text));
    // Edit one value with talform (same data key), then let sops read the result.
    const edited = opened.plaintext.replace(
      format === "dotenv" ? "FOO=bar" : format === "json" ? '"b"' : "hello: world",
      format === "dotenv" ? "FOO=baz" : format === "json" ? '"c"' : "hello: there",
    );
    const reenc = await encryptSopsText(edited, {
      path: sample.name,
      format,
      rule: ruleFromMetadata(opened.metadata),
      previous: opened,
    });
    const encFile = join(dir, `x-${sample.name}`);
    await writeFile(encFile, reenc);
    const r = await runOracle(
      "sops",
      ["decrypt", "--input-type", sopsType(format), "--output-type", sopsType(format), encFile],
      { env: { SOPS_AGE_KEY: id1 } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(semantic(format, r.stdout), semantic(format, edited));
  });
}

test("creation_rules: talform picks the same rule as sops for files below and outside the config folder", async () => {
  const dir = await testTempDir("talform-sops-rules-");
  const config = `creation_rules:\n  - path_regex: ^clusterconfig/\n    age: ${r2}\n  - path_regex: secret\\.yaml$\n    age: ${r1}\n`;
  await writeFile(join(dir, ".sops.yaml"), config);
  const parsed = parseSopsConfig(config, join(dir, ".sops.yaml"));
  const { mkdir } = await import("node:fs/promises");
  for (const rel of ["clusterconfig/secret.yaml", "sub/clusterconfig/secret.yaml", "secret.yaml"]) {
    const file = join(dir, rel);
    await mkdir(join(file, ".."), { recursive: true });
    await writeFile(file, "a: b\n");
    const r = await runOracle("sops", ["encrypt", file], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const sopsRecipient = /recipient: (age1\w+)/.exec(r.stdout)![1];
    assert.deepEqual(creationRuleFor(parsed, file)?.ageRecipients, [sopsRecipient], rel);
  }
});

test("re-encrypting sops's example keeps its key stanzas and every unchanged ciphertext; sops decrypts the result", async () => {
  const file = referencePath("sops-vectors", "sops-0b07dfbc5", "example.yaml");
  const original = readFileSync(file, "utf8");
  const opened = await openSopsText(original, { path: file, identities: [keyOf(SOPS_KEY)] });
  const edited = opened.plaintext.replace("myapp1: t00m4nys3cr3tzupdated", "myapp1: changed");
  const reenc = await encryptSopsText(edited, {
    path: file,
    rule: ruleFromMetadata(opened.metadata),
    previous: opened,
  });
  const encLines = (t: string) =>
    t.split("\n").filter((l) => /ENC\[|^\s+[A-Za-z0-9+/=]{40,}$/.test(l) && !/myapp1|mac:/.test(l));
  assert.deepEqual(encLines(reenc), encLines(original));
  const line = (t: string, k: string) => t.split("\n").find((l) => l.trimStart().startsWith(`${k}:`));
  assert.notEqual(line(reenc, "myapp1"), line(original, "myapp1"));
  const dir = await testTempDir("talform-sops-conf-");
  await writeFile(join(dir, "example.yaml"), reenc);
  const r = await runOracle("sops", ["decrypt", join(dir, "example.yaml")], {
    env: { SOPS_AGE_KEY: keyOf(SOPS_KEY), GNUPGHOME: dir },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseYaml(r.stdout), parseYaml(edited));
});

test("a file sops 3.13 wrote, re-encrypted by talform unchanged, differs only in the mac line", async () => {
  const dir = await testTempDir("talform-sops-conf-");
  const text =
    "# top\nhello: world\nnum: 7\nflt: 3.5\nlist:\n    - a\n    - b: c\n      d: e\nnested:\n    # inner\n    deep: value\n    multi: |\n        line1\n        line2\nkeep_unencrypted: plain\n";
  const plainFile = join(dir, "s.yaml");
  await writeFile(plainFile, text);
  const enc = await runOracle("sops", ["encrypt", "--age", `${r1},${r2}`, plainFile]);
  assert.equal(enc.code, 0, enc.stderr);
  const opened = await openSopsText(enc.stdout, { path: "s.yaml", identities: [id1] });
  const again = await encryptSopsText(opened.plaintext, {
    path: "s.yaml",
    rule: ruleFromMetadata(opened.metadata),
    previous: opened,
    now: () => new Date(opened.metadata.lastModified),
  });
  const a = enc.stdout.split("\n");
  const b = again.split("\n");
  assert.equal(b.length, a.length);
  assert.deepEqual(
    a.flatMap((l, i) => (l === b[i] ? [] : [l.replace(/:.*/, "")])),
    ["    mac"],
  );
});
