import { parseAllDocuments } from "yaml";
import { isDeepStrictEqual } from "node:util";
import { machineConfigFacts, type MachineConfigFacts } from "../doctor/config-facts.js";

/**
 * A minimal strict decoder of the machine configuration documents a simulated node accepts — only what the
 * simulator acts on. Like Talos, unknown top-level v1alpha1 fields and unknown document kinds are rejected.
 * (The machine-config engineer's fuller decoder is meant to replace this.)
 */
export interface DecodedConfig {
  readonly text: string;
  readonly machineType: "controlplane" | "worker" | "init";
  readonly hostname?: string;
  readonly installImage?: string;
  readonly clusterName?: string;
  readonly controlPlaneEndpoint?: string;
  /** The v1alpha1 document as data (for reboot-needed diffs). */
  readonly v1alpha1: Record<string, unknown>;
  readonly documents: readonly { kind: string; name?: string; body: Record<string, unknown> }[];
}

const V1ALPHA1_TOP = new Set(["version", "debug", "persist", "machine", "cluster"]);
/** Kinds of the multi-document config (Talos 1.5–1.14) the simulator accepts alongside v1alpha1. */
const KNOWN_KINDS = new Set([
  "HostnameConfig",
  "ResolverConfig",
  "TimeSyncConfig",
  "LinkConfig",
  "DHCPv4Config",
  "DHCPv6Config",
  "StaticHostConfig",
  "VLANConfig",
  "BondConfig",
  "BridgeConfig",
  "DummyLinkConfig",
  "Layer2VIPConfig",
  "WireguardConfig",
  "LinkAliasConfig",
  "RegistryMirrorConfig",
  "RegistryAuthConfig",
  "RegistryTLSConfig",
  "KubeSpanEndpointsConfig",
  "NetworkRuleConfig",
  "NetworkDefaultActionConfig",
  "EthernetConfig",
  "ExtensionServiceConfig",
  "UserVolumeConfig",
  "VolumeConfig",
  "RawVolumeConfig",
  "ExistingVolumeConfig",
  "SwapVolumeConfig",
  "ZswapConfig",
  "WatchdogTimerConfig",
  "KmsgLogConfig",
  "EventSinkConfig",
  "SideroLinkConfig",
  "TrustedRootsConfig",
  "PCIDriverRebindConfig",
  "KernelModuleConfig",
  "UnattendedInstallConfig",
  "KubeletConfig",
  "KubeAPIServerConfig",
  "KubeControllerManagerConfig",
  "KubeSchedulerConfig",
  "KubeProxyConfig",
  "EtcdConfig",
  "ClusterConfig",
  "ImageCacheConfig",
  "OOMConfig",
  "EnvironmentConfig",
  // Talos 1.14 (what `gen config` emits for the 1.14 contract)
  "DiscoveryIdentityConfig",
  "DiscoveryServiceConfig",
  "FilesystemTrimConfig",
  "SecurityProfileConfig",
  "SysctlConfig",
  "KubeAPIServerCAConfig",
  "KubeAdmissionControlConfig",
  "KubeAggregatorCAConfig",
  "KubeAuditPolicyConfig",
  "KubeAuthenticationConfig",
  "KubeAuthorizerConfig",
  "KubeClusterConfig",
  "KubeCoreDNSConfig",
  "KubeEtcdEncryptionConfig",
  "KubeExternalManifestConfig",
  "KubeFlannelCNIConfig",
  "KubeNetworkConfig",
  "KubeNodeConfig",
  "KubePrismConfig",
  "KubeServiceAccountConfig",
]);
const MACHINE_TYPES = new Set(["controlplane", "worker", "init"]);

export class ConfigDecodeError extends Error {}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function decodeMachineConfig(text: string): DecodedConfig {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) throw new ConfigDecodeError("failed to parse config: not YAML documents");
  let v1: Record<string, unknown> | undefined;
  const documents: { kind: string; name?: string; body: Record<string, unknown> }[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new ConfigDecodeError(`failed to parse config: ${doc.errors[0]!.message}`);
    const body = doc.toJS() as unknown;
    if (body === null || body === undefined) continue;
    if (!isMap(body)) throw new ConfigDecodeError("failed to parse config: each document must be a mapping");
    if (body["kind"] === undefined) {
      if (v1) throw new ConfigDecodeError("failed to parse config: duplicate v1alpha1 document");
      for (const key of Object.keys(body)) {
        if (!V1ALPHA1_TOP.has(key))
          throw new ConfigDecodeError(`failed to decode v1alpha1 config: unknown field "${key}"`);
      }
      if (body["version"] !== "v1alpha1")
        throw new ConfigDecodeError(`unknown config version "${String(body["version"])}"`);
      v1 = body;
      continue;
    }
    const kind = String(body["kind"]);
    if (body["apiVersion"] !== "v1alpha1")
      throw new ConfigDecodeError(`${kind}: unsupported apiVersion "${String(body["apiVersion"])}"`);
    if (!KNOWN_KINDS.has(kind)) throw new ConfigDecodeError(`unknown document kind "${kind}" (apiVersion v1alpha1)`);
    documents.push({ kind, ...(typeof body["name"] === "string" ? { name: body["name"] } : {}), body });
  }
  if (!v1) throw new ConfigDecodeError("config has no v1alpha1 document (version: v1alpha1, machine, cluster)");
  const machine = isMap(v1["machine"]) ? v1["machine"] : {};
  const cluster = isMap(v1["cluster"]) ? v1["cluster"] : {};
  const type = String(machine["type"] ?? "");
  if (!MACHINE_TYPES.has(type))
    throw new ConfigDecodeError(`machine.type "${type}" is invalid: expected controlplane or worker`);
  const network = isMap(machine["network"]) ? machine["network"] : {};
  const install = isMap(machine["install"]) ? machine["install"] : {};
  const hostnameDoc = documents.find((d) => d.kind === "HostnameConfig");
  const hostname =
    typeof hostnameDoc?.body["hostname"] === "string"
      ? hostnameDoc.body["hostname"]
      : typeof network["hostname"] === "string"
        ? network["hostname"]
        : undefined;
  const cp = isMap(cluster["controlPlane"]) ? cluster["controlPlane"] : {};
  return {
    text,
    machineType: type as DecodedConfig["machineType"],
    ...(hostname ? { hostname } : {}),
    ...(typeof install["image"] === "string" ? { installImage: install["image"] } : {}),
    ...(typeof cluster["clusterName"] === "string" ? { clusterName: cluster["clusterName"] } : {}),
    ...(typeof cp["endpoint"] === "string" ? { controlPlaneEndpoint: cp["endpoint"] } : {}),
    v1alpha1: v1,
    documents,
  };
}

/**
 * Sections Talos can change without a reboot (`CanApplyImmediate`: .debug, .cluster and these .machine keys —
 * `.machine.install` among them, since install settings do nothing on an installed node); anything else differing
 * needs a reboot. Extra documents apply live.
 */
const LIVE_MACHINE_KEYS = new Set([
  "ca",
  "acceptedCAs",
  "install",
  "network",
  "kubelet",
  "time",
  "sysctls",
  "sysfs",
  "registries",
  "certSANs",
  "logging",
  "controlPlane",
  "pods",
  "seccompProfiles",
  "nodeLabels",
  "nodeAnnotations",
  "nodeTaints",
  "features",
  "kernel",
]);

/** The Kubernetes version the kubelet image pins (`KubeletConfig.image` from 1.14, `.machine.kubelet.image` before). */
export function kubeletVersion(cfg: DecodedConfig): string | undefined {
  const fromDoc = cfg.documents.find((d) => d.kind === "KubeletConfig")?.body["image"];
  const machine = isMap(cfg.v1alpha1["machine"]) ? cfg.v1alpha1["machine"] : {};
  const kubelet = isMap(machine["kubelet"]) ? machine["kubelet"] : {};
  const image =
    typeof fromDoc === "string" ? fromDoc : typeof kubelet["image"] === "string" ? kubelet["image"] : undefined;
  return image ? /:(v\d+\.\d+\.\d+[^@]*)/.exec(image)?.[1] : undefined;
}

export function rebootReasons(from: DecodedConfig, to: DecodedConfig): string[] {
  const reasons: string[] = [];
  const keys = new Set([...Object.keys(from.v1alpha1), ...Object.keys(to.v1alpha1)]);
  for (const k of keys) {
    if (k === "debug" || k === "cluster" || k === "machine") continue;
    if (!isDeepStrictEqual(from.v1alpha1[k], to.v1alpha1[k])) reasons.push(`.${k}`);
  }
  const fm = (isMap(from.v1alpha1["machine"]) ? from.v1alpha1["machine"] : {}) as Record<string, unknown>;
  const tm = (isMap(to.v1alpha1["machine"]) ? to.v1alpha1["machine"] : {}) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(fm), ...Object.keys(tm)])) {
    if (LIVE_MACHINE_KEYS.has(k)) continue;
    if (!isDeepStrictEqual(fm[k], tm[k])) reasons.push(`.machine.${k}`);
  }
  return reasons.sort();
}

/** The config facts the simulated node's observable state (addresses, resolvers, Kubernetes node, modules) derives from. */
export function configFacts(cfg: DecodedConfig): MachineConfigFacts {
  let facts = factsOf.get(cfg);
  if (!facts) factsOf.set(cfg, (facts = machineConfigFacts(cfg.text)));
  return facts;
}

// Every resource read of a simulated node derives from its config's facts: parsed once per applied config, not once
// per request (a plan over 200 nodes read them ~1,000 times).
const factsOf = new WeakMap<DecodedConfig, MachineConfigFacts>();
