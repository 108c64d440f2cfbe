// talform genconfig vs the real talhelper v3.1.16 genconfig, on talhelper's own example (SOPS-encrypted env and
// secrets, @file patches, group patches, templates, multi-document extras), per Talos minor 1.10–1.13. The node
// configs must be semantically identical (every document, every field, the same document order; talhelper
// re-indents with 2 spaces, so bytes differ — see docs/compat-talhelper.md). talform decrypts with its own SOPS
// module; its output must pass Talos's validation.
import { test } from "node:test";
import type { TalformError } from "../src/diagnostics/index.js";
import assert from "node:assert/strict";
import { chmod, cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import { runGenconfig } from "../src/genconfig/index.js";
import { contractFor } from "../src/contract/index.js";
import { createSopsDecryptor } from "../src/sops/index.js";
import { referencePath, runOracle } from "./support/oracles.js";
import {
  MATRIX_NODES_LEGACY_TALHELPER,
  MATRIX_NODES_TALHELPER,
  MATRIX_VERSIONS,
  MATRIX_VERSIONS_LEGACY,
} from "./support/genconfig-matrix.js";
import { assertTalosStrictlyValid } from "./support/strict-validation.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWritable(path);
    else await chmod(path, 0o600);
  }
}

/** Documents keyed by kind/name. */
function documents(text: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const d of parseAllDocuments(text)) {
    const js = d.toJS() as Record<string, unknown> | null;
    if (!js) continue;
    out.set(js.kind ? `${String(js.kind)}/${String(js.name ?? "")}` : "v1alpha1", js);
  }
  return out;
}

function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isDeepStrictEqual(a, b)) return;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    return;
  }
  out.push(`${path}: talhelper ${JSON.stringify(a)} ≠ talform ${JSON.stringify(b)}`);
}

/**
 * Every node config equals talhelper's as Talos reads it: talhelper's file decoded and re-encoded by the machinery
 * oracle (`talos-oracle encode`; talhelper appends extraManifests documents as written, e.g. `timeout: 2m`, which
 * Talos reads as 2m0s) has the same documents, fields and order as talform's, and is talform's file byte for byte.
 */
async function assertSameAsTalhelper(
  configs: readonly { name: string; text: string }[],
  theirDir: string,
): Promise<void> {
  for (const c of configs) {
    const decoded = await runOracle("talos-oracle", ["encode", join(theirDir, c.name)]);
    assert.equal(decoded.code, 0, decoded.stderr);
    const theirText = decoded.stdout;
    const theirs = documents(theirText);
    const mine = documents(c.text);
    const diffs: string[] = [];
    for (const id of new Set([...theirs.keys(), ...mine.keys()])) differences(theirs.get(id), mine.get(id), id, diffs);
    assert.deepEqual(diffs, [], c.name);
    assert.deepEqual([...mine.keys()], [...theirs.keys()], `${c.name}: document order`);
    assert.equal(c.text, theirText, `${c.name}: bytes of talhelper's output as Talos re-encodes it`);
  }
}

const VERSIONS: [string, string][] = [
  ["v1.10.9", "v1.33.6"],
  ["v1.11.6", "v1.34.1"],
  ["v1.12.0", "v1.35.0"],
  ["v1.13.9", "v1.36.3"],
];

for (const [talos, k8s] of VERSIONS) {
  test(`talhelper example, Talos ${talos}: talform's node configs equal talhelper's and pass Talos validation (metal)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-genconfig-"));
    try {
      await cp(referencePath("talhelper-fixtures", "example"), dir, { recursive: true });
      await makeWritable(dir);
      const cfgPath = join(dir, "talconfig.yaml");
      const cfg = (await readFile(cfgPath, "utf8"))
        .replace(/^talosVersion: .*$/m, `talosVersion: ${talos}`)
        .replace(/^kubernetesVersion: .*$/m, `kubernetesVersion: ${k8s}`);
      await writeFile(cfgPath, cfg);
      const env = { SOPS_AGE_KEY_FILE: "key.txt", SOPS_AGE_KEY: undefined };
      const gen = await runOracle("talhelper", ["genconfig", "--offline-mode", "-o", "theirs"], { cwd: dir, env });
      assert.equal(gen.code, 0, gen.stderr + gen.stdout);

      const ours = await runGenconfig({
        configPath: cfgPath,
        outDir: "ours",
        cwd: dir,
        env: {},
        decryptor: createSopsDecryptor({ SOPS_AGE_KEY_FILE: join(dir, "key.txt") }),
      });
      assert.equal(ours.generated.configs.length, 2);
      await assertSameAsTalhelper(ours.generated.configs, join(dir, "theirs"));

      await assertStrictlyValid(ours.generated.configs.map((c) => join(dir, "ours", c.name)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Talos's strict metal validation (warnings are errors too). The only findings allowed are the ones talhelper's example
 * asks for: its 802.3ad bond sets no miimon/updelay/downdelay, and from Talos 1.14 its machineFiles draw the
 * machine.files deprecation — the same findings Talos gives talhelper's own output (oracle-talhelper.test.ts).
 */
const EXAMPLE_INPUT_FINDINGS = new Set([
  "miimon was not specified for 802.3ad bond",
  "updelay was not specified for 802.3ad bond",
  "downdelay was not specified for 802.3ad bond",
  ".machine.files is deprecated; use dedicated configuration documents instead",
]);

const assertStrictlyValid = (files: readonly string[]) => assertTalosStrictlyValid(files, EXAMPLE_INPUT_FINDINGS);

test("talhelper example, Talos v1.14.1: its legacy kubelet/nodeLabels patches are refused with the fix named; migrated, its configs pass Talos's strict validation (metal)", async () => {
  // No talhelper comparison on 1.14: talhelper v3.1.16 pins machinery v1.14.0-alpha.2, which predates most 1.14
  // documents, so its 1.14 output is legacy v1alpha1 (docs/compat-talhelper.md).
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-genconfig-"));
  try {
    await cp(referencePath("talhelper-fixtures", "example"), dir, { recursive: true });
    await makeWritable(dir);
    const cfgPath = join(dir, "talconfig.yaml");
    const cfg = (await readFile(cfgPath, "utf8"))
      .replace(/^talosVersion: .*$/m, "talosVersion: v1.14.1")
      .replace(/^kubernetesVersion: .*$/m, "kubernetesVersion: v1.36.3");
    await writeFile(cfgPath, cfg);
    const decryptor = createSopsDecryptor({ SOPS_AGE_KEY_FILE: join(dir, "key.txt") });
    const gen = () => runGenconfig({ configPath: cfgPath, outDir: "ours", cwd: dir, env: {}, decryptor });

    // As written for talhelper: Talos 1.14 refuses machine.kubelet and machine.nodeLabels beside the generated
    // KubeletConfig/KubeNodeConfig, so genconfig fails, naming the documents that replace them.
    await assert.rejects(gen(), (e: TalformError) => {
      const findings = e.diagnostics
        .filter((d) => d.code === "v1alpha1-conflict")
        .map((d) => `${d.message} | ${d.hint ?? ""}`);
      assert.ok(
        findings.some((f) =>
          /kubelet config is already set in v1alpha1 config \(\.machine\.kubelet\).*KubeletConfig/.test(f),
        ),
        findings.join("\n"),
      );
      assert.ok(
        findings.some((f) => /\.machine\.nodeLabels is already set in v1alpha1 config.*KubeNodeConfig/.test(f)),
        findings.join("\n"),
      );
      return true;
    });

    // Migrated as the hints say: the same settings as patches of the 1.14 documents.
    // Both group patches are `|-` blocks whose lines sit at 6 spaces.
    const kubelet = (gates: string) =>
      [
        "apiVersion: v1alpha1",
        "kind: KubeletConfig",
        "extraArgs:",
        `  feature-gates: ${gates}`,
        '  rotate-server-certificates: "true"',
      ].join("\n      ");
    const migrated = cfg.replace(
      /machine:\n {8}kubelet:\n {10}extraArgs:\n {12}feature-gates: (\S+)\n {12}rotate-server-certificates: "true"/g,
      (_m, gates: string) => kubelet(gates),
    );
    assert.notEqual(migrated, cfg);
    await writeFile(cfgPath, migrated);
    await writeFile(
      join(dir, "extraNodeLabels-patch.yaml"),
      'apiVersion: v1alpha1\nkind: KubeNodeConfig\nlabels:\n  domainname: "${myDomainName}"\n',
    );
    const ours = await gen().catch((e: TalformError) =>
      assert.fail(e.diagnostics.map((d) => `${d.message} | ${d.hint ?? ""}`).join("\n")),
    );
    assert.equal(ours.generated.configs.length, 2);
    const files = ours.generated.configs.map((c) => join(dir, "ours", c.name));
    assert.match(await readFile(files[0]!, "utf8"), /kind: KubeletConfig\n[\s\S]*rotate-server-certificates: "true"/);
    await assertStrictlyValid(files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const TALHELPER_MATRIX: readonly [string, string, string][] = [
  ...MATRIX_VERSIONS_LEGACY.map(([t, k]) => [t, k, MATRIX_NODES_LEGACY_TALHELPER] as [string, string, string]),
  ...MATRIX_VERSIONS.filter(([v]) => !contractFor(v)!.multidocKubernetesConfigSupported()).map(
    ([t, k]) => [t, k, MATRIX_NODES_TALHELPER] as [string, string, string],
  ),
];

for (const [talos, k8s, nodes] of TALHELPER_MATRIX) {
  test(`synthetic node types (bond, VLAN, bridge, WireGuard, DHCP, selectors, firewall, volumes), Talos ${talos}: talform equals talhelper`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-genconfig-matrix-"));
    try {
      const header = `clusterName: matrix\ntalosVersion: ${talos}\nkubernetesVersion: ${k8s}\nendpoint: https://192.168.10.10:6443\nadditionalApiServerCertSans: [k8s.home.arpa]\nnodes:`;
      await writeFile(join(dir, "talconfig.yaml"), header + nodes);
      await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(await makeTestBundle()), { mode: 0o600 });
      const gen = await runOracle("talhelper", ["genconfig", "--offline-mode", "-o", "theirs"], { cwd: dir });
      assert.equal(gen.code, 0, gen.stderr + gen.stdout);
      const ours = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "ours", cwd: dir, env: {} });
      assert.equal(ours.generated.configs.length, 5);
      await assertSameAsTalhelper(ours.generated.configs, join(dir, "theirs"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("extraManifests (deprecated in talhelper, still honoured): talform appends the same templated documents as talhelper", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-genconfig-extra-"));
  try {
    const node = `\n  - hostname: cp-1\n    ipAddress: 192.168.10.11\n    controlPlane: true\n    installDisk: /dev/sda\n    extraManifests: [volume.yaml, "@./watchdog.yaml"]\n`;
    await writeFile(
      join(dir, "talconfig.yaml"),
      `clusterName: extra\ntalosVersion: v1.13.9\nkubernetesVersion: v1.36.3\nendpoint: https://192.168.10.10:6443\nnodes:${node}`,
    );
    await writeFile(
      join(dir, "volume.yaml"),
      "apiVersion: v1alpha1\nkind: UserVolumeConfig\nname: data-{{ .MachineConfig.MachineType }}\nprovisioning:\n  diskSelector:\n    match: '!system_disk'\n  minSize: 10GiB\n",
    );
    await writeFile(
      join(dir, "watchdog.yaml"),
      "apiVersion: v1alpha1\nkind: WatchdogTimerConfig\ndevice: /dev/watchdog0\ntimeout: 2m\n",
    );
    await writeFile(join(dir, "talsecret.yaml"), encodeTestBundle(await makeTestBundle()), { mode: 0o600 });
    const gen = await runOracle("talhelper", ["genconfig", "--offline-mode", "-o", "theirs"], { cwd: dir });
    assert.equal(gen.code, 0, gen.stderr + gen.stdout);
    const ours = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "ours", cwd: dir, env: {} });
    assert.match(ours.generated.configs[0]!.text, /kind: UserVolumeConfig\nname: data-controlplane\n/);
    await assertSameAsTalhelper(ours.generated.configs, join(dir, "theirs"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
