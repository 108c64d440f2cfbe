// Every config talform's genconfig renders passes Talos's own strict validation in metal mode (the talos-oracle on
// machinery v1.14.1, which validates every contract from 1.3 to 1.15): a synthetic matrix of the seed's node types ×
// Talos versions, the examples/ homelab, and the talhelper multidocs fixtures as nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { contractFor } from "../src/contract/index.js";
import { runGenconfig } from "../src/genconfig/index.js";
import {
  decodeMachineConfig,
  validateMachineConfig,
  parseYamlDocuments,
  type YamlMap,
} from "../src/machineconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { runValidate } from "../src/talconfig/index.js";
import { createSopsDecryptor } from "../src/sops/index.js";
import { runCliCaptured } from "../src/cli/test-support.js";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { referencePath, repoRoot } from "./support/oracles.js";
import { assertTalosStrictlyValid } from "./support/strict-validation.js";
import {
  MATRIX_NODES,
  MATRIX_NODES_LEGACY,
  MATRIX_VERSIONS,
  MATRIX_VERSIONS_LEGACY,
} from "./support/genconfig-matrix.js";

const bundleText = encodeTestBundle(await makeTestBundle());

/**
 * The only Talos warning a rendered config may draw: machinery v1.14 deprecates `machine.files`, and the matrix's
 * control plane asks for one through talhelper's `machineFiles` key (talhelper renders it the same way; Talos 1.14
 * still applies it). talform's `validate` gives the same advice (policy rule talos-machine-files-deprecated).
 */
const ALLOWED_WARNINGS = new Set([".machine.files is deprecated; use dedicated configuration documents instead"]);

/**
 * Talos's verdict on each file: strict decoding (unknown fields, kinds and duplicate documents are errors) and
 * `Validate(metal, strict)`, which turns every Talos warning into an error (`warning: …`); none but the allowed ones
 * may appear. talform's own strict decoder for the contract must agree that the files decode cleanly.
 */
async function validateAll(files: readonly string[], talosVersion: string): Promise<void> {
  const contract = contractFor(talosVersion)!;
  await assertTalosStrictlyValid(files, ALLOWED_WARNINGS);
  for (const f of files) {
    const text = await readFile(f, "utf8");
    assert.deepEqual(
      decodeMachineConfig(text, contract, f).errors.map((e) => e.message),
      [],
      f,
    );
    const docs = parseYamlDocuments(text).documents as YamlMap[];
    assert.deepEqual(
      validateMachineConfig(docs, contract, { mode: "metal" }).filter((d) => d.severity === "error"),
      [],
      f,
    );
  }
}

const MATRIX: readonly [string, string, string][] = [
  ...MATRIX_VERSIONS_LEGACY.map(([t, k]) => [t, k, MATRIX_NODES_LEGACY] as [string, string, string]),
  ...MATRIX_VERSIONS.map(([t, k]) => [t, k, MATRIX_NODES] as [string, string, string]),
];

for (const [talos, k8s, NODE_TYPES] of MATRIX) {
  test(`synthetic node types × Talos ${talos}: genconfig output passes Talos validation (metal)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-matrix-"));
    try {
      await writeFile(
        join(dir, "talconfig.yaml"),
        `clusterName: matrix\ntalosVersion: ${talos}\nkubernetesVersion: ${k8s}\nendpoint: https://192.168.10.10:6443\nadditionalApiServerCertSans: [k8s.home.arpa]\nnodes:${NODE_TYPES}`,
      );
      await writeFile(join(dir, "talsecret.yaml"), bundleText, { mode: 0o600 });
      const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} });
      assert.equal(r.generated.configs.length, 5);
      await validateAll(
        r.generated.configs.map((c) => join(dir, "out", c.name)),
        talos,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

// Settings talhelper drops on Talos ≥ 1.12 that talform converts to documents (src/genconfig/network.ts).
const CONVERTED_NETWORK_NODE = `
  - hostname: net-2
    ipAddress: 192.168.10.42
    controlPlane: true
    installDisk: /dev/sda
    networkInterfaces:
      - interface: dummy0
        dummy: true
        addresses: [169.254.10.1/32]
      - interface: eth0
        cidr: 192.168.10.42/24
        routes: [{network: 0.0.0.0/0, gateway: 192.168.10.1}]
        vip: {ip: 192.168.10.10, hcloud: {apiToken: hcloud-token}}
      - interface: eth1
        bridgePort: {master: br0}
      - interface: br0
        bridge: {interfaces: [eth2]}
        addresses: [10.30.0.42/24]`;

test("network settings talhelper drops (dummy, hcloud VIP, bridgePort, cidr) become documents Talos accepts, 1.12–1.15", async () => {
  for (const [talos, k8s] of MATRIX_VERSIONS.filter(([v]) => contractFor(v)!.multidocNetworkConfigSupported())) {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-network-"));
    try {
      await writeFile(
        join(dir, "talconfig.yaml"),
        `clusterName: net\ntalosVersion: ${talos}\nkubernetesVersion: ${k8s}\nendpoint: https://192.168.10.10:6443\nnodes:${CONVERTED_NETWORK_NODE}\n`,
      );
      await writeFile(join(dir, "talsecret.yaml"), bundleText, { mode: 0o600 });
      const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} });
      const file = join(dir, "out", r.generated.configs[0]!.name);
      assert.match(
        await readFile(file, "utf8"),
        /kind: DummyLinkConfig[\s\S]*kind: HCloudVIPConfig|kind: HCloudVIPConfig[\s\S]*kind: DummyLinkConfig/,
      );
      await validateAll([file], talos);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test("talhelper multidocs fixture inputs as nodes × Talos versions pass Talos validation (metal)", async () => {
  const inputs = ["node1", "node2", "node3"].map(
    (n) =>
      parse(readFileSync(referencePath("talhelper-fixtures", "multidocs", `${n}_input.yaml`), "utf8")) as Record<
        string,
        unknown
      >,
  );
  for (const [talos, k8s] of MATRIX_VERSIONS) {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-multidocs-"));
    try {
      const nodes = inputs.map((input, i) => ({
        hostname: `node${i + 1}`,
        ipAddress: `192.168.20.${i + 11}`,
        controlPlane: i === 0,
        installDisk: "/dev/sda",
        ...input,
      }));
      await writeFile(
        join(dir, "talconfig.yaml"),
        JSON.stringify({
          clusterName: "multidocs",
          talosVersion: talos,
          kubernetesVersion: k8s,
          endpoint: "https://192.168.20.10:6443",
          nodes,
        }),
      );
      await writeFile(join(dir, "talsecret.yaml"), bundleText, { mode: 0o600 });
      const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} });
      await validateAll(
        r.generated.configs.map((c) => join(dir, "out", c.name)),
        talos,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
});

test("examples/homelab: validates cleanly, gensecret + genconfig with a fresh age key render configs Talos accepts", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-conformance-example-"));
  try {
    await cp(join(repoRoot, "examples", "homelab", "iac", "talos"), dir, { recursive: true });
    // The example commits no key and no secrets: this test plays the user, with a fresh age identity kept in memory.
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const sopsConfig = await readFile(join(dir, ".sops.yaml"), "utf8");
    await writeFile(join(dir, ".sops.yaml"), sopsConfig.replace(/age: \S+/g, `age: ${recipient}`));
    const env = { SOPS_AGE_KEY: identity };
    const gensecret = await runCliCaptured(["gensecret", "--out", "talsecret.sops.yaml"], { cwd: dir, env });
    assert.equal(gensecret.code, 0, gensecret.stderr);
    const validation = await runValidate({ path: join(dir, "talconfig.yaml"), env: {} });
    assert.deepEqual(
      validation.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
      [],
    );
    const decryptor = createSopsDecryptor(env);
    const r = await runGenconfig({
      configPath: join(dir, "talconfig.yaml"),
      outDir: "clusterconfig",
      cwd: dir,
      env: {},
      decryptor,
    });
    assert.deepEqual(
      r.generated.configs.map((c) => c.name),
      [
        "homelab-cp-1.yaml",
        "homelab-cp-2.yaml",
        "homelab-cp-3.yaml",
        "homelab-gpu-1.yaml",
        "homelab-worker-1.yaml",
        "homelab-worker-2.yaml",
      ],
    );
    await validateAll(
      r.generated.configs.map((c) => join(dir, "clusterconfig", c.name)),
      "v1.13.9",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
