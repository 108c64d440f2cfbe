import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, randomBytes } from "node:crypto";
import { TalosContract } from "../contract/index.js";
import { keyAlgorithmOf, parsePrivateKeyPem, type PkiEnv } from "../pki/index.js";
import {
  CA_VALIDITY_MS,
  generateSecretsBundle,
  generateToken,
  parseSecretsBundle,
  serializeSecretsBundle,
  validateSecretsBundle,
  type SecretsBundle,
} from "./index.js";

const NOW = new Date("2026-03-04T05:06:07Z");
const env: PkiEnv = { now: () => NOW, randomBytes: (n) => new Uint8Array(randomBytes(n)) };
const fast = { serviceAccountRsa: "rsa-2048" } as const;

// One real RSA-4096 bundle per file (generation takes seconds); the rest use RSA-2048.
const started = Date.now();
const full = await generateSecretsBundle(TalosContract.of(1, 14), env);
const fullMs = Date.now() - started;

test(`a v1.14 bundle has Talos's algorithms, PEM labels and subjects (generated in ${fullMs} ms)`, () => {
  const table: [keyof SecretsBundle["certs"], string, string, string][] = [
    ["os", "ed25519", "ED25519 PRIVATE KEY", "O=talos"],
    ["etcd", "ecdsa-p256", "EC PRIVATE KEY", "O=etcd"],
    ["k8s", "ecdsa-p256", "EC PRIVATE KEY", "O=kubernetes"],
    ["k8saggregator", "ecdsa-p256", "EC PRIVATE KEY", ""],
  ];
  for (const [name, alg, label, subject] of table) {
    const pair = full.certs[name] as { crt: string; key: string };
    assert.match(pair.key, new RegExp(`^-----BEGIN ${label}-----\n`), name);
    assert.equal(keyAlgorithmOf(parsePrivateKeyPem(pair.key)), alg, name);
    const cert = new X509Certificate(pair.crt);
    assert.equal(cert.subject ?? "", subject, name);
    assert.equal(cert.issuer ?? "", subject, name);
    assert.equal(cert.ca, true, name);
    assert.equal(new Date(cert.validFrom).getTime(), Math.floor(NOW.getTime() / 1000) * 1000, name);
    assert.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), CA_VALIDITY_MS, name);
    assert.ok(cert.checkPrivateKey(parsePrivateKeyPem(pair.key)), name);
    assert.equal(cert.keyUsage.sort().join(","), "1.3.6.1.5.5.7.3.1,1.3.6.1.5.5.7.3.2", `${name} ext key usage`);
  }
  assert.match(full.certs.k8sserviceaccount.key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
  assert.equal(parsePrivateKeyPem(full.certs.k8sserviceaccount.key).asymmetricKeyDetails?.modulusLength, 4096);
  assert.deepEqual(validateSecretsBundle(full, { now: NOW }), []);
});

test("CA certificates carry a 20-byte random subject key id and critical CA constraints", () => {
  const der = new X509Certificate(full.certs.etcd.crt).raw.toString("hex");
  // SubjectKeyIdentifier extension: OID 2.5.29.14, OCTET STRING wrapping a 20-byte OCTET STRING.
  assert.match(der, /0603551d0e04160414[0-9a-f]{40}/);
  // BasicConstraints 2.5.29.19, critical, CA:TRUE.
  assert.match(der, /0603551d130101ff040530030101ff/);
  // KeyUsage 2.5.29.15, critical, digitalSignature + keyCertSign (bits 0 and 5 → 0x84, 2 unused bits).
  assert.match(der, /0603551d0f0101ff040403020284/);
  // The aggregator CA has an empty subject and issuer (two empty SEQUENCEs around the validity).
  assert.match(
    new X509Certificate(full.certs.k8saggregator.crt).raw.toString("hex"),
    /3000301e170d[0-9a-f]{26}170d[0-9a-f]{26}3000/,
  );
});

const CONTRACTS: {
  minor: number;
  saLabel: string;
  clusterIdAlphabet: RegExp;
  secret: "secretboxencryptionsecret" | "aescbcencryptionsecret";
}[] = [
  { minor: 2, saLabel: "EC PRIVATE KEY", clusterIdAlphabet: /^[A-Za-z0-9_-]{43}=$/, secret: "aescbcencryptionsecret" },
  {
    minor: 6,
    saLabel: "EC PRIVATE KEY",
    clusterIdAlphabet: /^[A-Za-z0-9_-]{43}=$/,
    secret: "secretboxencryptionsecret",
  },
  {
    minor: 10,
    saLabel: "RSA PRIVATE KEY",
    clusterIdAlphabet: /^[A-Za-z0-9_-]{43}=$/,
    secret: "secretboxencryptionsecret",
  },
  {
    minor: 13,
    saLabel: "RSA PRIVATE KEY",
    clusterIdAlphabet: /^[A-Za-z0-9_-]{43}=$/,
    secret: "secretboxencryptionsecret",
  },
  {
    minor: 14,
    saLabel: "RSA PRIVATE KEY",
    clusterIdAlphabet: /^[A-Za-z0-9+/]{43}=$/,
    secret: "secretboxencryptionsecret",
  },
];

for (const c of CONTRACTS) {
  test(`contract v1.${c.minor}: service-account key, encryption secret and cluster id encoding`, async () => {
    const b = await generateSecretsBundle(TalosContract.of(1, c.minor), env, fast);
    assert.match(b.certs.k8sserviceaccount.key, new RegExp(`^-----BEGIN ${c.saLabel}-----`));
    assert.ok(b.secrets[c.secret], c.secret);
    assert.equal(Object.keys(b.secrets).length, 2);
    assert.match(b.cluster.id, c.clusterIdAlphabet);
    assert.match(b.cluster.secret, /^[A-Za-z0-9+/]{43}=$/);
    assert.match(b.secrets.bootstraptoken, /^[0-9a-z]{6}\.[0-9a-z]{16}$/);
    assert.match(b.trustdinfo.token, /^[0-9a-z]{6}\.[0-9a-z]{16}$/);
  });
}

test("serializeSecretsBundle writes Talos's layout and parseSecretsBundle reads it back", () => {
  const text = serializeSecretsBundle(full);
  assert.deepEqual(
    text
      .split("\n")
      .filter((l) => /^\s*[a-z0-9]+:/.test(l))
      .map((l) => l.replace(/:.*/, "")),
    [
      "cluster",
      "    id",
      "    secret",
      "secrets",
      "    bootstraptoken",
      "    secretboxencryptionsecret",
      "trustdinfo",
      "    token",
      "certs",
      "    etcd",
      "        crt",
      "        key",
      "    k8s",
      "        crt",
      "        key",
      "    k8saggregator",
      "        crt",
      "        key",
      "    k8sserviceaccount",
      "        key",
      "    os",
      "        crt",
      "        key",
    ],
  );
  assert.match(text, /\n {8}crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t[A-Za-z0-9+/=]+\n/);
  assert.deepEqual(parseSecretsBundle(text), full);
  assert.match(serializeSecretsBundle(full, { indent: 2 }), /^cluster:\n {2}id: /);
});

test("generateToken rejects biased bytes (≥ 252) and maps the rest modulo 36", () => {
  const stream = [
    252, 255, 0, 35, 36, 251, 10, 253, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
  ];
  let i = 0;
  const fake = { randomBytes: (n: number) => Uint8Array.from({ length: n }, () => stream[i++ % stream.length]!) };
  // 252 and 255 are skipped, 36 wraps to "0", 253 is skipped in the second part.
  assert.equal(generateToken(fake, 3, 4), "0z0.a123");
});

test("validateSecretsBundle reports a mismatched key, an expired CA and bad tokens", () => {
  const bad: SecretsBundle = {
    ...full,
    secrets: { bootstraptoken: "ABC.def", secretboxencryptionsecret: "short" },
    certs: { ...full.certs, etcd: { crt: full.certs.etcd.crt, key: full.certs.k8s.key } },
  };
  const codes = validateSecretsBundle(bad, { now: new Date(NOW.getTime() + CA_VALIDITY_MS + 1000) }).map(
    (d) => `${d.severity}:${d.path}`,
  );
  assert.ok(codes.includes("error:secrets.bootstraptoken"));
  assert.ok(codes.includes("error:secrets.secretboxencryptionsecret"));
  assert.ok(codes.includes("error:certs.etcd.key"));
  assert.ok(codes.includes("error:certs.os.crt"), "expired");
  const soon = validateSecretsBundle(full, { now: new Date(NOW.getTime() + CA_VALIDITY_MS - 10 * 24 * 3600 * 1000) });
  assert.ok(soon.some((d) => d.severity === "warning" && d.code === "secrets-expiry"));
});
