// Checks of talos-oracle's secrets-check and talosconfig-check against bundles and talosconfigs Talos's own machinery
// generated. secrets-check derives its expectations (algorithm, subject, PEM label per CA) from a bundle machinery
// generates on the spot, so these tests pin what Talos does today; the negative cases prove each check can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { referencePath, runOracle, runOracleJson } from "./support/oracles.js";

interface CertReport {
  algorithm: string;
  subject: string;
  isCA: boolean;
  selfSigned: boolean;
  keyMatches: boolean;
  keyPem: string;
  validityHours: number;
}
interface SecretsReport {
  ok: boolean;
  errors: string[];
  warnings: string[];
  certs: Record<string, CertReport>;
  serviceAccountKey?: { algorithm: string; keyPem: string };
  tokens: Record<string, { ok: boolean; format: string }>;
  clusterIdEncoding: string;
}
interface TalosconfigReport {
  ok: boolean;
  errors: string[];
  context: string;
  contexts: Record<
    string,
    {
      ok: boolean;
      roles: string[];
      signedByOsCA: boolean;
      caMatchesOsCA: boolean;
      extKeyUsage: string[];
      keyPem: string;
      endpoints: string[];
    }
  >;
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A fresh bundle from Talos's generator (`gen-secrets`), written 0600 into dir. */
async function talosBundle(dir: string, name = "secrets.yaml", version?: string): Promise<string> {
  const res = await runOracle("talos-oracle", ["gen-secrets", ...(version ? ["--talos-version", version] : [])]);
  assert.equal(res.code, 0, res.stderr);
  const file = join(dir, name);
  await writeFile(file, res.stdout, { mode: 0o600 });
  return file;
}

test("secrets-check accepts a bundle Talos generated and reports the algorithms Talos uses", async () => {
  await withTempDir(async (dir) => {
    const { code, report } = await runOracleJson<SecretsReport>(["secrets-check", await talosBundle(dir)]);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(report.warnings, []);
    assert.equal(code, 0);
    const summary = Object.fromEntries(
      Object.entries(report.certs).map(([k, c]) => [
        k,
        [c.algorithm, c.subject, c.keyPem, c.isCA, c.selfSigned, c.keyMatches, c.validityHours],
      ]),
    );
    assert.deepEqual(summary, {
      os: ["Ed25519", "O=talos", "ED25519 PRIVATE KEY", true, true, true, 87600],
      etcd: ["ECDSA-P256", "O=etcd", "EC PRIVATE KEY", true, true, true, 87600],
      k8s: ["ECDSA-P256", "O=kubernetes", "EC PRIVATE KEY", true, true, true, 87600],
      // machinery asks for CN=front-proxy but its CA helper drops the CN: the aggregator CA has an empty subject.
      k8saggregator: ["ECDSA-P256", "", "EC PRIVATE KEY", true, true, true, 87600],
    });
    assert.deepEqual(report.serviceAccountKey, { algorithm: "RSA-4096", keyPem: "RSA PRIVATE KEY" });
    // machinery v1.14 generates the cluster id in standard base64 (before it, URL-safe base64).
    assert.equal(
      report.clusterIdEncoding === "std" || report.clusterIdEncoding === "either",
      true,
      report.clusterIdEncoding,
    );
    assert.ok(Object.values(report.tokens).every((t) => t.ok));
  });
});

test("secrets-check --talos-version: the ECDSA service-account key of the stability bundle is right for v1.6, wrong for v1.7+", async () => {
  const bundle = referencePath("talos-golden", "stability", "secrets.yaml");
  const old = await runOracleJson<SecretsReport>(["secrets-check", bundle, "--talos-version", "v1.6"]);
  assert.deepEqual(old.report.errors, []);
  assert.equal(old.code, 0);
  const current = await runOracleJson<SecretsReport>(["secrets-check", bundle, "--talos-version", "v1.13"]);
  assert.equal(current.code, 1);
  assert.deepEqual(current.report.errors, [
    "certs.k8sserviceaccount: algorithm is ECDSA-P256, Talos uses RSA-4096 for this version contract",
    'certs.k8sserviceaccount: key PEM label is "EC PRIVATE KEY", Talos writes "RSA PRIVATE KEY"',
  ]);
});

test("secrets-check rejects unknown keys, swapped keys, bad tokens and missing secrets", async () => {
  await withTempDir(async (dir) => {
    const good = parse(await readFile(await talosBundle(dir), "utf8")) as Record<string, Record<string, unknown>>;
    const other = parse(await readFile(await talosBundle(dir, "other.yaml"), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    const mutate = (fn: (b: Record<string, Record<string, unknown>>) => void) => {
      const copy = structuredClone(good);
      fn(copy);
      return copy;
    };
    const cases: { name: string; bundle: unknown; error: RegExp }[] = [
      { name: "unknown top-level key", bundle: mutate((b) => (b.extra = { a: "b" })), error: /field extra not found/ },
      {
        name: "unknown nested key",
        bundle: mutate((b) => (b.secrets!.bootstrapToken = "x")),
        error: /field bootstrapToken not found/,
      },
      {
        name: "etcd key from another bundle",
        bundle: mutate(
          (b) => ((b.certs!.etcd as Record<string, string>).key = (other.certs!.etcd as Record<string, string>).key!),
        ),
        error: /certs\.etcd: the private key does not belong to the certificate/,
      },
      {
        name: "bad bootstrap token",
        bundle: mutate((b) => (b.secrets!.bootstraptoken = "ABCDEF.0123456789abcdef")),
        error: /secrets\.bootstraptoken is not/,
      },
      { name: "missing trustd token", bundle: mutate((b) => delete b.trustdinfo), error: /trustdinfo is required/ },
      {
        name: "both encryption secrets",
        bundle: mutate((b) => (b.secrets!.aescbcencryptionsecret = b.secrets!.secretboxencryptionsecret)),
        error: /only one of \[secrets\.secretboxencryptionsecret, secrets\.aescbcencryptionsecret\] is allowed/,
      },
      {
        name: "OS CA swapped for the etcd CA",
        bundle: mutate((b) => (b.certs!.os = b.certs!.etcd)),
        error: /certs\.os: algorithm is ECDSA-P256, Talos uses Ed25519/,
      },
    ];
    for (const c of cases) {
      const file = join(dir, "case.yaml");
      await writeFile(file, stringify(c.bundle), { mode: 0o600 });
      const { code, report } = await runOracleJson<SecretsReport>(["secrets-check", file]);
      assert.equal(code, 1, c.name);
      assert.ok(
        report.errors.some((e) => c.error.test(e)),
        `${c.name}: ${JSON.stringify(report.errors)}`,
      );
    }
  });
});

test("talosconfig-check accepts the talosconfig Talos issues from the bundle, with its roles", async () => {
  await withTempDir(async (dir) => {
    const secrets = await talosBundle(dir);
    const cases = [
      { args: [], roles: ["os:admin"] },
      { args: ["--role", "os:reader", "--role", "os:etcd:backup"], roles: ["os:etcd:backup", "os:reader"] },
    ];
    for (const c of cases) {
      const gen = await runOracle("talos-oracle", [
        "gen-talosconfig",
        "--secrets",
        secrets,
        "--cluster-name",
        "lab",
        "--endpoint",
        "10.0.0.1",
        ...c.args,
      ]);
      assert.equal(gen.code, 0, gen.stderr);
      const file = join(dir, "talosconfig");
      await writeFile(file, gen.stdout, { mode: 0o600 });
      const { code, report } = await runOracleJson<TalosconfigReport>([
        "talosconfig-check",
        file,
        "--secrets",
        secrets,
      ]);
      assert.deepEqual(report.errors, []);
      assert.equal(code, 0);
      assert.equal(report.context, "lab");
      const ctx = report.contexts.lab!;
      assert.deepEqual([...ctx.roles].sort(), c.roles);
      assert.deepEqual(ctx.endpoints, ["10.0.0.1"]);
      assert.deepEqual(ctx.extKeyUsage, ["clientAuth"]);
      assert.equal(ctx.keyPem, "ED25519 PRIVATE KEY");
      assert.equal(ctx.signedByOsCA && ctx.caMatchesOsCA, true);
    }
  });
});

test("talosconfig-check rejects a talosconfig issued from another bundle, or whose key was swapped", async () => {
  await withTempDir(async (dir) => {
    const secrets = await talosBundle(dir);
    const other = await talosBundle(dir, "other.yaml");
    const issue = async (bundle: string) => {
      const res = await runOracle("talos-oracle", ["gen-talosconfig", "--secrets", bundle]);
      assert.equal(res.code, 0, res.stderr);
      return parse(res.stdout) as { context: string; contexts: Record<string, Record<string, string>> };
    };
    const foreign = await issue(other);
    const file = join(dir, "talosconfig");
    await writeFile(file, stringify(foreign), { mode: 0o600 });
    const res = await runOracleJson<TalosconfigReport>(["talosconfig-check", file, "--secrets", secrets]);
    assert.equal(res.code, 1);
    assert.equal(res.report.contexts.talos?.signedByOsCA, false);
    assert.ok(res.report.errors.includes("contexts.talos: ca is not the bundle's OS CA (certs.os.crt)"));
    assert.ok(res.report.errors.includes("contexts.talos: crt is not signed by the bundle's OS CA"));

    const own = await issue(secrets);
    own.contexts.talos!.key = foreign.contexts.talos!.key!;
    await writeFile(file, stringify(own), { mode: 0o600 });
    const swapped = await runOracleJson<TalosconfigReport>(["talosconfig-check", file, "--secrets", secrets]);
    assert.equal(swapped.code, 1);
    assert.deepEqual(swapped.report.errors, ["contexts.talos: key does not belong to crt"]);
  });
});
