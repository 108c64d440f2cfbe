// Every config talform's genconfig renders passes Talos's own strict validation in metal mode (the talos-oracle on
// machinery v1.13.9, for Talos 1.10–1.13; Talos 1.14 configs are checked with talform's strict v1.14 decoder and
// validation until the oracle moves to v1.14 machinery — see docs/conformance.md): a synthetic matrix of the seed's
// node types × Talos versions, the examples/ homelab, and the talhelper multidocs fixtures as nodes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { contractFor } from "../src/contract/index.js";
import { runGenconfig } from "../src/genconfig/index.js";
import { decodeMachineConfig, validateMachineConfig, parseYamlDocuments, type YamlMap } from "../src/machineconfig/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { runValidate } from "../src/talconfig/index.js";
import { createSopsDecryptor } from "../src/sops/index.js";
import { runCliCaptured } from "../src/cli/test-support.js";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { referencePath, repoRoot, runOracleJson } from "./support/oracles.js";
import { MATRIX_NODES as NODE_TYPES, MATRIX_VERSIONS as VERSIONS } from "./support/genconfig-matrix.js";

interface ValidateReport {
  files: { file: string; ok: boolean; errors: string[]; warnings: string[] }[];
}

const bundleText = encodeTestBundle(await makeTestBundle());



async function validateAll(files: readonly string[], talosVersion: string): Promise<void> {
  const contract = contractFor(talosVersion)!;
  if (contract.multidocKubernetesConfigSupported()) {
    // v1.14: the oracle (machinery v1.13.9) does not register the v1.14 kinds; talform's own strict decoder does.
    for (const f of files) {
      const text = await readFile(f, "utf8");
      assert.deepEqual(decodeMachineConfig(text, contract, f).errors.map((e) => e.message), [], f);
      const docs = parseYamlDocuments(text).documents as YamlMap[];
      assert.deepEqual(validateMachineConfig(docs, contract, { mode: "metal" }).filter((d) => d.severity === "error"), [], f);
    }
    return;
  }
  const { report } = await runOracleJson<ValidateReport>(["validate", "--mode", "metal", ...files]);
  assert.equal(report.files.length, files.length);
  for (const f of report.files) assert.deepEqual(f.errors, [], f.file);
}

for (const [talos, k8s] of VERSIONS) {
  test(`synthetic node types × Talos ${talos}: genconfig output passes Talos validation (metal)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-matrix-"));
    try {
      await writeFile(join(dir, "talconfig.yaml"), `clusterName: matrix\ntalosVersion: ${talos}\nkubernetesVersion: ${k8s}\nendpoint: https://192.168.10.10:6443\nadditionalApiServerCertSans: [k8s.home.arpa]\nnodes:${NODE_TYPES}`);
      await writeFile(join(dir, "talsecret.yaml"), bundleText, { mode: 0o600 });
      const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} });
      assert.equal(r.generated.configs.length, 5);
      await validateAll(r.generated.configs.map((c) => join(dir, "out", c.name)), talos);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("talhelper multidocs fixture inputs as nodes × Talos versions pass Talos validation (metal)", async () => {
  const inputs = ["node1", "node2", "node3"].map((n) => parse(readFileSync(referencePath("talhelper-fixtures", "multidocs", `${n}_input.yaml`), "utf8")) as Record<string, unknown>);
  for (const [talos, k8s] of VERSIONS) {
    const dir = await mkdtemp(join(tmpdir(), "talform-conformance-multidocs-"));
    try {
      const nodes = inputs.map((input, i) => ({ hostname: `node${i + 1}`, ipAddress: `192.168.20.${i + 11}`, controlPlane: i === 0, installDisk: "/dev/sda", ...input }));
      await writeFile(join(dir, "talconfig.yaml"), JSON.stringify({ clusterName: "multidocs", talosVersion: talos, kubernetesVersion: k8s, endpoint: "https://192.168.20.10:6443", nodes }));
      await writeFile(join(dir, "talsecret.yaml"), bundleText, { mode: 0o600 });
      const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "out", cwd: dir, env: {} });
      await validateAll(r.generated.configs.map((c) => join(dir, "out", c.name)), talos);
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
    const gensecret = await runCliCaptured(["gensecret", "-o", "talsecret.sops.yaml"], { cwd: dir, env });
    assert.equal(gensecret.code, 0, gensecret.stderr);
    const validation = await runValidate({ path: join(dir, "talconfig.yaml"), env: {} });
    assert.deepEqual(validation.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), []);
    const decryptor = createSopsDecryptor(env);
    const r = await runGenconfig({ configPath: join(dir, "talconfig.yaml"), outDir: "clusterconfig", cwd: dir, env: {}, decryptor });
    assert.deepEqual(r.generated.configs.map((c) => c.name), ["homelab-cp-1.yaml", "homelab-cp-2.yaml", "homelab-cp-3.yaml", "homelab-gpu-1.yaml", "homelab-worker-1.yaml", "homelab-worker-2.yaml"]);
    await validateAll(r.generated.configs.map((c) => join(dir, "clusterconfig", c.name)), "v1.13.9");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
