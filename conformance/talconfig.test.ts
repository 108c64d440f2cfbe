/**
 * talconfig conformance against talhelper's own test data (../shared/reference/talhelper-fixtures): the config
 * loader vector, the group-merge vector, the validate vectors and the example repository.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { runCliCaptured } from "../src/cli/test-support.js";
import {
  loadTalconfig,
  mergeGroupIntoNode,
  nodeFileAccess,
  runValidate,
  substituteEnv,
  validateTalconfig,
  type NodeConfigs,
  type TalconfigNode,
} from "../src/talconfig/index.js";

import { referencePath } from "./support/oracles.js";

const FIX = referencePath("talhelper-fixtures");

test("config-loader: env files, substitution and group merge give talhelper's nodes", async () => {
  const dir = join(FIX, "config-loader");
  const l = await loadTalconfig({
    path: join(dir, "talconfig.yaml"),
    envFiles: [join(dir, "env1.yaml"), join(dir, "env2.yml")],
    env: {},
  });
  assert.deepEqual(
    l.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  const pick = (n: (typeof l.nodes)[number]) => ({
    hostname: n.hostname,
    ipAddress: n.ipAddress,
    controlPlane: n.controlPlane,
    installDisk: n.installDisk,
    ...(n.certSANs ? { certSANs: n.certSANs } : {}),
    schematic: n.schematic,
    ...(n.disableSearchDomain !== undefined ? { disableSearchDomain: n.disableSearchDomain } : {}),
  });
  assert.deepEqual(l.nodes.map(pick), [
    {
      hostname: "hostname1",
      ipAddress: "192.168.200.10",
      controlPlane: true,
      installDisk: "/dev/sda",
      certSANs: ["example.net", "example.com"],
      schematic: { customization: { systemExtensions: { officialExtensions: ["siderolabs/tailscale"] } } },
      disableSearchDomain: true,
    },
    {
      hostname: "hostname2",
      ipAddress: "192.168.200.11",
      controlPlane: false,
      installDisk: "/dev/sda",
      schematic: { customization: { extraKernelArgs: ["net.ifnames=0"] } },
    },
  ]);
  assert.deepEqual(l.config?.additionalMachineCertSans, ["example.org"]);
});

test("nodeconfigs merge vector", () => {
  const v = YAML.parse(readFileSync(join(FIX, "nodeconfigs-merge-vector.yaml"), "utf8")) as {
    group: NodeConfigs;
    node: TalconfigNode;
    expected: Record<string, unknown>;
  };
  const merged = mergeGroupIntoNode(v.node, v.group);
  const { hostname, ipAddress, installDisk, controlPlane } = v.node;
  assert.deepEqual({ hostname, ipAddress, installDisk, controlPlane, ...merged.values }, v.expected);
});

interface ValidateVectors {
  talconfig: string;
  expected_error_fields: Record<string, boolean>;
  other_unit_vectors: { isSemVer: Record<string, boolean> };
}

test("validate vectors: the same fields are rejected", async () => {
  const v = YAML.parse(readFileSync(join(FIX, "validate-talconfig-vectors.yaml"), "utf8")) as ValidateVectors;
  const path = "/nonexistent-talform-vectors/talconfig.yaml";
  const loaded = await loadTalconfig({
    path,
    substitute: false,
    envFiles: [],
    readFile: async (p) =>
      p === path ? v.talconfig : Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT" })),
  });
  // talhelper rejects an unknown extension; talform warns (extension-name), so count that rule as the rejection.
  const ds = [
    ...loaded.diagnostics,
    ...validateTalconfig(loaded, {
      talconfigDir: "/nonexistent-talform-vectors",
      files: { exists: () => false, read: () => undefined },
      disabledRules: new Set(),
    }),
  ];
  const flagged = (field: string) =>
    ds.some(
      (d) =>
        (d.severity === "error" || d.code === "extension-name") &&
        d.path !== undefined &&
        (d.path === field || d.path.startsWith(`${field}.`) || d.path.startsWith(`${field}[`)),
    );
  const mismatches = Object.entries(v.expected_error_fields).filter(([field, want]) => flagged(field) !== want);
  assert.deepEqual(mismatches, []);
});

test("example: `talform validate` is clean; its SOPS-encrypted talenv.yaml decrypts with its key.txt", async () => {
  const dir = join(FIX, "example");
  const r = await runCliCaptured(["validate", "--json"], {
    cwd: dir,
    env: { SOPS_AGE_KEY_FILE: join(dir, "key.txt") },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as {
    valid: boolean;
    errors: number;
    diagnostics: { severity: string; code: string }[];
  };
  assert.equal(report.valid, true);
  assert.deepEqual(
    report.diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  // The substituted domain comes from the decrypted talenv.yaml: without the key it is an error.
  const noKey = await runCliCaptured(["validate"], { cwd: dir, env: {} });
  assert.equal(noKey.code, 1);
  assert.match(noKey.stdout, /talenv\.yaml:1:1: error\[TF1011\]/);
});

test("example: loads and validates without errors from the library (variables from the env)", async () => {
  const dir = join(FIX, "example");
  const { loaded, diagnostics } = await runValidate({
    path: join(dir, "talconfig.yaml"),
    envFiles: [],
    env: { myDomainName: "home.arpa" },
  });
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === "error"),
    [],
  );
  assert.deepEqual(
    loaded.nodes.map((n) => [n.hostname, n.role, n.talosVersion]),
    [
      ["kmaster1", "controlplane", "v1.12.0"],
      ["kworker1", "worker", "v1.12.0"],
    ],
  );
  assert.deepEqual(
    loaded.nodes[1]!.patches.map((p) => [p.scope, p.file ? p.file.slice(dir.length + 1) : "inline"]),
    [
      ["group", "inline"],
      ["node", "inline"],
      ["node", "extraNodeLabels-patch.yaml"],
      ["global", "inline"],
      ["global", "inline"],
      ["global", "uservolumeconfig3.yaml"],
    ],
  );
  // Without SOPS support, the default env files report the encrypted talenv.yaml clearly.
  const encrypted = await loadTalconfig({ path: join(dir, "talconfig.yaml"), env: {} });
  assert.ok(encrypted.diagnostics.some((d) => d.code === "TF1011" && /SOPS/.test(d.message + (d.hint ?? ""))));
  assert.ok(nodeFileAccess().exists(join(dir, "talsecret.yaml")));
});

test("substitute vector: SubstituteEnvFromByte values", () => {
  const env = new Map(Object.entries({ env1: "value1", env2: "true", env3: "123", default: "default value" }));
  const table: [string, string][] = [
    ["${env1}", "value1"],
    ["${env2:+$default}", "default value"],
    ["${env3-$default}", "123"],
    ["${env4:=$default}", "default value"],
  ];
  for (const [input, want] of table) assert.equal(substituteEnv(input, env).value, want, input);
});
