import { test } from "node:test";
import assert from "node:assert/strict";
import { contractFor, SUPPORTED_TALOS_MINORS } from "../contract/index.js";
import { generateMachineConfig } from "./generate.js";
import { parseConfigPatch } from "./patch/index.js";
import { renderMachineConfig } from "./render.js";
import { makeTestBundle } from "./test-support.js";
import { validateMachineConfig } from "./validate.js";
import { parseYamlDocuments } from "./yaml/parse.js";
import type { YamlMap } from "./yaml/node.js";

const bundle = await makeTestBundle();
const base = {
  bundle,
  clusterName: "demo",
  endpoint: "https://10.0.0.10:6443",
  kubernetesVersion: "1.33.1",
  installDisk: "/dev/sda",
};
const errorsOf = (docs: YamlMap[], minor: string, mode: "metal" | "container" = "metal") =>
  validateMachineConfig(docs, contractFor(minor)!, { mode })
    .filter((d) => d.severity === "error")
    .map((d) => d.message);

// Talos 1.7 added the container-mode host DNS checks but its generator does not set forwardKubeDNSToHost (1.8 does).
const CONTAINER_ERRORS: Readonly<Record<string, readonly string[]>> = {
  "v1.7": [
    "feature HostDNS should forward kube-dns to host in container mode (.machine.features.hostDNS.forwardKubeDNSToHost)",
  ],
};

test("generated configs with an install disk are valid in metal mode (and container mode, as Talos has it) for every contract", () => {
  for (const minor of SUPPORTED_TALOS_MINORS) {
    for (const machineType of ["controlplane", "worker"] as const) {
      assert.deepEqual(
        errorsOf(generateMachineConfig({ ...base, contract: contractFor(minor)!, machineType }), minor),
        [],
        `${minor} ${machineType}`,
      );
      const container = errorsOf(
        generateMachineConfig({ ...base, contract: contractFor(minor)!, machineType }),
        minor,
        "container",
      );
      assert.deepEqual(container, CONTAINER_ERRORS[minor] ?? [], `${minor} ${machineType} container`);
    }
  }
});

test("metal mode needs an install disk; extraKernelArgs clash with grubUseUKICmdline from 1.12", () => {
  const noDisk = generateMachineConfig({
    ...base,
    installDisk: undefined,
    contract: contractFor("v1.13")!,
    machineType: "worker",
  });
  assert.deepEqual(errorsOf(noDisk, "v1.13"), ["either install disk or diskSelector should be defined"]);
  const args = { options: { installExtraKernelArgs: ["console=ttyS0"] } };
  assert.deepEqual(
    errorsOf(
      generateMachineConfig({ ...base, ...args, contract: contractFor("v1.11")!, machineType: "worker" }),
      "v1.11",
    ),
    [],
  );
  assert.deepEqual(
    errorsOf(
      generateMachineConfig({ ...base, ...args, contract: contractFor("v1.12")!, machineType: "worker" }),
      "v1.12",
    ),
    ["install.extraKernelArgs and install.grubUseUKICmdline can't be used together"],
  );
});

test("hostname: legacy field clashes with the generated HostnameConfig; auto and hostname are exclusive", () => {
  const legacy = renderMachineConfig({
    ...base,
    contract: contractFor("v1.12")!,
    machineType: "worker",
    patches: [parseConfigPatch("machine:\n  network:\n    hostname: w1\n")],
  });
  assert.deepEqual(errorsOf(legacy.documents, "v1.12"), ["static hostname is already set in v1alpha1 config"]);
  const both = renderMachineConfig({
    ...base,
    contract: contractFor("v1.12")!,
    machineType: "worker",
    patches: [parseConfigPatch("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: w1\n")],
  });
  assert.deepEqual(errorsOf(both.documents, "v1.12"), ["'auto' and 'hostname' cannot be set at the same time"]);
  const ok = renderMachineConfig({
    ...base,
    contract: contractFor("v1.12")!,
    machineType: "worker",
    patches: [parseConfigPatch("apiVersion: v1alpha1\nkind: HostnameConfig\nhostname: w1\nauto: off\n")],
  });
  assert.deepEqual(errorsOf(ok.documents, "v1.12"), []);
});

test("CA keys by role, endpoint, DNS domain and CNI rules", () => {
  const docs = parseYamlDocuments(
    "version: v1alpha1\npersist: false\nmachine:\n  type: worker\n  ca: {crt: Y3J0, key: a2V5}\n  install: {disk: /dev/sda}\ncluster:\n  ca: {crt: Y3J0, key: a2V5}\n  controlPlane: {endpoint: 'https://:6443'}\n  network:\n    dnsDomain: bad_domain\n    cni: {name: flannel, urls: [https://x]}\n",
  ).documents as YamlMap[];
  assert.deepEqual(
    errorsOf(docs, "v1.13").sort(),
    [
      ".persist should be enabled",
      'CNI "flannel" does not take urls',
      '"bad_domain" is not a valid DNS name',
      'invalid controlplane endpoint: "https://:6443"',
      "issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)",
      "issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)",
    ].sort(),
  );
  const cp = parseYamlDocuments(
    "version: v1alpha1\nmachine:\n  type: controlplane\n  ca: {crt: Y3J0}\n  install: {disk: /dev/sda}\ncluster: {}\n",
  ).documents as YamlMap[];
  assert.deepEqual(
    errorsOf(cp, "v1.13").sort(),
    [
      "cluster controlplane endpoint is required",
      "issuing CA key is required for controlplane nodes (.machine.ca.key)",
    ].sort(),
  );
});

test("1.14: machine.install is optional in metal mode; a cluster.controlPlane or cluster.serviceAccount without the legacy endpoint is refused", () => {
  const noDisk = generateMachineConfig({
    ...base,
    installDisk: undefined,
    contract: contractFor("v1.14")!,
    machineType: "worker",
  });
  assert.deepEqual(errorsOf(noDisk, "v1.14"), []);
  const port = renderMachineConfig({
    ...base,
    contract: contractFor("v1.14")!,
    machineType: "controlplane",
    patches: [parseConfigPatch("cluster:\n  controlPlane:\n    localAPIServerPort: 7443\n")],
  });
  assert.deepEqual(errorsOf(port.documents, "v1.14").sort(), [
    "cluster controlplane endpoint is required (.cluster.controlPlane.endpoint); when the endpoint is migrated to the KubeClusterConfig document, the whole .cluster.controlPlane section should be removed (.cluster.controlPlane.localAPIServerPort is migrated to the KubeAPIServerConfig document)",
    "kube-apiserver API port is already set in v1alpha1 config (.cluster.controlPlane.localAPIServerPort)",
  ]);
  const sa = renderMachineConfig({
    ...base,
    contract: contractFor("v1.14")!,
    machineType: "worker",
    patches: [parseConfigPatch("cluster:\n  serviceAccount:\n    key: a2V5\n")],
  });
  assert.deepEqual(errorsOf(sa.documents, "v1.14"), [
    ".cluster.serviceAccount requires the cluster endpoint to be set in the same document (.cluster.controlPlane.endpoint); when the cluster endpoint is migrated to the KubeClusterConfig document, .cluster.serviceAccount should be migrated to the KubeServiceAccountConfig document as well",
  ]);
  // 1.13 keeps the endpoint in v1alpha1: the same patches are fine there.
  assert.deepEqual(
    errorsOf(
      renderMachineConfig({
        ...base,
        contract: contractFor("v1.13")!,
        machineType: "worker",
        patches: [parseConfigPatch("cluster:\n  serviceAccount:\n    key: a2V5\n")],
      }).documents,
      "v1.13",
    ),
    [],
  );
});

test("control-plane-only document kinds are refused on workers", () => {
  const patch = parseConfigPatch(
    "apiVersion: v1alpha1\nkind: KubeProxyConfig\nenabled: false\n---\napiVersion: v1alpha1\nkind: KubeCoreDNSConfig\nenabled: false\n",
  );
  const worker = renderMachineConfig({
    ...base,
    contract: contractFor("v1.14")!,
    machineType: "worker",
    patches: [patch],
  });
  assert.deepEqual(errorsOf(worker.documents, "v1.14"), [
    "the following document kinds are only allowed on control plane machines: [KubeCoreDNSConfig KubeProxyConfig]",
  ]);
  const cp = renderMachineConfig({
    ...base,
    contract: contractFor("v1.14")!,
    machineType: "controlplane",
    patches: [patch],
  });
  assert.deepEqual(errorsOf(cp.documents, "v1.14"), []);
});
