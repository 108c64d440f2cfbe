import { test } from "node:test";
import assert from "node:assert/strict";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { TalformError } from "../diagnostics/index.js";
import {
  decryptSopsText,
  encryptSopsText,
  isSopsEncrypted,
  openSopsText,
  type SopsFormat,
  type SopsRule,
} from "./index.js";
import { parseEncryptedValue } from "./cipher.js";

const id1 = await generateIdentity();
const id2 = await generateIdentity();
const id3 = await generateIdentity();
const r1 = await identityToRecipient(id1);
const r2 = await identityToRecipient(id2);
const r3 = await identityToRecipient(id3);

const PLAINTEXTS: Record<SopsFormat, { path: string; text: string }> = {
  yaml: {
    path: "secret.yaml",
    text: '# top comment\nhello: plain_world\nnum: 7\nflt: 3.5\nflag: true\nempty: ""\nnothing: null\nlist:\n    - a\n    - 2\nnested:\n    # inner comment\n    deep: value\n    multi: |\n        line1\n        line2\nplain_unencrypted: keep\n---\nsecond: doc\n',
  },
  json: {
    path: "secret.json",
    text: '{\n\t"a": "b",\n\t"n": 7,\n\t"f": 1.5,\n\t"t": true,\n\t"10": "numeric key stays in place",\n\t"nested": {\n\t\t"x": [\n\t\t\t1,\n\t\t\t"y"\n\t\t]\n\t}\n}\n',
  },
  dotenv: { path: "secret.env", text: "# comment\nFOO=plain_bar\nMULTI=line1\\nline2\n" },
};

const RULES: Record<string, SopsRule> = {
  "one recipient": { ageRecipients: [r1] },
  "several recipients": { ageRecipients: [r2, r1] },
  "two key groups (Shamir)": { ageRecipients: [], keyGroups: [[r1], [r2, r3]] },
};

for (const [format, { path, text }] of Object.entries(PLAINTEXTS)) {
  for (const [ruleName, rule] of Object.entries(RULES)) {
    test(`${format}, ${ruleName}: encrypt → decrypt round-trips byte for byte`, async () => {
      const enc = await encryptSopsText(text, { path, rule });
      assert.ok(isSopsEncrypted(enc), "output carries sops metadata");
      // Markers contain "_", which base64 ciphertext can never contain, so this cannot flake on a random match.
      assert.ok(
        !enc.includes("plain_world") && !enc.includes("plain_bar") && !enc.includes('"b"'),
        "no plaintext secret in output",
      );
      const ids = ruleName.startsWith("two") ? [id1, id3] : [id1];
      assert.equal(await decryptSopsText(enc, { path, identities: ids }), text);
    });
  }
}

test("isSopsEncrypted is false for plain YAML, JSON and dotenv", () => {
  for (const { text } of Object.values(PLAINTEXTS)) assert.equal(isSopsEncrypted(text), false);
  assert.equal(isSopsEncrypted("sops: just a key\n"), false);
});

test("key groups: one group's identity is not enough", async () => {
  const enc = await encryptSopsText("a: b\n", { path: "x.yaml", rule: RULES["two key groups (Shamir)"]! });
  await assert.rejects(
    decryptSopsText(enc, { path: "x.yaml", identities: [id1] }),
    (e: unknown) => e instanceof TalformError && /x\.yaml.*1 of the 2 key groups/.test(e.message),
  );
});

test("wrong identity or no identity is a TalformError naming the file", async () => {
  const enc = await encryptSopsText("a: b\n", { path: "dir/x.yaml", rule: { ageRecipients: [r1] } });
  for (const identities of [[id2], []]) {
    await assert.rejects(
      decryptSopsText(enc, { path: "dir/x.yaml", identities }),
      (e: unknown) => e instanceof TalformError && e.message.startsWith("dir/x.yaml:"),
    );
  }
});

const SELECTOR_CASES: { name: string; rule: Partial<SopsRule>; encrypted: string[]; plain: string[] }[] = [
  { name: "default (_unencrypted suffix)", rule: {}, encrypted: ["data", "user"], plain: ["note_unencrypted"] },
  {
    name: "unencrypted_suffix",
    rule: { unencryptedSuffix: "_plain" },
    encrypted: ["note_unencrypted", "user"],
    plain: ["name_plain"],
  },
  {
    name: "encrypted_suffix",
    rule: { encryptedSuffix: "_secret" },
    encrypted: ["token_secret"],
    plain: ["user", "name_plain"],
  },
  {
    name: "encrypted_regex",
    rule: { encryptedRegex: "^(data|stringData)$" },
    encrypted: ["data"],
    plain: ["user", "token_secret"],
  },
  {
    name: "unencrypted_regex",
    rule: { unencryptedRegex: "^(kind|user)$" },
    encrypted: ["data", "token_secret"],
    plain: ["kind", "user"],
  },
];
const SELECTOR_DOC =
  "kind: Secret\nuser: alice\nname_plain: n\ntoken_secret: t0k\nnote_unencrypted: hi\ndata:\n    password: hunter2\n";

for (const c of SELECTOR_CASES) {
  test(`selector ${c.name}: encrypts exactly the selected values and round-trips`, async () => {
    const enc = await encryptSopsText(SELECTOR_DOC, { path: "s.yaml", rule: { ageRecipients: [r1], ...c.rule } });
    const lines = enc.split("\n");
    const valueOf = (key: string) => lines.find((l) => l.trimStart().startsWith(`${key}:`))!;
    for (const k of c.encrypted) {
      const line = k === "data" ? valueOf("password") : valueOf(k);
      assert.match(line, /ENC\[AES256_GCM/, `${k} should be encrypted`);
    }
    for (const k of c.plain) assert.doesNotMatch(valueOf(k), /ENC\[/, `${k} should stay plaintext`);
    assert.equal(await decryptSopsText(enc, { path: "s.yaml", identities: [id1] }), SELECTOR_DOC);
  });
}

test("mac_only_encrypted: plaintext values may change, encrypted ones may not", async () => {
  const doc = "secret: s3cr3t\nnote_unencrypted: hello\n";
  const macOnly = await encryptSopsText(doc, { path: "m.yaml", rule: { ageRecipients: [r1], macOnlyEncrypted: true } });
  assert.match(macOnly, /mac_only_encrypted: true/);
  const edited = macOnly.replace("note_unencrypted: hello", "note_unencrypted: changed");
  assert.match(await decryptSopsText(edited, { path: "m.yaml", identities: [id1] }), /changed/);

  const full = await encryptSopsText(doc, { path: "f.yaml", rule: { ageRecipients: [r1] } });
  const tampered = full.replace("note_unencrypted: hello", "note_unencrypted: changed");
  await assert.rejects(decryptSopsText(tampered, { path: "f.yaml", identities: [id1] }), /f\.yaml: MAC mismatch/);
});

test("re-encrypting an opened file keeps the data key, key stanzas and unchanged ciphertexts", async () => {
  const path = "keep.yaml";
  const rule = { ageRecipients: [r1] };
  const first = await encryptSopsText("a: one\nb: two\n# note\nc: 3\n", { path, rule });
  const opened = await openSopsText(first, { path, identities: [id1] });
  const second = await encryptSopsText(opened.plaintext.replace("b: two", "b: changed"), {
    path,
    rule,
    previous: opened,
  });
  const line = (text: string, key: string) => text.split("\n").find((l) => l.startsWith(`${key}:`));
  assert.equal(line(second, "a"), line(first, "a"));
  assert.equal(line(second, "c"), line(first, "c"));
  assert.notEqual(line(second, "b"), line(first, "b"));
  const enc = (t: string) => t.slice(t.indexOf("-----BEGIN AGE"), t.indexOf("-----END AGE"));
  assert.equal(enc(second), enc(first));
  assert.match(await decryptSopsText(second, { path, identities: [id1] }), /b: changed/);
});

test("encrypting an already encrypted file is refused", async () => {
  const enc = await encryptSopsText("a: b\n", { path: "x.yaml", rule: { ageRecipients: [r1] } });
  await assert.rejects(
    encryptSopsText(enc, { path: "x.yaml", rule: { ageRecipients: [r1] } }),
    /already sops-encrypted/,
  );
});

// Tampering: flip one base64 character of each part of a value, of the MAC and of lastmodified.
function flipBase64Char(s: string, index: number): string {
  const c = s[index]!;
  const replacement = c === "A" ? "B" : "A";
  return s.slice(0, index) + replacement + s.slice(index + 1);
}

const fixture = await encryptSopsText("password: correct horse battery staple\nother: 12345\n", {
  path: "t.yaml",
  rule: { ageRecipients: [r1] },
  now: () => new Date("2026-01-02T03:04:05Z"),
});
const passwordEnc = /password: (ENC\[[^\]]+\])/.exec(fixture)![1]!;
const macEnc = /mac: (ENC\[[^\]]+\])/.exec(fixture)![1]!;
const parts = (enc: string) => {
  const m = /data:([^,]+),iv:([^,]+),tag:([^,]+),/.exec(enc)!;
  return {
    data: [m.index + 5, m[1]!.length],
    iv: [enc.indexOf("iv:") + 3, m[2]!.length],
    tag: [enc.indexOf("tag:") + 4, m[3]!.length],
  } as const;
};

const TAMPER_CASES: { name: string; mutate: (text: string) => string }[] = [];
for (const [label, enc] of [
  ["value", passwordEnc],
  ["mac", macEnc],
] as const) {
  for (const [part, [start, len]] of Object.entries(parts(enc))) {
    for (const offset of [0, Math.floor(len / 2), len - 3]) {
      TAMPER_CASES.push({
        name: `${label} ${part} char ${offset}`,
        mutate: (t) => t.replace(enc, flipBase64Char(enc, start + offset)),
      });
    }
  }
}
for (const pos of [0, 5, 11, 18]) {
  TAMPER_CASES.push({
    name: `lastmodified char ${pos}`,
    mutate: (t) =>
      t.replace(
        /lastmodified: "([^"]+)"/,
        (_m, v: string) => `lastmodified: "${v.slice(0, pos)}${v[pos] === "1" ? "3" : "1"}${v.slice(pos + 1)}"`,
      ),
  });
}
TAMPER_CASES.push({
  name: "swapped type tag",
  mutate: (t) => t.replace(/(password: ENC\[[^\]]+)type:str\]/, "$1type:int]"),
});
TAMPER_CASES.push({ name: "value moved to another key (AAD)", mutate: (t) => t.replace("password:", "passwort:") });
TAMPER_CASES.push({ name: "plaintext value changed", mutate: (t) => t.replace(/other: ENC\[[^\]]+\]/, "other: 99") });
TAMPER_CASES.push({ name: "value removed", mutate: (t) => t.replace(/other: ENC\[[^\]]+\]\n/, "") });

for (const c of TAMPER_CASES) {
  test(`tampering is rejected: ${c.name}`, async () => {
    const tampered = c.mutate(fixture);
    assert.notEqual(tampered, fixture, "the mutation applies");
    await assert.rejects(
      decryptSopsText(tampered, { path: "t.yaml", identities: [id1] }),
      (e: unknown) => e instanceof TalformError && e.message.startsWith("t.yaml:"),
    );
  });
}

test("the untampered fixture decrypts (so the tamper cases test the tamper, not the fixture)", async () => {
  assert.equal(
    await decryptSopsText(fixture, { path: "t.yaml", identities: [id1] }),
    "password: correct horse battery staple\nother: 12345\n",
  );
  assert.ok(parseEncryptedValue(passwordEnc));
});

test("createSopsDecryptor reads identities from the env map it is given", async () => {
  const { createSopsDecryptor } = await import("./index.js");
  const enc = await encryptSopsText("k: v\n", { path: "e.yaml", recipients: [r2] });
  const dec = createSopsDecryptor({ SOPS_AGE_KEY: id2 });
  assert.equal(dec.isEncrypted(enc), true);
  assert.equal(dec.isEncrypted("k: v\n"), false);
  assert.equal(await dec.decrypt(enc, "e.yaml"), "k: v\n");
  await assert.rejects(createSopsDecryptor({}).decrypt(enc, "e.yaml"), /e\.yaml: cannot decrypt/);
});
