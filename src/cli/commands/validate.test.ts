import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliFast } from "../test-support.js";

const CLEAN = `clusterName: lab
talosVersion: v1.13.9
kubernetesVersion: v1.35.0
endpoint: https://10.0.0.10:6443
patches: ["machine: {time: {servers: [time.cloudflare.com]}}"]
nodes:
  - hostname: cp1
    ipAddress: \${CP_IP}
    controlPlane: true
    installDisk: /dev/sda
    nameservers: [1.1.1.1]
    networkInterfaces: [{interface: eth0, addresses: [10.0.0.11/24]}]
`;

async function inTemp(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), "talform-validate-"));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("validate: clean config exits 0; env files with -e; text output names the file", async () => {
  await inTemp({ "talconfig.yaml": CLEAN, "vars.env": "CP_IP=10.0.0.11\n" }, async (dir) => {
    const r = await runCliFast(["validate", "--env-file", "vars.env"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^talconfig\.yaml is valid \(1 node\)/m);
  });
});

test("validate: errors exit 1, grouped by file and node, located; --json is machine-readable", async () => {
  const bad = CLEAN.replace("installDisk: /dev/sda", "installDisk: /dev/sda\n    nodeLabel: {a: b}");
  await inTemp({ "talconfig.yaml": bad, ".talform.yaml": "policy: {disable: [time-servers]}\n" }, async (dir) => {
    const r = await runCliFast(["validate"], { cwd: dir, env: { CP_IP: "10.0.0.11" } });
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /talconfig\.yaml\n {2}node cp1:\n {4}talconfig\.yaml:11:5: error\[TF1003\]: unknown key "nodeLabel" — did you mean "nodeLabels"\?/,
    );
    const j = await runCliFast(["validate", "--json"], { cwd: dir, env: { CP_IP: "10.0.0.11" } });
    assert.equal(j.code, 1);
    const report = JSON.parse(j.stdout) as {
      valid: boolean;
      errors: number;
      diagnostics: { code: string; source: { file: string; line: number } }[];
    };
    assert.equal(report.valid, false);
    assert.equal(report.errors, 1);
    assert.deepEqual(
      report.diagnostics.map((d) => [d.code, d.source.file, d.source.line]),
      [["TF1003", "talconfig.yaml", 11]],
    );
  });
});

test("validate: unset variables are errors; --no-substitute skips substitution", async () => {
  await inTemp({ "talconfig.yaml": CLEAN }, async (dir) => {
    const r = await runCliFast(["validate", "--json"], { cwd: dir });
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {
      diagnostics: { code: string; message: string; source: { line: number; col: number } }[];
    };
    assert.deepEqual(
      report.diagnostics.map((d) => [d.code, d.source.line, d.source.col]),
      [["TF1010", 8, 16]],
    );
    assert.match(report.diagnostics[0]!.message, /CP_IP/);
    const raw = await runCliFast(["validate", "--no-substitute", "--disable", "static-addressing"], { cwd: dir });
    // ${CP_IP} is not an IP, but talhelper's domain check lets `${CP_IP}` fail: it is neither IP nor domain.
    assert.equal(raw.code, 1);
    assert.match(raw.stdout, /TF1004/);
  });
});

test("validate: a missing or binary file is a located error, never a stack trace", async () => {
  await inTemp({ "bin.yaml": "\u0000\u0001\u0002" }, async (dir) => {
    const missing = await runCliFast(["validate", "-c", "nope.yaml"], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /nope\.yaml:1:1: error\[TF1012\]: file not found/);
    const bin = await runCliFast(["validate", "-c", "bin.yaml"], { cwd: dir });
    assert.equal(bin.code, 1);
    assert.match(bin.stdout, /bin\.yaml:1:1: error\[TF1012\]/);
    assert.doesNotMatch(bin.stdout + bin.stderr, /\n\s+at /);
    const dirAsFile = await runCliFast(["validate", "-c", "."], { cwd: dir });
    assert.equal(dirAsFile.code, 1);
    assert.match(dirAsFile.stdout, /is a directory/);
  });
});

test("validate: warnings alone exit 0; node groups follow talconfig order; --disable and .talform.yaml silence rules", async () => {
  const two =
    CLEAN.replace("    nameservers: [1.1.1.1]\n", "") +
    "  - hostname: w1\n    ipAddress: 10.0.0.21\n    installDisk: /dev/sda\n    networkInterfaces: [{interface: eth0, addresses: [10.0.0.21/24]}]\n";
  await inTemp({ "talconfig.yaml": two }, async (dir) => {
    const r = await runCliFast(["validate"], { cwd: dir, env: { CP_IP: "10.0.0.11" } });
    assert.equal(r.code, 0, r.stdout);
    assert.ok(r.stdout.indexOf("node cp1:") < r.stdout.indexOf("node w1:"), r.stdout);
    assert.match(r.stdout, /is valid \(2 nodes\), 2 warnings\n$/);
    const quiet = await runCliFast(["validate", "--disable", "nameservers"], {
      cwd: dir,
      env: { CP_IP: "10.0.0.11" },
    });
    assert.equal(quiet.stdout, "talconfig.yaml is valid (2 nodes)\n");
  });
});

test("validate: talenv.sops.yaml beside the talconfig decrypts with SOPS_AGE_KEY_FILE", async () => {
  const { generateIdentity, identityToRecipient } = await import("age-encryption");
  const { encryptSopsText } = await import("../../sops/index.js");
  const identity = await generateIdentity();
  const encrypted = await encryptSopsText("CP_IP: 10.0.0.11\n", {
    path: "talenv.sops.yaml",
    recipients: [await identityToRecipient(identity)],
  });
  await inTemp({ "talconfig.yaml": CLEAN, "talenv.sops.yaml": encrypted, "key.txt": `${identity}\n` }, async (dir) => {
    const ok = await runCliFast(["validate"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: join(dir, "key.txt") } });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const noKey = await runCliFast(["validate"], { cwd: dir, env: {} });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stdout, /talenv\.sops\.yaml:1:1: error\[TF1011\]/);
  });
});

test("validate: extension names are checked against the Image Factory catalogue for the Talos version, once", async () => {
  const withExtensions = (names: string) =>
    `${CLEAN.replace("${CP_IP}", "10.0.0.11")}    schematic:\n      customization:\n        systemExtensions:\n          officialExtensions: [${names}]\n`;
  // siderolabs/zfs is in the catalogue but not in the policy's short built-in list.
  await inTemp({ "talconfig.yaml": withExtensions("siderolabs/zfs, siderolabs/intel-ucode") }, async (dir) => {
    const r = await runCliFast(["validate", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual((JSON.parse(r.stdout) as { diagnostics: unknown[] }).diagnostics, []);
  });
  await inTemp({ "talconfig.yaml": withExtensions("siderolabs/zsf") }, async (dir) => {
    const r = await runCliFast(["validate", "--json"], { cwd: dir });
    const ds = (JSON.parse(r.stdout) as { diagnostics: { code: string }[] }).diagnostics;
    assert.deepEqual(
      ds.map((d) => d.code),
      ["extension-name"],
    );
  });
});

test("validate: schematic findings of src/factory are folded in, located in talconfig.yaml", async () => {
  const text = `${CLEAN.replace("${CP_IP}", "10.0.0.11")}    schematic:\n      customization:\n        extraKernelArgs: [net.ifnames=0, "yes"]\n        systemExtensions:\n          officialExtensions: [siderolabs/zfs, siderolabs/zfs]\n`;
  await inTemp({ "talconfig.yaml": text }, async (dir) => {
    const r = await runCliFast(["validate", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout);
    const ds = (
      JSON.parse(r.stdout) as {
        diagnostics: { code: string; path: string; node?: string; source?: { line: number } }[];
      }
    ).diagnostics;
    const dup = ds.find((d) => d.code === "duplicate-extension");
    assert.ok(dup, r.stdout);
    assert.equal(dup.path, "nodes[0].schematic.customization.systemExtensions.officialExtensions[1]");
    assert.equal(dup.node, "cp1");
    assert.equal(dup.source?.line, 17);
    assert.ok(
      ds.some((d) => d.path === "nodes[0].schematic.customization.extraKernelArgs[1]"),
      r.stdout,
    );
  });
  await inTemp(
    {
      "talconfig.yaml": `${CLEAN.replace("${CP_IP}", "10.0.0.11")}    schematic:\n      customization:\n        bootloader: lilo\n`,
    },
    async (dir) => {
      const r = await runCliFast(["validate"], { cwd: dir });
      assert.equal(r.code, 1, r.stdout);
      assert.match(
        r.stdout,
        /talconfig\.yaml:14:7: error\[schematic-invalid\]: nodes\[0\]\.schematic: schematic customization\.bootloader/,
      );
    },
  );
});

test("validate: a schematic given as a YAML alias (or holding one) is the anchored schematic, not an error", async () => {
  const node2 =
    "  - hostname: cp2\n    ipAddress: 10.0.0.12\n    controlPlane: true\n    installDisk: /dev/sda\n    nameservers: [1.1.1.1]\n    networkInterfaces: [{interface: eth0, addresses: [10.0.0.12/24]}]\n";
  const schematic =
    "    schematic: &s\n      customization:\n        extraKernelArgs: &args [net.ifnames=0]\n        systemExtensions:\n          officialExtensions: [siderolabs/iscsi-tools]\n";
  const text = `${CLEAN.replace("${CP_IP}", "10.0.0.11")}${schematic}${node2}    schematic: *s\n  - hostname: w1\n    ipAddress: 10.0.0.21\n    installDisk: /dev/sda\n    nameservers: [1.1.1.1]\n    networkInterfaces: [{interface: eth0, addresses: [10.0.0.21/24]}]\n    schematic:\n      customization:\n        extraKernelArgs: *args\n`;
  await inTemp({ "talconfig.yaml": text }, async (dir) => {
    const r = await runCliFast(["validate", "--json"], { cwd: dir });
    const ds = (JSON.parse(r.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics;
    assert.deepEqual(
      ds.filter((d) => d.code === "schematic-invalid").map((d) => d.message),
      [],
    );
  });
});

test("validate: the sops-creation-rule check finds .sops.yaml above the talconfig, as sops does", async () => {
  const { generateIdentity, identityToRecipient } = await import("age-encryption");
  const { encryptSopsText } = await import("../../sops/index.js");
  const recipient = await identityToRecipient(await generateIdentity());
  const bundle = await encryptSopsText("cluster:\n  id: x\n  secret: y\n", {
    path: "talsecret.sops.yaml",
    recipients: [recipient],
  });
  const clean = CLEAN.replace("${CP_IP}", "10.0.0.11");
  await inTemp({}, async (root) => {
    const { mkdir } = await import("node:fs/promises");
    await mkdir(join(root, "cluster"));
    await writeFile(join(root, "cluster", "talconfig.yaml"), clean);
    await writeFile(join(root, "cluster", "talsecret.sops.yaml"), bundle);
    // A rule for another path, then one for the cluster folder that only encrypts `secret` keys.
    await writeFile(
      join(root, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^other/\n    age: ${recipient}\n  - path_regex: ^cluster/talsecret\n    encrypted_regex: ^secret$\n    age: ${recipient}\n`,
    );
    const r = await runCliFast(["validate", "--json"], { cwd: join(root, "cluster") });
    const ds = (JSON.parse(r.stdout) as { diagnostics: { code: string; message: string }[] }).diagnostics.filter(
      (d) => d.code === "sops-creation-rule",
    );
    assert.equal(ds.length, 1, r.stdout);
    assert.match(ds[0]!.message, /leaves secrets unencrypted: .*trustdinfo\.token/);
    await writeFile(
      join(root, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^cluster/talsecret\n    age: ${recipient}\n`,
    );
    const ok = await runCliFast(["validate"], { cwd: join(root, "cluster") });
    assert.equal(ok.code, 0, ok.stdout);
  });
});

test("validate: a secret-bearing file that git tracks is a warning; ignored ones are not", async () => {
  await inTemp(
    { "talconfig.yaml": CLEAN.replace("${CP_IP}", "10.0.0.11"), kubeconfig: "x", "README.md": "x" },
    async (dir) => {
      const { execFileSync } = await import("node:child_process");
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
      git("init", "-q");
      git("add", "talconfig.yaml", "kubeconfig", "README.md");
      const r = await runCliFast(["validate"], { cwd: dir, env: {} });
      assert.equal(r.code, 0, r.stdout);
      assert.match(
        r.stdout,
        /kubeconfig:1:1: warning\[secret-file-tracked\]: git tracks kubeconfig: admin credentials\n {6}hint: git rm --cached kubeconfig/,
      );
      assert.doesNotMatch(r.stdout, /tracks (README\.md|talconfig\.yaml)/);
      const quiet = await runCliFast(["validate", "--disable", "secret-file-tracked"], { cwd: dir, env: {} });
      assert.doesNotMatch(quiet.stdout, /secret-file-tracked/);
    },
  );
});
