// Conformance of the secrets bundle: Talos's own sample round-trips byte for byte, talhelper's encrypted bundle
// loads, and bundles from `talform gensecret` pass real sops and the Talos oracle for every supported contract.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCliCaptured } from "../src/cli/test-support.js";
import { decryptSopsText } from "../src/sops/index.js";
import { parseSecretsBundle, serializeSecretsBundle, validateSecretsBundle } from "../src/secrets/index.js";
import { referencePath, runOracle } from "./support/oracles.js";
import { testTempDir } from "../src/util/test-temp.js";

test("Talos's sample bundle parses and re-serialises byte for byte (talosctl layout, 4-space indent)", () => {
  const text = readFileSync(referencePath("talhelper-fixtures", "talos-secrets-bundle-sample.yaml"), "utf8");
  const body = text
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("\n");
  const bundle = parseSecretsBundle(body);
  assert.equal(serializeSecretsBundle(bundle), body);
  assert.deepEqual(
    validateSecretsBundle(bundle, { now: new Date("2024-01-01T00:00:00Z") }).filter((d) => d.severity === "error"),
    [],
  );
});

test("talhelper's encrypted example bundle decrypts and loads", async () => {
  const file = referencePath("talhelper-fixtures", "example", "talsecret.yaml");
  const key = readFileSync(referencePath("talhelper-fixtures", "example", "key.txt"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("AGE-SECRET-KEY-"))!;
  const bundle = parseSecretsBundle(
    await decryptSopsText(readFileSync(file, "utf8"), { path: file, identities: [key] }),
  );
  assert.match(bundle.certs.os.key, /BEGIN ED25519 PRIVATE KEY/);
});

const identity = await generateIdentity();
const recipient = await identityToRecipient(identity);

interface OracleReport {
  ok: boolean;
  errors: string[];
  certs: Record<string, { algorithm: string }>;
  clusterIdEncoding: "std" | "url" | "either";
  serviceAccountKey?: { algorithm: string; keyPem: string };
}

// The oracle names algorithms as Go's x509.PublicKeyAlgorithm does ("Ed25519", "ECDSA"); allow a curve suffix.
const EXPECTED_ALGORITHMS: Record<string, RegExp> = {
  os: /^Ed25519$/i,
  etcd: /^ECDSA/i,
  k8s: /^ECDSA/i,
  k8saggregator: /^ECDSA/i,
};

// Every contract talform supports: the bundle format changes at 1.7 (RSA service-account key) and 1.14 (cluster id).
for (const minor of [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) {
  const version = `v1.${minor}`;
  test(`gensecret ${version}: real sops decrypts the file and the Talos oracle accepts the bundle`, async (t) => {
    const dir = await testTempDir("talform-gensecret-conf-");
    await writeFile(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: ${recipient}\n`,
    );
    const started = Date.now();
    const run = await runCliCaptured(["gensecret", "--talos-version", version, "--out", "talsecret.sops.yaml"], {
      cwd: dir,
    });
    const ms = Date.now() - started;
    assert.equal(run.code, 0, run.stderr);
    const dec = await runOracle("sops", ["decrypt", join(dir, "talsecret.sops.yaml")], {
      env: { SOPS_AGE_KEY: identity },
    });
    assert.equal(dec.code, 0, dec.stderr);
    const bundle = parseSecretsBundle(dec.stdout);
    assert.deepEqual(validateSecretsBundle(bundle, { now: new Date() }), []);
    assert.equal(
      dec.stdout,
      await decryptSopsText(await readFile(join(dir, "talsecret.sops.yaml"), "utf8"), {
        path: "talsecret.sops.yaml",
        identities: [identity],
      }),
    );
    t.diagnostic(`gensecret ${version} -o took ${ms} ms`);

    const plain = join(dir, "bundle.yaml");
    await writeFile(plain, dec.stdout, { mode: 0o600 });
    const check = await runOracle("talos-oracle", ["secrets-check", plain, "--talos-version", version]);
    let report: OracleReport;
    try {
      report = JSON.parse(check.stdout) as OracleReport;
    } catch {
      assert.fail(`talos-oracle secrets-check printed no JSON (exit ${check.code}): ${check.stdout}\n${check.stderr}`);
    }
    assert.equal(check.code, 0, `${check.stderr}\n${report.errors.join("\n")}`);
    assert.equal(report.ok, true);
    assert.deepEqual(report.errors, []);
    for (const [name, alg] of Object.entries(EXPECTED_ALGORITHMS))
      assert.match(report.certs[name]?.algorithm ?? "(missing)", alg, name);
    // `talosctl gen secrets` writes the cluster id in URL-safe base64 before Talos 1.14 and in standard base64 from
    // 1.14 on; talform follows the talosctl of the target version. "either" is an id without + / - _ at all.
    assert.ok([minor >= 14 ? "std" : "url", "either"].includes(report.clusterIdEncoding), report.clusterIdEncoding);
    assert.deepEqual(
      report.serviceAccountKey,
      minor >= 7
        ? { algorithm: "RSA-4096", keyPem: "RSA PRIVATE KEY" }
        : { algorithm: "ECDSA-P256", keyPem: "EC PRIVATE KEY" },
    );
    assert.ok(bundle.secrets.secretboxencryptionsecret, "secretbox from the 1.3 contract");
  });
}
