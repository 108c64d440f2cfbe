import { test } from "node:test";
import assert from "node:assert/strict";
import { contractFor } from "../contract/index.js";
import { decodeMachineConfig } from "./decode.js";
import { generateMachineConfig } from "./generate.js";
import { makeTestBundle } from "./test-support.js";
import { encodeDocuments } from "./yaml/encode.js";

const c = (v: string) => contractFor(v)!;
const messages = (text: string, version: string) =>
  decodeMachineConfig(text, c(version), "cp.yaml").errors.map((e) => e.message);

test("generated configs decode cleanly for their own version", async () => {
  const bundle = await makeTestBundle();
  for (const v of ["v1.10", "v1.11", "v1.12", "v1.13", "v1.14"]) {
    for (const machineType of ["controlplane", "worker"] as const) {
      const text = encodeDocuments(
        generateMachineConfig({
          bundle,
          contract: c(v),
          machineType,
          clusterName: "x",
          endpoint: "https://x:6443",
          kubernetesVersion: "1.33.0",
          installDisk: "/dev/sda",
        }),
      );
      assert.deepEqual(messages(text, v), [], `${v} ${machineType}`);
    }
  }
});

test("unknown and too-new fields, unknown kinds, duplicates and conflicts are errors with positions", () => {
  const text = [
    "version: v1alpha1",
    "machine:",
    "  type: worker",
    "  instal:",
    "    disk: /dev/sda",
    "  install:",
    "    grubUseUKICmdline: true",
    "---",
    "apiVersion: v1alpha1",
    "kind: HostnameConfig",
    "auto: stable",
    "---",
    "apiVersion: v1alpha1",
    "kind: LinkConfig",
    "name: eth0",
    "---",
    "apiVersion: v1alpha1",
    "kind: BondConfig",
    "name: eth0",
    "---",
    "apiVersion: v1alpha1",
    "kind: BondConfig",
    "name: eth0",
    "",
  ].join("\n");
  const { errors } = decodeMachineConfig(text, c("v1.11"), "cp.yaml");
  const byMessage = new Map(errors.map((e) => [e.message, e]));
  assert.equal(byMessage.get('unknown field "machine.instal"')?.source?.line, 4);
  assert.match(
    byMessage.get('field "machine.install.grubUseUKICmdline" is not supported by Talos v1.11')?.hint ?? "",
    /v1\.12/,
  );
  assert.ok(byMessage.has('unknown document kind "HostnameConfig" for Talos v1.11'));
  const e13 = messages(text, "v1.13");
  assert.ok(e13.includes('BondConfig "eth0" conflicts with LinkConfig "eth0"'), e13.join("\n"));
  assert.ok(e13.includes("duplicate document v1alpha1/BondConfig/eth0 is not allowed"), e13.join("\n"));
  assert.ok(!e13.some((m) => m.includes("grubUseUKICmdline")));
});

test("type mismatches and malformed documents", () => {
  const e = messages(
    "version: v1alpha1\nmachine:\n  certSANs: foo\n  features: {rbac: maybe, stableHostname: yes}\n  kubelet: {nodeIP: []}\n---\nfoo: bar\n---\napiVersion: v1\nkind: HostnameConfig\n",
    "v1.13",
  );
  assert.ok(e.includes("machine.certSANs: expected a list, got a string"), e.join("\n"));
  assert.ok(e.includes('machine.features.rbac: expected true or false, got "maybe"'), e.join("\n"));
  assert.ok(!e.some((m) => m.includes("stableHostname")), e.join("\n"));
  assert.ok(e.includes("machine.kubelet.nodeIP: expected a mapping, got a list"), e.join("\n"));
  assert.ok(e.includes("document has no kind"), e.join("\n"));
  assert.ok(e.includes("HostnameConfig: apiVersion must be v1alpha1"), e.join("\n"));
  assert.match(messages("a: [\n", "v1.13")[0] ?? "", /cp\.yaml: /);
});
