import { isIP } from "node:net";
import type { TalosContract } from "../contract/index.js";
import type { Diagnostic } from "../diagnostics/index.js";
import { documentKind } from "./patch/strategic.js";
import { isYamlMap, type YamlMap, type YamlNode } from "./yaml/node.js";

/**
 * Talos refuses a config in which a dedicated document and the legacy v1alpha1 field it replaces are both set: every
 * document kind that took over part of v1alpha1 has a `V1Alpha1ConflictValidate` check, which machinery's container
 * validation runs for each document whenever a v1alpha1 document is present. Each failing check is a fatal error
 * (not a warning), reported with Talos's bare message, and a document reports only its FIRST failing check.
 *
 * This table holds those checks as data, from machinery v1.14.1 (`config/types/{k8s,network,block,cri,cluster,
 * runtime}`), in each kind's check order. The same kinds in 1.12/1.13 machinery (HostnameConfig, ResolverConfig,
 * TimeSyncConfig, VolumeConfig, KubeSpanConfig) check the same things, except where a row names a contract predicate.
 */

/**
 * How the legacy value has to look for Talos to see it as set. Talos tests Go values after decoding, so:
 *  - `present`: a pointer, map or slice that is not nil — any value but `null`, including `{}` and `[]`;
 *  - `nonEmptyString`: a string field other than "";
 *  - `true`: a `*bool` that is true (go-yaml also takes YAML 1.1 `yes`/`on`);
 *  - `nonZero`: an int or `time.Duration` other than 0;
 *  - `nonEmptyList`: a slice with at least one item;
 *  - `nonEmptyMap`: an inline `meta.Unstructured` with at least one key (go-yaml leaves the map nil for `{}`);
 *  - `ipAddress`: a string list with at least one entry that parses as an IP address (Talos's `Resolvers()` skips
 *    the others, so `nameservers: [dns.example]` conflicts with nothing).
 */
export type LegacyValueTest =
  "present" | "nonEmptyString" | "true" | "nonZero" | "nonEmptyList" | "nonEmptyMap" | "ipAddress";

export interface V1Alpha1ConflictRule {
  /** The document kind whose presence turns the legacy field into an error. */
  readonly kind: string;
  /** The v1alpha1 field, as a dotted YAML path. */
  readonly legacyPath: string;
  readonly test: LegacyValueTest;
  /** A condition on the document itself, where Talos has one. */
  readonly document?: (doc: YamlMap) => boolean;
  /** The Talos versions that have the check, where not every version that knows the kind has it. */
  readonly contract?: (c: TalosContract) => boolean;
  /** Talos's exact error. */
  readonly message: string;
  /** What to do instead: the document (and field) that replaces the legacy one. */
  readonly hint: string;
}

/** Diagnostic code of a conflict, so callers (genconfig) can tell which patch introduced the legacy field. */
export const V1ALPHA1_CONFLICT_CODE = "v1alpha1-conflict";

const child = (node: YamlNode | undefined, key: string): YamlNode | undefined =>
  isYamlMap(node) ? node.get(key) : undefined;

/** The value at a dotted path, `undefined` when any step is missing or not a mapping. */
export function valueAt(doc: YamlNode | undefined, path: string): YamlNode | undefined {
  return path.split(".").reduce<YamlNode | undefined>(child, doc);
}

const YAML11_TRUE = /^(?:y|Y|yes|Yes|YES|on|On|ON)$/;

export function legacyValueIsSet(value: YamlNode | undefined, test: LegacyValueTest): boolean {
  if (value === undefined || value === null) return false;
  switch (test) {
    case "present":
      return true;
    case "nonEmptyString":
      return value !== "";
    case "true":
      return value === true || (typeof value === "string" && YAML11_TRUE.test(value));
    case "nonZero":
      // A Go duration string is zero exactly when all its digits are zero ("0s", "0h0m0.0s").
      return typeof value === "number" ? value !== 0 : typeof value === "string" && /[1-9]/.test(value);
    case "nonEmptyList":
      return Array.isArray(value) && value.length > 0;
    case "nonEmptyMap":
      return isYamlMap(value) && value.size > 0;
    case "ipAddress":
      return Array.isArray(value) && (value as readonly YamlNode[]).some((v) => typeof v === "string" && isIP(v) !== 0);
  }
}

/** VolumeConfig of a system partition with an encryption provider (the zero provider "none" is no encryption). */
const encryptedVolume =
  (name: string) =>
  (doc: YamlMap): boolean => {
    const provider = valueAt(doc, "encryption.provider");
    return (
      doc.get("name") === name && provider !== undefined && provider !== null && provider !== "" && provider !== "none"
    );
  };

/** ResolverConfig whose `hostDNS` is not the zero struct (any of its three `*bool` fields set). */
const resolverSetsHostDNS = (doc: YamlMap): boolean =>
  ["enabled", "forwardKubeDNSToHost", "resolveMemberNames"].some((k) =>
    legacyValueIsSet(valueAt(doc, `hostDNS.${k}`), "present"),
  );

const KUBELET_MOVES =
  "extraArgs, extraConfig (as config), clusterDNS, image and defaultRuntimeSeccompProfileEnabled go to the KubeletConfig document, nodeIP/registerWithFQDN/skipNodeRegistration to KubeNodeConfig, credentialProviderConfig to KubeCredentialProviderConfig (configuration); extraMounts have no replacement (use a UserVolumeConfig, mounted at /var/mnt/<name>)";
const CLUSTER_NETWORK_MOVES =
  "remove cluster.network: dnsDomain, podSubnets and serviceSubnets are the KubeNetworkConfig document (talconfig domain, clusterPodNets, clusterSvcNets), the CNI is KubeFlannelCNIConfig or KubeExternalManifestConfig (talconfig cniConfig; name: none drops KubeFlannelCNIConfig)";
const ADMISSION_MOVES =
  "move each cluster.apiServer.admissionControl entry into a KubeAdmissionControlConfig document (name, configuration; PodSecurity is generated) and remove the list";
const ETCD_ENCRYPTION_MOVES =
  "etcd encryption is the KubeEtcdEncryptionConfig document (config: an EncryptionConfiguration, generated from the secrets bundle): remove cluster.secretboxEncryptionSecret and cluster.aescbcEncryptionSecret";
const IDENTITY_MOVES =
  "the cluster identity is the DiscoveryIdentityConfig document (clusterID, clusterSecret; generated from the secrets bundle): remove cluster.id and cluster.secret";
const volumeRule = (name: "STATE" | "EPHEMERAL"): V1Alpha1ConflictRule => ({
  kind: "VolumeConfig",
  legacyPath: `machine.systemDiskEncryption.${name.toLowerCase()}`,
  test: "present",
  document: encryptedVolume(name),
  contract: (c) => c.systemDiskEncryptionConflictsWithVolumeConfig(),
  message: `system disk encryption for "${name}" is configured in both v1alpha1.Config and VolumeConfig`,
  hint: `configure the encryption of ${name} in the VolumeConfig document only (encryption: provider, keys) and remove machine.systemDiskEncryption.${name.toLowerCase()}`,
});
const nodeRule = (legacyPath: string, hint: string): V1Alpha1ConflictRule => ({
  kind: "KubeNodeConfig",
  legacyPath,
  test: "present",
  message: `.${legacyPath} is already set in v1alpha1 config`,
  hint,
});

export const V1ALPHA1_CONFLICT_RULES: readonly V1Alpha1ConflictRule[] = [
  // runtime
  {
    kind: "UnattendedInstallConfig",
    legacyPath: "machine.install",
    test: "present",
    message: "UnattendedInstallConfig config is incompatible with v1alpha1 config (.machine.install)",
    hint: "remove machine.install: install settings are the UnattendedInstallConfig document (installer.image, provisioning.diskSelector.match, provisioning.wipe; talform writes it from talconfig installDisk); kernel arguments belong in the Image Factory schematic",
  },
  // k8s
  {
    kind: "KubeCoreDNSConfig",
    legacyPath: "cluster.coreDNS",
    test: "present",
    message: "CoreDNS config is already set in v1alpha1 config (.cluster.coreDNS)",
    hint: "CoreDNS is the KubeCoreDNSConfig document (enabled, image; disabled: true becomes enabled: false): remove cluster.coreDNS",
  },
  {
    kind: "KubeletConfig",
    legacyPath: "machine.kubelet",
    test: "present",
    message: "kubelet config is already set in v1alpha1 config (.machine.kubelet)",
    hint: `remove machine.kubelet: ${KUBELET_MOVES}`,
  },
  {
    kind: "KubeAuditPolicyConfig",
    legacyPath: "cluster.apiServer.auditPolicy",
    test: "nonEmptyMap",
    message: "audit policy config is already set in v1alpha1 config",
    hint: "put the policy into the KubeAuditPolicyConfig document (configuration) and remove cluster.apiServer.auditPolicy",
  },
  {
    kind: "KubeAggregatorCAConfig",
    legacyPath: "cluster.aggregatorCA",
    test: "present",
    message:
      "kube-apiserver aggregator CA is already set in v1alpha1 config (.cluster.aggregatorCA), please remove it and use the new KubeAggregatorCAConfig document instead",
    hint: "the aggregator CA is the KubeAggregatorCAConfig document (issuingCA, PEM; generated from the secrets bundle): remove cluster.aggregatorCA",
  },
  {
    kind: "KubeEtcdEncryptionConfig",
    legacyPath: "cluster.secretboxEncryptionSecret",
    test: "nonEmptyString",
    message: "etcd encryption config is already set in v1alpha1 config",
    hint: ETCD_ENCRYPTION_MOVES,
  },
  {
    kind: "KubeEtcdEncryptionConfig",
    legacyPath: "cluster.aescbcEncryptionSecret",
    test: "nonEmptyString",
    message: "etcd encryption config is already set in v1alpha1 config",
    hint: ETCD_ENCRYPTION_MOVES,
  },
  {
    kind: "KubeFlannelCNIConfig",
    legacyPath: "cluster.network",
    test: "present",
    message:
      "cluster network config in v1alpha1 config (.machine.cluster.network) can't be used with KubeFlannelCNIConfig document, please remove it to avoid conflicts",
    hint: CLUSTER_NETWORK_MOVES,
  },
  {
    kind: "KubeClusterConfig",
    legacyPath: "cluster.clusterName",
    test: "nonEmptyString",
    message:
      "cluster name is already set in the v1alpha1 config (.cluster.clusterName). Please remove it and use only the new KubeClusterConfig document to avoid conflicts",
    hint: "the cluster name is the KubeClusterConfig document (clusterName; talform writes it from talconfig clusterName): remove cluster.clusterName",
  },
  {
    kind: "KubeClusterConfig",
    legacyPath: "cluster.controlPlane.endpoint",
    test: "present",
    message:
      "cluster endpoint is already set in the v1alpha1 config (.cluster.controlPlane.endpoint). Please remove it and use only the new KubeClusterConfig document to avoid conflicts",
    hint: "the endpoint is the KubeClusterConfig document (endpoint; talform writes it from talconfig endpoint): remove the whole cluster.controlPlane section (localAPIServerPort becomes KubeAPIServerConfig apiPort)",
  },
  {
    kind: "KubePrismConfig",
    legacyPath: "machine.features.kubePrism",
    test: "present",
    message:
      "KubePrism config in v1alpha1 config (.machine.features.kubePrism) can't be used with KubePrismConfig document, please remove it to avoid conflicts",
    hint: "KubePrism is the KubePrismConfig document (port): remove machine.features.kubePrism",
  },
  {
    kind: "KubeCredentialProviderConfig",
    legacyPath: "machine.kubelet",
    test: "present",
    message: "cannot use KubeCredentialProviderConfig with legacy kubelet configuration (.machine.kubelet)",
    hint: `remove machine.kubelet: ${KUBELET_MOVES}`,
  },
  {
    kind: "KubeNetworkConfig",
    legacyPath: "cluster.network",
    test: "present",
    message:
      "cluster network config is already set in the v1alpha1 config (.machine.cluster.network). Please remove it and use only the new KubeNetworkConfig document to avoid conflicts",
    hint: CLUSTER_NETWORK_MOVES,
  },
  {
    kind: "KubeControllerManagerConfig",
    legacyPath: "cluster.controllerManager",
    test: "present",
    message: "kube-controller-manager config is already set in v1alpha1 config (.cluster.controllerManager)",
    hint: "kube-controller-manager is the KubeControllerManagerConfig document (image, extraArgs, env, resources, enabled): move cluster.controllerManager there",
  },
  {
    kind: "KubeControllerManagerConfig",
    legacyPath: "machine.controlPlane.controllerManager",
    test: "present",
    message:
      "kube-controller-manager config is already set in v1alpha1 config (.machine.controlplane.controllerManager)",
    hint: "use KubeControllerManagerConfig enabled: false instead of machine.controlPlane.controllerManager.disabled: true, and remove machine.controlPlane.controllerManager",
  },
  {
    kind: "KubeAPIServerCAConfig",
    legacyPath: "cluster.ca",
    test: "present",
    message: "kube-apiserver CA is already set in v1alpha1 config (.cluster.ca)",
    hint: "the Kubernetes CA is the KubeAPIServerCAConfig document (issuingCA, PEM; generated from the secrets bundle): remove cluster.ca",
  },
  {
    kind: "KubeAdmissionControlConfig",
    legacyPath: "cluster.apiServer.admissionControl",
    test: "nonEmptyList",
    message: "admission control plugin config is already set in v1alpha1 config",
    hint: ADMISSION_MOVES,
  },
  {
    kind: "KubeServiceAccountConfig",
    legacyPath: "cluster.serviceAccount",
    test: "present",
    message: "service account is already set in v1alpha1 config (.cluster.serviceAccount)",
    hint: "the service-account key is the KubeServiceAccountConfig document (issuer.privateKey; generated from the secrets bundle): remove cluster.serviceAccount",
  },
  // Talos checks the admission plugins (not authorizationConfig) here, with the admission message.
  {
    kind: "KubeAuthorizerConfig",
    legacyPath: "cluster.apiServer.admissionControl",
    test: "nonEmptyList",
    message: "admission control plugin config is already set in v1alpha1 config",
    hint: `${ADMISSION_MOVES}; authorizers (cluster.apiServer.authorizationConfig) are KubeAuthorizerConfig documents`,
  },
  {
    kind: "KubeAPIServerConfig",
    legacyPath: "cluster.apiServer",
    test: "present",
    message: "kube-apiserver config is already set in v1alpha1 config (.cluster.apiServer)",
    hint: "remove cluster.apiServer: image, extraArgs, env and resources go to the KubeAPIServerConfig document, certSANs to its certExtraSANs (or talconfig additionalApiServerCertSans), admissionControl to KubeAdmissionControlConfig, auditPolicy to KubeAuditPolicyConfig, authorizationConfig to KubeAuthorizerConfig documents",
  },
  {
    kind: "KubeAPIServerConfig",
    legacyPath: "cluster.controlPlane.localAPIServerPort",
    test: "nonZero",
    message: "kube-apiserver API port is already set in v1alpha1 config (.cluster.controlPlane.localAPIServerPort)",
    hint: "set the port as KubeAPIServerConfig apiPort and remove the whole cluster.controlPlane section",
  },
  {
    kind: "KubeTalosAPIAccessConfig",
    legacyPath: "machine.features.kubernetesTalosAPIAccess",
    test: "present",
    message: ".machine.features.kubernetesTalosAPIAccess is already set in v1alpha1 config",
    hint: "Talos API access from Kubernetes is the KubeTalosAPIAccessConfig document (allowedRoles, allowedKubernetesNamespaces): remove machine.features.kubernetesTalosAPIAccess",
  },
  nodeRule(
    "cluster.allowSchedulingOnControlPlanes",
    "remove it: use talconfig allowSchedulingOnControlPlanes (talform leaves the control-plane taint out of KubeNodeConfig) or patch KubeNodeConfig taints",
  ),
  nodeRule(
    "cluster.allowSchedulingOnMasters",
    "remove it: use talconfig allowSchedulingOnControlPlanes (talform leaves the control-plane taint out of KubeNodeConfig) or patch KubeNodeConfig taints",
  ),
  nodeRule(
    "machine.kubelet.skipNodeRegistration",
    "set skipNodeRegistration in the KubeNodeConfig document instead (and move the rest of machine.kubelet to KubeletConfig)",
  ),
  nodeRule(
    "machine.kubelet.registerWithFQDN",
    "set registerWithFQDN in the KubeNodeConfig document instead (and move the rest of machine.kubelet to KubeletConfig)",
  ),
  nodeRule(
    "machine.kubelet.nodeIP",
    "set nodeIP.validSubnets in the KubeNodeConfig document instead (and move the rest of machine.kubelet to KubeletConfig)",
  ),
  nodeRule(
    "machine.nodeLabels",
    "use talconfig nodeLabels or KubeNodeConfig labels (keep the generated control-plane labels there)",
  ),
  nodeRule("machine.nodeAnnotations", "use talconfig nodeAnnotations or KubeNodeConfig annotations"),
  nodeRule(
    "machine.nodeTaints",
    "use talconfig nodeTaints or KubeNodeConfig taints (keep the generated control-plane taint there unless workloads may run on control planes)",
  ),
  {
    kind: "KubeProxyConfig",
    legacyPath: "cluster.proxy",
    test: "present",
    message:
      "cluster proxy config in v1alpha1 config (.machine.cluster.proxy) can't be used with KubeProxyConfig document, please remove it to avoid conflicts",
    hint: "kube-proxy is the KubeProxyConfig document (enabled, mode, image, extraArgs, config): cluster.proxy.disabled: true becomes enabled: false; remove cluster.proxy",
  },
  {
    kind: "KubeSchedulerConfig",
    legacyPath: "cluster.scheduler",
    test: "present",
    message: "kube-scheduler config is already set in v1alpha1 config (.cluster.scheduler)",
    hint: "kube-scheduler is the KubeSchedulerConfig document (image, config, extraArgs, env, resources, enabled): move cluster.scheduler there",
  },
  {
    kind: "KubeSchedulerConfig",
    legacyPath: "machine.controlPlane.scheduler",
    test: "present",
    message: "kube-scheduler config is already set in v1alpha1 config (.machine.controlplane.scheduler)",
    hint: "use KubeSchedulerConfig enabled: false instead of machine.controlPlane.scheduler.disabled: true, and remove machine.controlPlane.scheduler",
  },
  // network
  {
    kind: "ResolverConfig",
    legacyPath: "machine.network.searchDomains",
    test: "present",
    message: ".machine.network.searchDomains is already set in v1alpha1 config",
    hint: "set the search domains in the ResolverConfig document (searchDomains.domains) and remove machine.network.searchDomains",
  },
  {
    kind: "ResolverConfig",
    legacyPath: "machine.network.nameservers",
    test: "ipAddress",
    message: ".machine.network.nameservers is already set in v1alpha1 config",
    hint: "use talconfig nameservers or the ResolverConfig document (nameservers: [{address: …}]) and remove machine.network.nameservers",
  },
  {
    kind: "ResolverConfig",
    legacyPath: "machine.network.disableSearchDomain",
    test: "true",
    message: ".machine.network.disableSearchDomain is already set in v1alpha1 config",
    hint: "use talconfig disableSearchDomain or ResolverConfig searchDomains.disableDefault: true and remove machine.network.disableSearchDomain",
  },
  {
    kind: "ResolverConfig",
    legacyPath: "machine.features.hostDNS",
    test: "present",
    document: resolverSetsHostDNS,
    contract: (c) => c.hostDNSMultidocConfig(),
    message: ".machine.features.hostDNS is already set in v1alpha1 config",
    hint: "set host DNS in the ResolverConfig document (hostDNS: enabled, forwardKubeDNSToHost, resolveMemberNames) and remove machine.features.hostDNS",
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.disabled",
    test: "true",
    message: "time sync cannot be disabled in both v1alpha1 and new-style configuration",
    hint: "use TimeSyncConfig enabled: false and remove machine.time",
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.servers",
    test: "nonEmptyList",
    message: "time servers cannot be specified in both v1alpha1 and new-style configuration",
    hint: "list the servers in the TimeSyncConfig document (ntp.servers) and remove machine.time",
  },
  {
    kind: "TimeSyncConfig",
    legacyPath: "machine.time.bootTimeout",
    test: "nonZero",
    message: "boot timeout cannot be specified in both v1alpha1 and new-style configuration",
    hint: "set bootTimeout in the TimeSyncConfig document and remove machine.time",
  },
  {
    kind: "KubeSpanConfig",
    legacyPath: "machine.network.kubespan",
    test: "present",
    message: "kubespan is already configured in v1alpha1 machine.network.kubespan",
    hint: "KubeSpan is the KubeSpanConfig document (same fields: enabled, advertiseKubernetesNetworks, allowDownPeerBypass, harvestExtraEndpoints, mtu, filters): remove machine.network.kubespan",
  },
  {
    kind: "HostnameConfig",
    legacyPath: "machine.network.hostname",
    test: "nonEmptyString",
    message: "static hostname is already set in v1alpha1 config",
    hint: "set the hostname in the HostnameConfig document only (hostname, auto: off; talform writes it from the node's hostname)",
  },
  {
    kind: "HostnameConfig",
    legacyPath: "machine.features.stableHostname",
    test: "true",
    message: "stable hostname is already set in v1alpha1 config",
    hint: "use HostnameConfig auto: stable and remove machine.features.stableHostname",
  },
  // block
  volumeRule("STATE"),
  volumeRule("EPHEMERAL"),
  // cri
  {
    kind: "CRIBaseRuntimeSpecConfig",
    legacyPath: "machine.baseRuntimeSpecOverrides",
    test: "nonEmptyMap",
    message: "base runtime spec overrides are already set in v1alpha1 config",
    hint: "move the overrides into the CRIBaseRuntimeSpecConfig document (overrides) and remove machine.baseRuntimeSpecOverrides",
  },
  {
    kind: "ImageCacheConfig",
    legacyPath: "machine.features.imageCache",
    test: "present",
    message: "image cache config is already set in v1alpha1 config",
    hint: "use ImageCacheConfig local.enabled instead of machine.features.imageCache.localEnabled and remove machine.features.imageCache",
  },
  // cluster
  {
    kind: "DiscoveryIdentityConfig",
    legacyPath: "cluster.id",
    test: "nonEmptyString",
    message: "cluster identity is already configured in .cluster.id/.cluster.secret of the v1alpha1 config",
    hint: IDENTITY_MOVES,
  },
  {
    kind: "DiscoveryIdentityConfig",
    legacyPath: "cluster.secret",
    test: "nonEmptyString",
    message: "cluster identity is already configured in .cluster.id/.cluster.secret of the v1alpha1 config",
    hint: IDENTITY_MOVES,
  },
  {
    kind: "DiscoveryServiceConfig",
    legacyPath: "cluster.discovery",
    test: "present",
    message: "discovery service is already configured in .cluster.discovery of the v1alpha1 config",
    hint: "discovery is DiscoveryServiceConfig documents (name, endpoint): remove cluster.discovery; to turn discovery off, delete the generated document (kind: DiscoveryServiceConfig, name: default, $patch: delete)",
  },
];

export interface V1Alpha1Conflict {
  readonly rule: V1Alpha1ConflictRule;
  /** Index of the conflicting document in the config. */
  readonly documentIndex: number;
}

/**
 * The conflicts Talos reports for a config: for each non-v1alpha1 document (in order), the first of its kind's rules
 * that holds. Nothing when there is no v1alpha1 document (Talos only cross-checks against one).
 */
export function findV1Alpha1Conflicts(documents: readonly YamlMap[], contract: TalosContract): V1Alpha1Conflict[] {
  const v1 = documents.find((d) => documentKind(d) === "v1alpha1");
  if (!v1) return [];
  const out: V1Alpha1Conflict[] = [];
  documents.forEach((doc, documentIndex) => {
    const kind = documentKind(doc);
    const rule = V1ALPHA1_CONFLICT_RULES.find(
      (r) =>
        r.kind === kind &&
        (r.contract?.(contract) ?? true) &&
        (r.document?.(doc) ?? true) &&
        legacyValueIsSet(valueAt(v1, r.legacyPath), r.test),
    );
    if (rule) out.push({ rule, documentIndex });
  });
  return out;
}

/** The conflicts as error diagnostics: Talos's message, the legacy path, and the replacement as the hint. */
export function v1alpha1ConflictDiagnostics(
  documents: readonly YamlMap[],
  contract: TalosContract,
  file?: string,
): Diagnostic[] {
  return findV1Alpha1Conflicts(documents, contract).map(({ rule }) => ({
    severity: "error",
    code: V1ALPHA1_CONFLICT_CODE,
    message: file ? `${file}: ${rule.message}` : rule.message,
    path: rule.legacyPath,
    hint: rule.hint,
  }));
}
