// The real talhelper (v3.1.16) runs `genconfig` on its own example (talconfig.yaml with SOPS-encrypted env and
// secrets, patches, multi-document extras) in a temp copy, offline. Its output is then checked with the other two
// oracles: Talos machinery validates the node configs, and the talosconfig chains to the OS CA of the bundle sops
// decrypts from talsecret.yaml. This is the reference run talform's genconfig is compared with.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmod, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { referencePath, runOracle, runOracleJson } from "./support/oracles.js";

interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else await chmod(path, 0o600);
  }
}

test("talhelper genconfig --offline-mode generates the example's node configs and talosconfig, which Talos and sops accept", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  try {
    await cp(referencePath("talhelper-fixtures", "example"), dir, { recursive: true });
    await makeWritable(dir); // the reference copy is read-only
    const env = { SOPS_AGE_KEY_FILE: "key.txt", SOPS_AGE_KEY: undefined };

    const gen = await runOracle("talhelper", ["genconfig", "--offline-mode"], { cwd: dir, env });
    assert.equal(gen.code, 0, gen.stderr + gen.stdout);
    for (const file of ["home-cluster-kmaster1.yaml", "home-cluster-kworker1.yaml", "talosconfig"]) {
      assert.match(gen.stdout, new RegExp(`generated .* in \\./clusterconfig/${file.replace(".", "\\.")}\\n`));
      assert.equal((await stat(join(dir, "clusterconfig", file))).mode & 0o777, 0o600, `${file} holds secrets`);
    }

    const nodes = ["home-cluster-kmaster1.yaml", "home-cluster-kworker1.yaml"].map((f) =>
      join(dir, "clusterconfig", f),
    );
    const types = await Promise.all(
      nodes.map(
        async (f) =>
          (parseAllDocuments(await readFile(f, "utf8"))[0]?.toJS() as { machine: { type: string } }).machine.type,
      ),
    );
    assert.deepEqual(types, ["controlplane", "worker"]);

    // Talos machinery accepts what talhelper generated, with the bond warnings talhelper printed.
    const validated = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", ...nodes]);
    assert.deepEqual(
      validated.report.files.map((f) => [f.errors, f.warnings]),
      [
        [
          [],
          [
            // machinery v1.14 deprecates machine.files (the example writes one on the control plane).
            ".machine.files is deprecated; use dedicated configuration documents instead",
            "miimon was not specified for 802.3ad bond",
            "updelay was not specified for 802.3ad bond",
            "downdelay was not specified for 802.3ad bond",
          ],
        ],
        [[], []],
      ],
    );
    assert.equal(validated.code, 0);

    // The client certificate was issued by the OS CA of the (sops-encrypted) talsecret.yaml.
    const secrets = await runOracle("sops", ["decrypt", "talsecret.yaml"], { cwd: dir, env });
    assert.equal(secrets.code, 0, secrets.stderr);
    const secretsFile = join(dir, "talsecret.plain.yaml");
    await writeFile(secretsFile, secrets.stdout, { mode: 0o600 });
    const tc = await runOracleJson<{ ok: boolean; errors: string[]; contexts: Record<string, { roles: string[] }> }>([
      "talosconfig-check",
      join(dir, "clusterconfig", "talosconfig"),
      "--secrets",
      secretsFile,
    ]);
    assert.deepEqual(tc.report.errors, []);
    assert.deepEqual(Object.fromEntries(Object.entries(tc.report.contexts).map(([k, c]) => [k, c.roles])), {
      "home-cluster": ["os:admin"],
    });

    // And the node configs carry that bundle's cluster secrets.
    const bundle = parse(secrets.stdout) as { cluster: { id: string; secret: string } };
    for (const node of nodes) {
      const cfg = parseAllDocuments(await readFile(node, "utf8"))[0]?.toJS() as {
        cluster: { id: string; secret: string };
      };
      assert.deepEqual([cfg.cluster.id, cfg.cluster.secret], [bundle.cluster.id, bundle.cluster.secret]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("talhelper genconfig fails without the age key (so the run above really used the encrypted secrets)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-"));
  try {
    await cp(referencePath("talhelper-fixtures", "example"), dir, { recursive: true });
    await makeWritable(dir);
    await rm(join(dir, "key.txt"));
    const gen = await runOracle("talhelper", ["genconfig", "--offline-mode"], {
      cwd: dir,
      // An empty HOME keeps talhelper (sops) from finding a user age key in ~/.config/sops/age/keys.txt.
      env: { SOPS_AGE_KEY_FILE: join(dir, "key.txt"), SOPS_AGE_KEY: undefined, HOME: dir, XDG_CONFIG_HOME: dir },
    });
    assert.notEqual(gen.code, 0);
    await assert.rejects(stat(join(dir, "clusterconfig", "talosconfig")));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
