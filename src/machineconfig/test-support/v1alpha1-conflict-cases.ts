// Test-only data: for every row of V1ALPHA1_CONFLICT_RULES, a legacy value Talos sees as set, one it does not, and the
// documents the row needs when Talos's generator does not emit them. Shared by the unit test (on talform's generated
// configs) and the conformance test (on Talos's stability goldens, against the real machinery).
import type { TalosContract } from "../../contract/index.js";
import { applyStrategicPatch, documentKind } from "../patch/index.js";
import { V1ALPHA1_CONFLICT_RULES, type V1Alpha1ConflictRule } from "../v1alpha1-conflicts.js";
import { cloneNode, isYamlMap, type YamlMap, type YamlNode } from "../yaml/node.js";
import { parseYamlDocuments } from "../yaml/parse.js";

export interface ConflictCase {
  readonly kind: string;
  readonly legacyPath: string;
  /** YAML of a legacy value Talos sees as set. */
  readonly conflicting: string;
  /** YAML of a legacy value Talos does not see as set (the rule must not fire). */
  readonly inert: string;
  /** YAML documents merged into the base config first: the rule's kind where the generator does not emit it. */
  readonly documents?: string;
}

const UNATTENDED =
  'apiVersion: v1alpha1\nkind: UnattendedInstallConfig\ninstaller: {}\nprovisioning:\n  diskSelector:\n    match: disk.dev_path == "/dev/sda"\n';
const CREDENTIAL_PROVIDER =
  "apiVersion: v1alpha1\nkind: KubeCredentialProviderConfig\nconfiguration:\n  apiVersion: kubelet.config.k8s.io/v1\n  kind: CredentialProviderConfig\n  providers:\n    - name: ecr-credential-provider\n      apiVersion: credentialprovider.kubelet.k8s.io/v1\n      matchImages: ['*.dkr.ecr.*.amazonaws.com']\n      defaultCacheDuration: 12h\n";
const TALOS_API_ACCESS =
  "apiVersion: v1alpha1\nkind: KubeTalosAPIAccessConfig\nallowedRoles: ['os:reader']\nallowedKubernetesNamespaces: [kube-system]\n";
const TIME_SYNC = "apiVersion: v1alpha1\nkind: TimeSyncConfig\nenabled: true\n";
const KUBESPAN = "apiVersion: v1alpha1\nkind: KubeSpanConfig\nenabled: true\n";
const encrypted = (name: string) =>
  `apiVersion: v1alpha1\nkind: VolumeConfig\nname: ${name}\nencryption:\n  provider: luks2\n  keys:\n    - slot: 0\n      tpm: {}\n`;
const LEGACY_ENCRYPTION = "{provider: luks2, keys: [{slot: 0, nodeID: {}}]}";
const BASE_RUNTIME_SPEC = "apiVersion: v1alpha1\nkind: CRIBaseRuntimeSpecConfig\noverrides:\n  process: {}\n";
const IMAGE_CACHE = "apiVersion: v1alpha1\nkind: ImageCacheConfig\nlocal:\n  enabled: true\n";

export const CONFLICT_CASES: readonly ConflictCase[] = [
  {
    kind: "UnattendedInstallConfig",
    legacyPath: "machine.install",
    conflicting: "{disk: /dev/sda}",
    inert: "null",
    documents: UNATTENDED,
  },
  { kind: "KubeCoreDNSConfig", legacyPath: "cluster.coreDNS", conflicting: "{disabled: true}", inert: "null" },
  {
    kind: "KubeletConfig",
    legacyPath: "machine.kubelet",
    conflicting: "{extraArgs: {rotate-server-certificates: 'true'}}",
    inert: "null",
  },
  {
    kind: "KubeAuditPolicyConfig",
    legacyPath: "cluster.apiServer.auditPolicy",
    conflicting: "{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: Metadata}]}",
    inert: "{}",
  },
  {
    kind: "KubeAggregatorCAConfig",
    legacyPath: "cluster.aggregatorCA",
    conflicting: "{crt: '', key: ''}",
    inert: "null",
  },
  {
    kind: "KubeEtcdEncryptionConfig",
    legacyPath: "cluster.secretboxEncryptionSecret",
    conflicting: "c2VjcmV0Ym94LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDE=",
    inert: "''",
  },
  {
    kind: "KubeEtcdEncryptionConfig",
    legacyPath: "cluster.aescbcEncryptionSecret",
    conflicting: "YWVzY2JjLWZvci10ZXN0cy0wMTIzNDU2Nzg5MDEyMzQ=",
    inert: "''",
  },
  { kind: "KubeFlannelCNIConfig", legacyPath: "cluster.network", conflicting: "{cni: {name: none}}", inert: "null" },
  { kind: "KubeClusterConfig", legacyPath: "cluster.clusterName", conflicting: "base", inert: "''" },
  {
    kind: "KubeClusterConfig",
    legacyPath: "cluster.controlPlane.endpoint",
    conflicting: "https://base:6443",
    inert: "null",
  },
  {
    kind: "KubePrismConfig",
    legacyPath: "machine.features.kubePrism",
    conflicting: "{enabled: true, port: 7445}",
    inert: "null",
  },
  {
    kind: "KubeCredentialProviderConfig",
    legacyPath: "machine.kubelet",
    conflicting: "{}",
    inert: "null",
    documents: CREDENTIAL_PROVIDER,
  },
  {
    kind: "KubeNetworkConfig",
    legacyPath: "cluster.network",
    conflicting: "{dnsDomain: cluster.local}",
    inert: "null",
  },
  {
    kind: "KubeControllerManagerConfig",
    legacyPath: "cluster.controllerManager",
    conflicting: "{extraArgs: {bind-address: 0.0.0.0}}",
    inert: "null",
  },
  {
    kind: "KubeControllerManagerConfig",
    legacyPath: "machine.controlPlane.controllerManager",
    conflicting: "{disabled: false}",
    inert: "null",
  },
  { kind: "KubeAPIServerCAConfig", legacyPath: "cluster.ca", conflicting: "{crt: '', key: ''}", inert: "null" },
  {
    kind: "KubeAdmissionControlConfig",
    legacyPath: "cluster.apiServer.admissionControl",
    conflicting:
      "[{name: EventRateLimit, configuration: {apiVersion: eventratelimit.admission.k8s.io/v1alpha1, kind: Configuration}}]",
    inert: "[]",
  },
  { kind: "KubeServiceAccountConfig", legacyPath: "cluster.serviceAccount", conflicting: "{key: ''}", inert: "null" },
  {
    kind: "KubeAuthorizerConfig",
    legacyPath: "cluster.apiServer.admissionControl",
    conflicting:
      "[{name: EventRateLimit, configuration: {apiVersion: eventratelimit.admission.k8s.io/v1alpha1, kind: Configuration}}]",
    inert: "[]",
  },
  {
    kind: "KubeAPIServerConfig",
    legacyPath: "cluster.apiServer",
    conflicting: "{extraArgs: {feature-gates: ServerSideApply=true}}",
    inert: "null",
  },
  {
    kind: "KubeAPIServerConfig",
    legacyPath: "cluster.controlPlane.localAPIServerPort",
    conflicting: "7443",
    inert: "0",
  },
  {
    kind: "KubeTalosAPIAccessConfig",
    legacyPath: "machine.features.kubernetesTalosAPIAccess",
    conflicting: "{allowedRoles: ['os:reader'], allowedKubernetesNamespaces: [kube-system]}",
    inert: "null",
    documents: TALOS_API_ACCESS,
  },
  { kind: "KubeNodeConfig", legacyPath: "cluster.allowSchedulingOnControlPlanes", conflicting: "true", inert: "null" },
  { kind: "KubeNodeConfig", legacyPath: "cluster.allowSchedulingOnMasters", conflicting: "false", inert: "null" },
  { kind: "KubeNodeConfig", legacyPath: "machine.kubelet.skipNodeRegistration", conflicting: "false", inert: "null" },
  { kind: "KubeNodeConfig", legacyPath: "machine.kubelet.registerWithFQDN", conflicting: "true", inert: "null" },
  {
    kind: "KubeNodeConfig",
    legacyPath: "machine.kubelet.nodeIP",
    conflicting: "{validSubnets: [10.0.0.0/8]}",
    inert: "null",
  },
  { kind: "KubeNodeConfig", legacyPath: "machine.nodeLabels", conflicting: "{}", inert: "null" },
  { kind: "KubeNodeConfig", legacyPath: "machine.nodeAnnotations", conflicting: "{team: infra}", inert: "null" },
  {
    kind: "KubeNodeConfig",
    legacyPath: "machine.nodeTaints",
    conflicting: "{dedicated: 'gpu:NoSchedule'}",
    inert: "null",
  },
  { kind: "KubeProxyConfig", legacyPath: "cluster.proxy", conflicting: "{disabled: true}", inert: "null" },
  {
    kind: "KubeSchedulerConfig",
    legacyPath: "cluster.scheduler",
    conflicting: "{extraArgs: {bind-address: 0.0.0.0}}",
    inert: "null",
  },
  {
    kind: "KubeSchedulerConfig",
    legacyPath: "machine.controlPlane.scheduler",
    conflicting: "{disabled: true}",
    inert: "null",
  },
  { kind: "ResolverConfig", legacyPath: "machine.network.searchDomains", conflicting: "[]", inert: "null" },
  {
    kind: "ResolverConfig",
    legacyPath: "machine.network.nameservers",
    conflicting: "[dns.example, 1.1.1.1]",
    inert: "[dns.example]",
  },
  { kind: "ResolverConfig", legacyPath: "machine.network.disableSearchDomain", conflicting: "true", inert: "false" },
  {
    kind: "ResolverConfig",
    legacyPath: "machine.features.hostDNS",
    conflicting: "{enabled: true, forwardKubeDNSToHost: true}",
    inert: "null",
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.disabled",
    conflicting: "true",
    inert: "false",
    documents: TIME_SYNC,
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.servers",
    conflicting: "[time.cloudflare.com]",
    inert: "[]",
    documents: TIME_SYNC,
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.bootTimeout",
    conflicting: "2m30s",
    inert: "0s",
    documents: TIME_SYNC,
  },
  {
    kind: "KubeSpanConfig",
    legacyPath: "machine.network.kubespan",
    conflicting: "{enabled: true}",
    inert: "null",
    documents: KUBESPAN,
  },
  { kind: "HostnameConfig", legacyPath: "machine.network.hostname", conflicting: "cp1", inert: "''" },
  { kind: "HostnameConfig", legacyPath: "machine.features.stableHostname", conflicting: "true", inert: "false" },
  {
    kind: "VolumeConfig",
    legacyPath: "machine.systemDiskEncryption.state",
    conflicting: LEGACY_ENCRYPTION,
    inert: "null",
    documents: encrypted("STATE"),
  },
  {
    kind: "VolumeConfig",
    legacyPath: "machine.systemDiskEncryption.ephemeral",
    conflicting: LEGACY_ENCRYPTION,
    inert: "null",
    documents: encrypted("EPHEMERAL"),
  },
  {
    kind: "CRIBaseRuntimeSpecConfig",
    legacyPath: "machine.baseRuntimeSpecOverrides",
    conflicting: "{process: {noNewPrivileges: true}}",
    inert: "{}",
    documents: BASE_RUNTIME_SPEC,
  },
  {
    kind: "ImageCacheConfig",
    legacyPath: "machine.features.imageCache",
    conflicting: "{localEnabled: true}",
    inert: "null",
    documents: IMAGE_CACHE,
  },
  {
    kind: "DiscoveryIdentityConfig",
    legacyPath: "cluster.id",
    conflicting: "Y2x1c3Rlci1pZC1mb3ItdGVzdHMtMDEyMzQ1Njc4OTA=",
    inert: "''",
  },
  {
    kind: "DiscoveryIdentityConfig",
    legacyPath: "cluster.secret",
    conflicting: "c2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDEyMzQ=",
    inert: "''",
  },
  { kind: "DiscoveryServiceConfig", legacyPath: "cluster.discovery", conflicting: "{enabled: false}", inert: "null" },
];

export function ruleOf(c: ConflictCase): V1Alpha1ConflictRule {
  const rule = V1ALPHA1_CONFLICT_RULES.find((r) => r.kind === c.kind && r.legacyPath === c.legacyPath);
  if (!rule) throw new Error(`no rule for ${c.kind} / ${c.legacyPath}`);
  return rule;
}

const yamlValue = (text: string): YamlNode => {
  const parsed = parseYamlDocuments(text);
  if (parsed.errors.length > 0) throw new Error(`${text}: ${parsed.errors.join("; ")}`);
  return parsed.documents[0] ?? null;
};

/** Sets `value` at a dotted path, creating the mappings on the way (as a patch writing the field would). */
export function setAt(doc: YamlMap, path: string, value: YamlNode): void {
  const keys = path.split(".");
  let cur = doc;
  for (const key of keys.slice(0, -1)) {
    const next = cur.get(key);
    if (isYamlMap(next)) cur = next;
    else {
      const created: YamlMap = new Map();
      cur.set(key, created);
      cur = created;
    }
  }
  cur.set(keys[keys.length - 1]!, value);
}

/**
 * The base config with the case's documents merged in and the legacy field set to the conflicting or inert value.
 * The value is set as written (not re-shaped), so `[]`, `{}` and `null` reach the checks exactly.
 */
export function applyConflictCase(
  base: readonly YamlMap[],
  c: ConflictCase,
  value: "conflicting" | "inert",
  contract: TalosContract,
): YamlMap[] {
  const extra = c.documents ? (parseYamlDocuments(c.documents).documents as YamlMap[]) : [];
  const docs =
    extra.length > 0 ? applyStrategicPatch(base, extra, { machinery: contract }) : base.map((d) => cloneNode(d));
  const v1 = docs.find((d) => documentKind(d) === "v1alpha1");
  if (!v1) throw new Error("base config has no v1alpha1 document");
  setAt(v1, c.legacyPath, yamlValue(c[value]));
  return docs;
}
