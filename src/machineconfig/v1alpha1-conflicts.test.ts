import { test } from "node:test";
import assert from "node:assert/strict";
import { contractFor, SUPPORTED_TALOS_MINORS } from "../contract/index.js";
import { generateMachineConfig } from "./generate.js";
import { applyStrategicPatch } from "./patch/index.js";
import { applyConflictCase, CONFLICT_CASES, ruleOf, setAt } from "./test-support/v1alpha1-conflict-cases.js";
import { makeTestBundle } from "./test-support.js";
import {
  findV1Alpha1Conflicts,
  legacyValueIsSet,
  V1ALPHA1_CONFLICT_CODE,
  V1ALPHA1_CONFLICT_RULES,
  v1alpha1ConflictDiagnostics,
  type LegacyValueTest,
} from "./v1alpha1-conflicts.js";
import { validateMachineConfig } from "./validate.js";
import { parseYamlDocuments } from "./yaml/parse.js";
import type { YamlMap, YamlNode } from "./yaml/node.js";

const bundle = await makeTestBundle();
const c14 = contractFor("v1.14")!;
const generate = (minor: string, machineType: "controlplane" | "worker", installDisk?: string) =>
  generateMachineConfig({
    bundle,
    contract: contractFor(minor)!,
    machineType,
    clusterName: "demo",
    endpoint: "https://10.0.0.10:6443",
    kubernetesVersion: "1.35.0",
    ...(installDisk ? { installDisk } : {}),
  });
const docsOf = (text: string) => parseYamlDocuments(text).documents as YamlMap[];
const messages = (docs: readonly YamlMap[], minor = "v1.14") =>
  findV1Alpha1Conflicts(docs, contractFor(minor)!).map((c) => c.rule.message);
const v1Of = (docs: readonly YamlMap[]) => docs.find((d) => !d.has("kind"))!;

/**
 * Talos's own 1.14 output (stability golden `overrides-worker`, PEM material cut): its documents beside a v1alpha1
 * document that keeps only what Talos still writes there.
 */
const TALOS_114_OVERRIDES_WORKER = `version: v1alpha1
debug: false
persist: true
machine:
    type: worker
    token: d8cwfa.eyvpi0xwxyarbfid
    ca:
        crt: Y3J0
        key: ""
    certSANs:
        - foo
        - bar
    features:
        diskQuotaSupport: true
cluster:
    token: inn7ol.u4ehnti8qyls9ymo
---
apiVersion: v1alpha1
kind: DiscoveryServiceConfig
name: default
endpoint: https://discovery.talos.dev/
---
apiVersion: v1alpha1
kind: DiscoveryIdentityConfig
clusterID: 0raF93qnkMvF-FZNuvyGozXNdLiT2FOWSlyBaW4PR-w=
clusterSecret: pofHbABZq7VXuObsdLdy/bHmz6hlMHZ3p8+6WKrv1ic=
---
apiVersion: v1alpha1
kind: UnattendedInstallConfig
installer: {}
provisioning:
    diskSelector:
        match: disk.dev_path == "/dev/vda"
    wipe: false
---
apiVersion: v1alpha1
kind: ResolverConfig
hostDNS:
    enabled: true
    forwardKubeDNSToHost: true
---
apiVersion: v1alpha1
kind: VolumeConfig
name: EPHEMERAL
mount:
    secure: true
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
---
apiVersion: v1alpha1
kind: KubeClusterConfig
clusterName: base
endpoint: https://base:6443
---
apiVersion: v1alpha1
kind: KubeNodeConfig
nodeIP: {}
---
apiVersion: v1alpha1
kind: KubeletConfig
image: ghcr.io/siderolabs/kubelet:v1.28.0
config: {}
clusterDNS:
    - 3.3.3.3
defaultRuntimeSeccompProfileEnabled: true
---
apiVersion: v1alpha1
kind: KubeNetworkConfig
dnsDomain: example.com
podSubnets:
    - 10.244.0.0/16
serviceSubnets:
    - 10.96.0.0/12
---
apiVersion: v1alpha1
kind: KubePrismConfig
port: 7445
`;

test("every rule has a test case, and every case a rule", () => {
  assert.deepEqual(
    CONFLICT_CASES.map((c) => `${c.kind} ${c.legacyPath}`).sort(),
    V1ALPHA1_CONFLICT_RULES.map((r) => `${r.kind} ${r.legacyPath}`).sort(),
  );
  for (const c of CONFLICT_CASES) ruleOf(c);
});

test("no rule fires on Talos's own 1.14 output nor on talform's generated configs (every contract, role, install disk)", () => {
  assert.deepEqual(messages(docsOf(TALOS_114_OVERRIDES_WORKER)), []);
  for (const minor of SUPPORTED_TALOS_MINORS) {
    for (const role of ["controlplane", "worker"] as const) {
      for (const disk of [undefined, "/dev/sda"])
        assert.deepEqual(messages(generate(minor, role, disk), minor), [], `${minor} ${role} ${disk ?? "no disk"}`);
    }
  }
});

for (const c of CONFLICT_CASES) {
  test(`${c.kind} × .${c.legacyPath}: fires on a set value, not on an unset one`, () => {
    const rule = ruleOf(c);
    const base = generate("v1.14", "controlplane");
    const conflicting = applyConflictCase(base, c, "conflicting", c14);
    const inert = applyConflictCase(base, c, "inert", c14);
    assert.ok(
      findV1Alpha1Conflicts(conflicting, c14).some((f) => f.rule === rule),
      "conflicting value",
    );
    assert.ok(!findV1Alpha1Conflicts(inert, c14).some((f) => f.rule === rule), "inert value");
    // Through validateMachineConfig: Talos's message, the legacy path and a hint naming the replacing document.
    const d = validateMachineConfig(conflicting, c14, { mode: "metal", file: "n.yaml" }).find(
      (x) => x.code === V1ALPHA1_CONFLICT_CODE && x.message === `n.yaml: ${rule.message}`,
    );
    assert.equal(d?.path, c.legacyPath);
    assert.equal(d?.severity, "error");
    assert.ok(d?.hint?.includes(c.kind === "KubeAuthorizerConfig" ? "KubeAdmissionControlConfig" : c.kind), d?.hint);
  });
}

test("a document reports only its first failing check, in Talos's order", () => {
  const docs = generate("v1.14", "worker");
  setAt(v1Of(docs), "machine.nodeTaints", docsOf("{a: b}")[0]!);
  setAt(v1Of(docs), "machine.kubelet", docsOf("{nodeIP: {validSubnets: [10.0.0.0/8]}}")[0]!);
  setAt(v1Of(docs), "machine.network", docsOf("{nameservers: [1.1.1.1], searchDomains: [lan]}")[0]!);
  // KubeNodeConfig: nodeIP before nodeTaints; ResolverConfig: searchDomains before nameservers; KubeletConfig too.
  assert.deepEqual(messages(docs), [
    ".machine.network.searchDomains is already set in v1alpha1 config",
    ".machine.kubelet.nodeIP is already set in v1alpha1 config",
    "kubelet config is already set in v1alpha1 config (.machine.kubelet)",
  ]);
});

test("each document is checked on its own: one legacy field can conflict with several documents", () => {
  const docs = applyStrategicPatch(
    generate("v1.14", "controlplane"),
    docsOf("apiVersion: v1alpha1\nkind: KubeCredentialProviderConfig\nconfiguration: {}\n"),
    { machinery: c14 },
  );
  setAt(v1Of(docs), "cluster.network", docsOf("{cni: {name: none}}")[0]!);
  setAt(v1Of(docs), "machine.kubelet", new Map());
  assert.deepEqual(messages(docs).sort(), [
    "cannot use KubeCredentialProviderConfig with legacy kubelet configuration (.machine.kubelet)",
    "cluster network config in v1alpha1 config (.machine.cluster.network) can't be used with KubeFlannelCNIConfig document, please remove it to avoid conflicts",
    "cluster network config is already set in the v1alpha1 config (.machine.cluster.network). Please remove it and use only the new KubeNetworkConfig document to avoid conflicts",
    "kubelet config is already set in v1alpha1 config (.machine.kubelet)",
  ]);
});

test("the check is by presence of the document: no document, no conflict; no v1alpha1 document, nothing to check", () => {
  const docs = generate("v1.14", "worker");
  setAt(v1Of(docs), "cluster.apiServer", docsOf("{extraArgs: {a: b}}")[0]!); // KubeAPIServerConfig is control-plane only
  setAt(v1Of(docs), "machine.time", docsOf("{servers: [pool.ntp.org]}")[0]!); // no TimeSyncConfig generated
  assert.deepEqual(messages(docs), []);
  assert.deepEqual(
    v1alpha1ConflictDiagnostics(docsOf("apiVersion: v1alpha1\nkind: KubeletConfig\nimage: k\n"), c14),
    [],
  );
});

test("document-side conditions: VolumeConfig only with encryption of STATE/EPHEMERAL, ResolverConfig hostDNS only when set", () => {
  const docs = generate("v1.14", "worker"); // VolumeConfig EPHEMERAL {mount.secure}, ResolverConfig {hostDNS}
  setAt(
    v1Of(docs),
    "machine.systemDiskEncryption",
    docsOf("{ephemeral: {provider: luks2, keys: [{slot: 0, nodeID: {}}]}}")[0]!,
  );
  assert.deepEqual(messages(docs), []);
  const none = applyStrategicPatch(
    docs,
    docsOf("apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nencryption: {provider: none}\n"),
    { machinery: c14 },
  );
  assert.deepEqual(messages(none), []);
  const luks = applyStrategicPatch(
    docs,
    docsOf(
      "apiVersion: v1alpha1\nkind: VolumeConfig\nname: EPHEMERAL\nencryption: {provider: luks2, keys: [{slot: 0, tpm: {}}]}\n",
    ),
    { machinery: c14 },
  );
  assert.deepEqual(messages(luks), [
    'system disk encryption for "EPHEMERAL" is configured in both v1alpha1.Config and VolumeConfig',
  ]);

  const resolver = applyStrategicPatch(
    generate("v1.14", "worker"),
    docsOf("apiVersion: v1alpha1\nkind: ResolverConfig\nhostDNS: {$patch: delete}\n"),
    { machinery: c14 },
  );
  setAt(v1Of(resolver), "machine.features.hostDNS", docsOf("{enabled: true}")[0]!);
  assert.deepEqual(messages(resolver), []);
});

test("rules newer than their document kind follow the contract (1.12/1.13 machinery lacks them)", () => {
  // ResolverConfig exists from 1.12, its hostDNS check from 1.14.
  const resolverDocs = (minor: string) => {
    const docs = applyStrategicPatch(
      generate(minor, "worker"),
      docsOf("apiVersion: v1alpha1\nkind: ResolverConfig\nhostDNS: {enabled: true}\n"),
      { machinery: contractFor(minor)! },
    );
    setAt(v1Of(docs), "machine.features.hostDNS", docsOf("{enabled: true}")[0]!);
    return docs;
  };
  assert.deepEqual(messages(resolverDocs("v1.13"), "v1.13"), []);
  assert.deepEqual(messages(resolverDocs("v1.14"), "v1.14"), [
    ".machine.features.hostDNS is already set in v1alpha1 config",
  ]);
  // VolumeConfig exists from 1.8 (encryption from 1.11), the systemDiskEncryption check from 1.12.
  const volumeDocs = (minor: string) => {
    const docs = [
      ...generate(minor, "worker"),
      ...docsOf(
        "apiVersion: v1alpha1\nkind: VolumeConfig\nname: STATE\nencryption: {provider: luks2, keys: [{slot: 0, tpm: {}}]}\n",
      ),
    ];
    setAt(
      v1Of(docs),
      "machine.systemDiskEncryption",
      docsOf("{state: {provider: luks2, keys: [{slot: 0, nodeID: {}}]}}")[0]!,
    );
    return docs;
  };
  assert.deepEqual(messages(volumeDocs("v1.11"), "v1.11"), []);
  assert.deepEqual(messages(volumeDocs("v1.12"), "v1.12"), [
    'system disk encryption for "STATE" is configured in both v1alpha1.Config and VolumeConfig',
  ]);
});

test("legacy value tests mirror Go's decoded values", () => {
  const table: [LegacyValueTest, string, boolean][] = [
    ["present", "{}", true],
    ["present", "[]", true],
    ["present", "false", true],
    ["present", "null", false],
    ["nonEmptyString", "''", false],
    ["nonEmptyString", "x", true],
    ["true", "true", true],
    ["true", "yes", true],
    ["true", "false", false],
    ["true", "off", false],
    ["nonZero", "0", false],
    ["nonZero", "0h0m0.000s", false],
    ["nonZero", "1m", true],
    ["nonZero", "0.5s", true],
    ["nonZero", "6443", true],
    ["nonEmptyList", "[]", false],
    ["nonEmptyList", "[a]", true],
    ["nonEmptyMap", "{}", false],
    ["nonEmptyMap", "{a: 1}", true],
    ["ipAddress", "[dns.example]", false],
    ["ipAddress", "['fe80::1%eth0']", true],
    ["ipAddress", "[dns.example, 9.9.9.9]", true],
    ["ipAddress", "[010.0.0.1]", false],
  ];
  for (const [kind, yaml, want] of table) {
    const value: YamlNode = (docsOf(`v: ${yaml}\n`)[0] as YamlMap).get("v")!;
    assert.equal(legacyValueIsSet(value, kind), want, `${kind} ${yaml}`);
  }
  assert.equal(legacyValueIsSet(undefined, "present"), false);
});
