import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { encodeTestBundle as encodeSecretsBundle, makeTestBundle } from "../machineconfig/test-support.js";
import { runCliFast } from "../cli/test-support.js";
import { loadTalconfig, outputFilename } from "../talconfig/index.js";
import { clusterconfigStaleness, runGenconfig } from "./run.js";
import { documentDiffs, gitignoreText, lineDiff, redact } from "./output.js";
import { parseYamlDocuments, type YamlMap } from "../machineconfig/index.js";
import { formatDiagnostic, type Diagnostic } from "../diagnostics/index.js";
import { testTempDir } from "../util/test-temp.js";

const bundle = await makeTestBundle();

const TALCONFIG = `clusterName: lab
talosVersion: v1.12.0
kubernetesVersion: v1.33.0
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: cp1
    ipAddress: 10.0.0.11
    controlPlane: true
    installDisk: /dev/sda
  - hostname: w1
    ipAddress: 10.0.0.21
    installDisk: /dev/sda
    patches:
      - "@./w1.yaml"
`;

async function project(talconfig = TALCONFIG): Promise<string> {
  const dir = await testTempDir("talform-genconfig-run-");
  await writeFile(join(dir, "talconfig.yaml"), talconfig);
  await writeFile(join(dir, "w1.yaml"), "machine:\n  env:\n    A: b\n");
  await writeFile(join(dir, "talsecret.yaml"), encodeSecretsBundle(bundle), { mode: 0o600 });
  return dir;
}

const run = (dir: string, extra: Partial<Parameters<typeof runGenconfig>[0]> = {}) =>
  runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "clusterconfig", cwd: dir, env: {}, ...extra });

test("writes <cluster>-<host>.yaml, talosconfig (0600), .gitignore and the input fingerprint", async () => {
  const dir = await project();
  const r = await run(dir);
  const out = join(dir, "clusterconfig");
  assert.deepEqual((await readdir(out)).sort(), [
    ".gitignore",
    ".talform-inputs.json",
    "lab-cp1.yaml",
    "lab-w1.yaml",
    "talosconfig",
  ]);
  for (const f of ["lab-cp1.yaml", "lab-w1.yaml", "talosconfig", ".talform-inputs.json"])
    assert.equal((await stat(join(out, f))).mode & 0o777, 0o600, f);
  assert.equal(await readFile(join(out, ".gitignore"), "utf8"), "lab-cp1.yaml\nlab-w1.yaml\ntalosconfig\n");
  assert.match(r.report, /generated config for cp1 in clusterconfig\/lab-cp1\.yaml/);
  assert.match(await readFile(join(out, "lab-w1.yaml"), "utf8"), /A: b/);
});

test("regenerating keeps the admin certificate; --regenerate-cert issues a new one", async () => {
  const dir = await project();
  const first = await run(dir);
  assert.equal(first.generated.talosconfig.certificateIssued, true);
  const second = await run(dir);
  assert.equal(second.generated.talosconfig.certificateIssued, false);
  const third = await run(dir, { regenerateCert: true });
  assert.equal(third.generated.talosconfig.certificateIssued, true);
});

test("all or nothing: one failing node means no file is written", async () => {
  const dir = await project(
    TALCONFIG.replace('      - "@./w1.yaml"', '      - \'[{"op": "add", "path": "/machine/env", "value": {}}]\''),
  );
  await assert.rejects(run(dir), (e: Error & { diagnostics?: { message: string; node?: string }[] }) => {
    assert.match(e.message, /nothing was written/);
    assert.ok(e.diagnostics?.some((d) => d.node === "w1" && /JSON6902/.test(d.message)));
    return true;
  });
  await assert.rejects(stat(join(dir, "clusterconfig")));
});

test("without a secrets file: an error that says how to create one", async () => {
  const dir = await project();
  await writeFile(join(dir, "talsecret.yaml"), "");
  const { rm } = await import("node:fs/promises");
  await rm(join(dir, "talsecret.yaml"));
  await assert.rejects(run(dir), (e: Error & { diagnostics?: { hint?: string }[] }) => {
    assert.match(e.message, /no secrets file found/);
    assert.match(e.diagnostics?.[0]?.hint ?? "", /talform gensecret --out talsecret\.sops\.yaml/);
    return true;
  });
});

test("an explicit -c from another folder: the bundle beside the talconfig is named with the -s to pass", async () => {
  const dir = await project();
  const elsewhere = join(dir, "elsewhere");
  await mkdir(elsewhere);
  const attempt = run(dir, { configPath: join(dir, "talconfig.yaml"), cwd: elsewhere });
  await assert.rejects(attempt, (e: Error & { diagnostics?: { hint?: string }[] }) => {
    assert.match(e.message, /no secrets file found in the current folder/);
    assert.match(
      e.diagnostics?.[0]?.hint ?? "",
      /^\.\.\/talsecret\.yaml is beside the talconfig: pass -s \.\.\/talsecret\.yaml, or run from \.\./,
    );
    return true;
  });
  const r = await run(dir, { cwd: elsewhere, secretsFile: "../talsecret.yaml" });
  assert.ok(r, "the -s the hint names works");
});

test("stale detection: the fingerprint changes when an input changes", async () => {
  const dir = await project();
  const loaded = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
  assert.equal(await clusterconfigStaleness(loaded, join(dir, "clusterconfig")), undefined, "never generated");
  await run(dir);
  assert.deepEqual(await clusterconfigStaleness(loaded, join(dir, "clusterconfig")), []);
  await writeFile(join(dir, "w1.yaml"), "machine:\n  env:\n    A: c\n");
  assert.deepEqual(await clusterconfigStaleness(loaded, join(dir, "clusterconfig")), ["w1.yaml changed"]);
  await writeFile(join(dir, "talsecret.yaml"), encodeSecretsBundle(await makeTestBundle()));
  assert.deepEqual(await clusterconfigStaleness(loaded, join(dir, "clusterconfig")), [
    "talsecret.yaml changed",
    "w1.yaml changed",
  ]);
});

test("dry run: per-node, per-document diff, secrets redacted, nothing written", async () => {
  const dir = await project();
  const fresh = await run(dir, { dryRun: true });
  assert.deepEqual(fresh.written, []);
  await assert.rejects(stat(join(dir, "clusterconfig")));
  assert.match(fresh.report, /--- clusterconfig\/lab-cp1\.yaml \(node cp1\)\n@@ v1alpha1 \(new\)/);
  assert.doesNotMatch(fresh.report, new RegExp(bundle.trustdinfo.token.replace(".", "\\.")));
  assert.doesNotMatch(fresh.report, /PRIVATE KEY/);
  assert.match(fresh.report, /token: <redacted sha256:[0-9a-f]{12}>/);
  await run(dir);
  const same = await run(dir, { dryRun: true });
  assert.match(same.report, /no changes found on clusterconfig\/lab-cp1\.yaml/);
});

test("redact keeps public values and hides secrets and private keys", () => {
  const doc = parseYamlDocuments(
    "machine:\n  token: abc\n  ca:\n    crt: CERT\n    key: KEY\npeers:\n  - publicKey: PUB\nx: '-----BEGIN EC PRIVATE KEY-----'\n",
  ).documents[0] as YamlMap;
  const r = redact(doc) as YamlMap;
  const m = r.get("machine") as YamlMap;
  assert.match(String(m.get("token")), /^<redacted/);
  assert.equal((m.get("ca") as YamlMap).get("crt"), "CERT");
  assert.match(String((m.get("ca") as YamlMap).get("key")), /^<redacted/);
  assert.equal((r.get("peers") as YamlMap[])[0]!.get("publicKey"), "PUB");
  assert.match(String(r.get("x")), /^<redacted/);
});

test("lineDiff and documentDiffs", () => {
  assert.deepEqual(lineDiff(["a", "b", "c"], ["a", "x", "c"]), [" a", "-b", "+x", " c"]);
  assert.deepEqual(documentDiffs("a: 1\n", "a: 1\n"), []);
  assert.deepEqual(
    documentDiffs(undefined, "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: stable\n").map((d) => d.id),
    ["v1alpha1/HostnameConfig (new)"],
  );
});

test("gitignore keeps existing lines and adds missing files once", () => {
  assert.equal(gitignoreText("talosconfig\n# mine\n", ["a.yaml", "talosconfig"]), "talosconfig\n# mine\na.yaml\n");
  assert.equal(gitignoreText(undefined, ["a.yaml"]), "a.yaml\n");
});

test("filenameTmpl: talhelper's data, errors for unknown fields and path separators", async () => {
  const dir = await project();
  const loaded = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
  const node = loaded.nodes[0]!;
  assert.equal(outputFilename(node.filenameTmpl, { ...node, clusterName: "lab" }), "lab-cp1.yaml");
  assert.equal(
    outputFilename("{{.Hostname}}-{{.Role}}.yaml", { ...node, clusterName: "lab" }),
    "cp1-controlplane.yaml",
  );
  assert.equal(outputFilename("{{ .IPAddress }}.yaml", { ...node, clusterName: "lab" }), "10.0.0.11.yaml");
  assert.throws(
    () => outputFilename("{{.Invalid}}.yaml", { ...node, clusterName: "lab" }),
    /can't evaluate field Invalid/,
  );
  assert.throws(() => outputFilename("../{{.Hostname}}.yaml", { ...node, clusterName: "lab" }), /not a file name/);
});

test("talform genconfig CLI: writes files; --dry-run; bad mode is a usage error", async () => {
  const dir = await project();
  await mkdir(join(dir, "sub"));
  const r = await runCliFast(["genconfig", "-c", "talconfig.yaml", "-s", "talsecret.yaml"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /generated client config in clusterconfig\/talosconfig/);
  const dry = await runCliFast(["genconfig", "--dry-run"], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /no changes found/);
  const bad = await runCliFast(["genconfig", "--talos-mode", "vm"], { cwd: dir });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /not a mode/);
});

test("talform validate says when clusterconfig is stale", async () => {
  const dir = await project();
  assert.equal((await runCliFast(["genconfig"], { cwd: dir })).code, 0);
  const fresh = await runCliFast(["validate"], { cwd: dir });
  assert.doesNotMatch(fresh.stdout, /clusterconfig-stale/);
  await writeFile(join(dir, "w1.yaml"), "machine:\n  env:\n    A: changed\n");
  const stale = await runCliFast(["validate"], { cwd: dir });
  assert.match(
    stale.stdout,
    /warning\[clusterconfig-stale\]: clusterconfig is stale — run genconfig \(w1\.yaml changed\)/,
  );
});

test("end to end: gensecret --out talsecret.sops.yaml (age) then genconfig decrypts it in memory", async () => {
  const { generateIdentity, identityToRecipient } = await import("age-encryption");
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const dir = await project();
  const { rm } = await import("node:fs/promises");
  await rm(join(dir, "talsecret.yaml"));
  await writeFile(
    join(dir, ".sops.yaml"),
    `creation_rules:\n  - path_regex: talsecret\\.sops\\.yaml$\n    age: ${recipient}\n`,
  );
  const env = { SOPS_AGE_KEY: identity };
  const gen = await runCliFast(["gensecret", "--out", "talsecret.sops.yaml"], { cwd: dir, env });
  assert.equal(gen.code, 0, gen.stderr);
  assert.match(await readFile(join(dir, "talsecret.sops.yaml"), "utf8"), /ENC\[AES256_GCM/);
  const r = await runCliFast(["genconfig"], { cwd: dir, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /generated config for w1/);
  const noKey = await runCliFast(["genconfig", "--dry-run"], { cwd: dir, env: {} });
  assert.notEqual(noKey.code, 0);
});

test("Talos 1.14: a talhelper-era patch setting machine.kubelet fails with the conflict, the node, the patch and the fix; 1.13 renders it", async () => {
  const talconfig = (version: string) => `clusterName: lab
talosVersion: ${version}
kubernetesVersion: v1.35.0
endpoint: https://10.0.0.10:6443
nodes:
  - hostname: w1
    ipAddress: 10.0.0.21
    installDisk: /dev/sda
    patches:
      - "@./w1.yaml"
      - |-
        machine:
          kubelet:
            extraArgs:
              rotate-server-certificates: "true"
`;
  const dir14 = await project(talconfig("v1.14.1"));
  await assert.rejects(run(dir14), (e: Error & { diagnostics?: Diagnostic[] }) => {
    assert.match(e.message, /genconfig failed for 1 node\(s\); nothing was written/);
    assert.equal(e.diagnostics?.length, 1);
    const d = e.diagnostics![0]!;
    assert.equal(d.node, "w1");
    assert.equal(d.code, "v1alpha1-conflict");
    assert.equal(d.message, "lab-w1.yaml: kubelet config is already set in v1alpha1 config (.machine.kubelet)");
    assert.equal(d.path, "machine.kubelet");
    assert.match(
      d.hint ?? "",
      /extraArgs, extraConfig \(as config\), clusterDNS, image and defaultRuntimeSeccompProfileEnabled go to the KubeletConfig document/,
    );
    assert.match(d.hint ?? "", /the legacy field comes from patch nodes\[0\]\.patches\[1\] \(inline\)$/);
    assert.deepEqual([d.source?.line, d.source?.col], [11, 9], "points at the patch entry in talconfig.yaml");
    assert.match(
      formatDiagnostic(d),
      /talconfig\.yaml:11:9: error\[v1alpha1-conflict\]: w1: lab-w1\.yaml: kubelet config is already set/,
    );
    return true;
  });
  await assert.rejects(stat(join(dir14, "clusterconfig")));

  const dir13 = await project(talconfig("v1.13.9"));
  const r = await run(dir13);
  assert.match(
    await readFile(join(dir13, "clusterconfig", "lab-w1.yaml"), "utf8"),
    /kubelet:\n(?:.*\n)*?\s+rotate-server-certificates: "true"/,
  );
  assert.equal(r.generated.configs.length, 1);
});

test("genconfig refuses a Kubernetes version the Talos version does not support, naming the line (as talhelper does)", async () => {
  const dir = await project(TALCONFIG.replace("kubernetesVersion: v1.33.0", "kubernetesVersion: v1.36.2"));
  await assert.rejects(
    runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} }),
    (e: Error & { diagnostics?: Diagnostic[] }) => {
      const d = e.diagnostics?.[0];
      assert.match(
        d?.message ?? "",
        /Kubernetes v?1\.36\.2 is not supported by Talos v1\.12 \(supported: 1\.30 to 1\.35\)/,
      );
      assert.equal(d?.source?.line, 3);
      return true;
    },
  );
  await assert.rejects(readdir(join(dir, "out")), /ENOENT/);
});
