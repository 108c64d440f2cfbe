import { test } from "node:test";
import assert from "node:assert/strict";
import { contractFor, SUPPORTED_TALOS_MINORS } from "../contract/index.js";
import { generateMachineConfig, type MachineType } from "./generate.js";
import { makeTestBundle } from "./test-support.js";
import { encodeDocuments } from "./yaml/encode.js";
import { isYamlMap, type YamlMap, type YamlNode } from "./yaml/node.js";

const bundle = await makeTestBundle();

function gen(minor: string, machineType: MachineType, options = {}) {
  return generateMachineConfig({
    bundle,
    contract: contractFor(minor)!,
    machineType,
    clusterName: "demo",
    endpoint: "https://10.0.0.10:6443",
    kubernetesVersion: "1.33.1",
    installDisk: "/dev/sda",
    installImage: "ghcr.io/siderolabs/installer:v1.10.9",
    options,
  });
}

function at(node: YamlNode | undefined, ...path: string[]): YamlNode | undefined {
  let cur = node;
  for (const key of path) cur = isYamlMap(cur) ? cur.get(key) : undefined;
  return cur;
}
const kinds = (docs: YamlMap[]) => docs.map((d) => (d.get("kind") as string | undefined) ?? "v1alpha1");

test("document kinds per contract", () => {
  const table: [string, MachineType, string[]][] = [
    ["v1.10", "worker", ["v1alpha1"]],
    ["v1.11", "controlplane", ["v1alpha1"]],
    ["v1.12", "controlplane", ["v1alpha1", "HostnameConfig"]],
    ["v1.13", "worker", ["v1alpha1", "HostnameConfig"]],
  ];
  for (const [minor, type, want] of table) assert.deepEqual(kinds(gen(minor, type)), want, `${minor} ${type}`);
  const cp14 = kinds(gen("v1.14", "controlplane"));
  assert.deepEqual(cp14.slice(0, 9), [
    "v1alpha1",
    "DiscoveryServiceConfig",
    "DiscoveryIdentityConfig",
    "UnattendedInstallConfig",
    "ResolverConfig",
    "VolumeConfig",
    "FilesystemTrimConfig",
    "SecurityProfileConfig",
    "HostnameConfig",
  ]);
  assert.ok(cp14.includes("KubeEtcdEncryptionConfig") && cp14.includes("KubeFlannelCNIConfig"));
  const w14 = kinds(gen("v1.14", "worker"));
  assert.ok(!w14.includes("KubeEtcdEncryptionConfig") && w14.includes("KubePrismConfig"));
});

test("workers never receive CA keys or control-plane secrets", () => {
  for (const minor of SUPPORTED_TALOS_MINORS) {
    const text = encodeDocuments(gen(minor, "worker"));
    const [v1] = gen(minor, "worker");
    assert.equal(at(v1, "machine", "ca", "key"), "", minor);
    assert.equal(at(v1, "cluster", "etcd"), undefined, minor);
    assert.equal(at(v1, "cluster", "secretboxEncryptionSecret"), undefined, minor);
    assert.ok(!text.includes(Buffer.from(bundle.certs.k8s.key).toString("base64")), minor);
    assert.ok(!text.includes("PRIVATE KEY"), minor);
  }
});

test("install disk and image: machine.install up to 1.13, UnattendedInstallConfig in 1.14", () => {
  const [v13] = gen("v1.13", "controlplane");
  assert.equal(at(v13, "machine", "install", "disk"), "/dev/sda");
  assert.equal(at(v13, "machine", "install", "image"), "ghcr.io/siderolabs/installer:v1.10.9");
  assert.deepEqual(
    [...(at(v13, "machine", "install") as YamlMap).keys()],
    ["disk", "image", "wipe", "grubUseUKICmdline"],
  );
  const docs14 = gen("v1.14", "worker");
  assert.equal(at(docs14[0], "machine", "install"), undefined);
  const unattended = docs14.find((d) => d.get("kind") === "UnattendedInstallConfig")!;
  assert.equal(at(unattended, "provisioning", "diskSelector", "match"), 'disk.dev_path == "/dev/sda"');
  assert.equal(at(unattended, "installer", "image"), "ghcr.io/siderolabs/installer:v1.10.9");
});

test("exact text of a 1.12 worker (own fixture)", () => {
  const text = encodeDocuments(
    gen("v1.12", "worker", {
      additionalSubjectAltNames: ["10.0.0.10"],
      registryMirrors: { "docker.io": ["https://mirror.local"] },
    }),
  );
  const crt = Buffer.from(bundle.certs.os.crt).toString("base64");
  const k8sCrt = Buffer.from(bundle.certs.k8s.crt).toString("base64");
  const want = `version: v1alpha1
debug: false
persist: true
machine:
    type: worker
    token: uvwxyz.0123456789uvwxyz
    ca:
        crt: ${crt}
        key: ""
    certSANs:
        - 10.0.0.10
    kubelet:
        image: ghcr.io/siderolabs/kubelet:v1.33.1
        defaultRuntimeSeccompProfileEnabled: true
        disableManifestsDirectory: true
    network: {}
    install:
        disk: /dev/sda
        image: ghcr.io/siderolabs/installer:v1.10.9
        wipe: false
        grubUseUKICmdline: true
    features:
        diskQuotaSupport: true
        kubePrism:
            enabled: true
            port: 7445
        hostDNS:
            enabled: true
            forwardKubeDNSToHost: true
cluster:
    id: ${bundle.cluster.id}
    secret: ${bundle.cluster.secret}
    controlPlane:
        endpoint: https://10.0.0.10:6443
    clusterName: demo
    network:
        dnsDomain: cluster.local
        podSubnets:
            - 10.244.0.0/16
        serviceSubnets:
            - 10.96.0.0/12
    token: abcdef.0123456789abcdef
    ca:
        crt: ${k8sCrt}
        key: ""
    discovery:
        enabled: true
        registries:
            kubernetes:
                disabled: true
            service: {}
---
apiVersion: v1alpha1
kind: RegistryMirrorConfig
name: docker.io
endpoints:
    - url: https://mirror.local
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
`;
  assert.equal(text, want);
});

test("1.10/1.11 control planes: endpoint host first in apiServer certSANs, legacy feature flags", () => {
  const [v11] = gen("v1.11", "controlplane", { additionalSubjectAltNames: ["cp.example"] });
  assert.deepEqual(at(v11, "cluster", "apiServer", "certSANs"), ["10.0.0.10", "cp.example"]);
  assert.equal(at(v11, "cluster", "apiServer", "disablePodSecurityPolicy"), true);
  assert.equal(at(v11, "machine", "features", "stableHostname"), true);
  const [v12] = gen("v1.12", "controlplane", { additionalSubjectAltNames: ["cp.example"] });
  assert.deepEqual(at(v12, "cluster", "apiServer", "certSANs"), ["cp.example"]);
  assert.equal(at(v12, "machine", "features", "rbac"), undefined);
});

test("non-https endpoints are rejected like talosctl does", () => {
  assert.throws(
    () =>
      generateMachineConfig({
        bundle,
        contract: contractFor("v1.13")!,
        machineType: "worker",
        clusterName: "x",
        endpoint: "http://x:6443",
        kubernetesVersion: "1.33.0",
      }),
    /must use https/,
  );
});

test("generated documents already have Talos's shape (field order, omitempty) for every contract and option", async () => {
  const { canonicalize } = await import("./schema/canonical.js");
  const { documentShape } = await import("./schema/shape.js");
  const optionSets = [
    {},
    {
      additionalSubjectAltNames: ["a"],
      allowSchedulingOnControlPlanes: true,
      dnsDomain: "x.local",
      installExtraKernelArgs: ["k=v"],
      localAPIServerPort: 7443,
    },
    {
      sysctls: { "net.ipv4.ip_forward": "1" },
      customCNIUrl: "https://cni/x.yaml",
      registryMirrors: { "docker.io": ["https://m1", "https://m2"], "ghcr.io": ["https://m3"] },
    },
    { discoveryEnabled: false, kubePrismPort: 0 },
  ];
  for (const minor of SUPPORTED_TALOS_MINORS) {
    for (const machineType of ["controlplane", "worker"] as const) {
      for (const options of optionSets) {
        const docs = gen(minor, machineType, options);
        const text = encodeDocuments(docs);
        const again = encodeDocuments(
          docs.map(
            (d) =>
              canonicalize(
                d,
                documentShape(kinds([d])[0]!, {
                  clusterControlPlaneOmitEmpty: contractFor(minor)!.clusterControlPlaneOmitEmpty(),
                })!,
              ) as YamlMap,
          ),
        );
        assert.equal(again, text, `${minor} ${machineType} ${JSON.stringify(options)}`);
      }
    }
  }
});

test("renderMachineConfig: per-node settings as a strategic patch (hostname on 1.13 via the HostnameConfig document)", async () => {
  const { renderMachineConfig } = await import("./render.js");
  const { parseConfigPatch } = await import("./patch/index.js");
  const { decodeMachineConfig } = await import("./decode.js");
  const patch = parseConfigPatch(
    "apiVersion: v1alpha1\nkind: HostnameConfig\nauto: off\nhostname: cp-1\n---\nmachine:\n  nodeLabels:\n    topology.kubernetes.io/zone: a\n",
  );
  const { text } = renderMachineConfig({
    bundle,
    contract: contractFor("v1.13")!,
    machineType: "controlplane",
    clusterName: "demo",
    endpoint: "https://10.0.0.10:6443",
    kubernetesVersion: "1.33.1",
    installDisk: "/dev/sda",
    patches: [patch],
  });
  assert.match(text, /kind: HostnameConfig\nauto: 'off'\nhostname: cp-1\n$/);
  assert.match(
    text,
    /nodeLabels:\n {8}node\.kubernetes\.io\/exclude-from-external-load-balancers: ""\n {8}topology\.kubernetes\.io\/zone: a\n/,
  );
  assert.deepEqual(decodeMachineConfig(text, contractFor("v1.13")!).errors, []);
});
