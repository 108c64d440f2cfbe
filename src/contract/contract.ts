import { DEFAULT_ETCD_VERSIONS } from "./etcd-versions.js";
import { TALOS_MINORS, type TalosMinorFacts } from "./versions.js";

/**
 * A Talos version contract, as in Talos's `pkg/machinery/config/contract.go`: major.minor only, patch ignored.
 * Every version-dependent behaviour of talform is a named predicate on this object.
 */
export interface TalosVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Pre-release suffix without the dash (`rc.1`), or "" for a release. */
  readonly pre: string;
}

const VERSION_RE = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?$/;

export function parseTalosVersion(text: string): TalosVersion | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]), pre: m[4] ?? "" };
}

export function formatTalosVersion(v: TalosVersion): string {
  return `v${v.major}.${v.minor}.${v.patch}${v.pre ? `-${v.pre}` : ""}`;
}

/** Compares two versions by major, minor, patch; a pre-release sorts before its release. */
export function compareTalosVersions(a: TalosVersion, b: TalosVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.pre === b.pre) return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  return a.pre < b.pre ? -1 : 1;
}

export class TalosContract {
  readonly major: number;
  readonly minor: number;

  private constructor(major: number, minor: number) {
    this.major = major;
    this.minor = minor;
  }

  /** `contractFor("v1.12.3")` → the 1.12 contract; undefined if the text is not a version. */
  static parse(version: string): TalosContract | undefined {
    const v = parseTalosVersion(version);
    return v ? new TalosContract(v.major, v.minor) : undefined;
  }

  static of(major: number, minor: number): TalosContract {
    return new TalosContract(major, minor);
  }

  get name(): string {
    return `v${this.major}.${this.minor}`;
  }

  /** Strictly greater than `major.minor`, like Talos's `contract.Greater`. */
  greater(major: number, minor: number): boolean {
    return this.major > major || (this.major === major && this.minor > minor);
  }

  /** The facts row for this minor, when talform supports it. */
  get facts(): TalosMinorFacts | undefined {
    return TALOS_MINORS.find((m) => m.minor === this.name);
  }

  get supported(): boolean {
    return this.facts !== undefined;
  }

  // --- named predicates (mirroring Talos's contract.go; add new ones here, never compare versions elsewhere) ---

  /** Talos adds `node.kubernetes.io/exclude-from-external-load-balancers` to control planes itself (> 1.7). */
  addExcludeFromExternalLoadBalancer(): boolean {
    return this.greater(1, 7);
  }

  /** Network, hostname and registry settings are separate documents (> 1.11). */
  multidocNetworkConfigSupported(): boolean {
    return this.greater(1, 11);
  }

  /** `machine.install.grubUseUKICmdline: true`; extraKernelArgs no longer copied into machine.install (> 1.11). */
  grubUseUKICmdlineDefault(): boolean {
    return this.greater(1, 11);
  }

  /** Kubernetes settings are separate `Kube*` documents; install settings are `UnattendedInstallConfig` (> 1.13). */
  multidocKubernetesConfigSupported(): boolean {
    return this.greater(1, 13);
  }

  /** `KernelModuleConfig` documents instead of `machine.kernel.modules` (> 1.13). */
  multidocKernelModuleConfigSupported(): boolean {
    return this.greater(1, 13);
  }

  /**
   * A MachineConfig resource's spec marshals as one YAML string and the resource carries the `talos.dev/yaml-spec`
   * annotation (>= 1.12, Talos 92eeaa482 "fix: update YAML library"); older Talos puts the config document(s)
   * into `yaml_spec` verbatim (a RawYAML spec), which talosctl still reads that way when the annotation is absent.
   */
  machineConfigSpecAsString(): boolean {
    return this.greater(1, 11);
  }

  /** The Lifecycle/Image API is used for upgrades instead of MachineService.Upgrade (> 1.12). */
  lifecycleUpgradeApi(): boolean {
    return this.greater(1, 12);
  }

  /**
   * An installer image can be pulled through the node's own `ImageService.Pull` (system containerd) before it is
   * drained, as talosctl does (> 1.12). Older nodes have only CRI `ImagePull`: talform asks the factory's registry.
   */
  installerPrePullApi(): boolean {
    return this.greater(1, 12);
  }

  /** apply-config in AUTO mode never reboots the node (> 1.13). */
  applyNeverReboots(): boolean {
    return this.greater(1, 13);
  }

  /** The new cluster id in a secrets bundle is standard base64 (> 1.13) rather than URL-safe base64. */
  clusterIdStdBase64(): boolean {
    return this.greater(1, 13);
  }

  /** The service-account key of new bundles is RSA-4096 (> 1.6) rather than ECDSA P-256. */
  useRSAServiceAccountKey(): boolean {
    return this.greater(1, 6);
  }

  // --- machine-config generation (Talos `generate` package switches; 1.3–1.15 differ only in these) ---

  /** `machine.features.diskQuotaSupport: true` (> 1.4). */
  diskQuotaSupportEnabled(): boolean {
    return this.greater(1, 4);
  }

  /** `machine.features.kubePrism: {enabled: true, port: 7445}` — or a `KubePrismConfig` document from 1.14 (> 1.5). */
  kubePrismEnabled(): boolean {
    return this.greater(1, 5);
  }

  /** Host DNS is on: `machine.features.hostDNS.enabled: true` — or a `ResolverConfig` document from 1.14 (> 1.6). */
  hostDNSEnabled(): boolean {
    return this.greater(1, 6);
  }

  /** `hostDNS.forwardKubeDNSToHost: true` (> 1.7). */
  hostDNSForwardKubeDNSToHost(): boolean {
    return this.greater(1, 7);
  }

  /**
   * Validation in container mode requires host DNS with kube-dns forwarding (> 1.6: the check appears in Talos 1.7's
   * `v1alpha1_validation.go`; 1.7's own generator does not set `forwardKubeDNSToHost`, so its configs need a patch).
   */
  containerModeRequiresHostDNS(): boolean {
    return this.greater(1, 6);
  }

  /** `cluster.clusterName` is written into worker configs too (> 1.7); before, only control planes carry it. */
  clusterNameForWorkers(): boolean {
    return this.greater(1, 7);
  }

  /** `machine.features.stableHostname: true` in v1alpha1, only until HostnameConfig documents exist (1.2–1.11). */
  stableHostnameInV1Alpha1(): boolean {
    return this.greater(1, 1) && !this.multidocNetworkConfigSupported();
  }

  /** Talos locks RBAC, apid ExtKeyUsage checks and disabled PSP, so gen config stops emitting them (> 1.11). */
  hideRBACAndKeyUsage(): boolean {
    return this.greater(1, 11);
  }

  /** `cluster.apiServer.disablePodSecurityPolicy` is no longer emitted (> 1.11). */
  hideDisablePSP(): boolean {
    return this.greater(1, 11);
  }

  /** The control-plane endpoint host is put first into `cluster.apiServer.certSANs` (≤ 1.11). */
  populateClusterSANsFromEndpoint(): boolean {
    return !this.greater(1, 11);
  }

  /** No empty `machine.network: {}`; KubeSpan is a `KubeSpanConfig` document (> 1.12). */
  kubeSpanMultidocConfig(): boolean {
    return this.greater(1, 12);
  }

  /** Host DNS settings live in a `ResolverConfig` document (> 1.13), which Talos refuses beside `machine.features.hostDNS`. */
  hostDNSMultidocConfig(): boolean {
    return this.greater(1, 13);
  }

  /** The discovery service is a `DiscoveryServiceConfig` document (> 1.13). */
  discoveryServiceMultidocConfig(): boolean {
    return this.greater(1, 13);
  }

  /** Cluster id/secret live in a `DiscoveryIdentityConfig` document (> 1.13). */
  discoveryIdentityMultidocConfig(): boolean {
    return this.greater(1, 13);
  }

  /** Install settings are an `UnattendedInstallConfig` document instead of `machine.install` (> 1.13). */
  unattendedInstallConfig(): boolean {
    return this.greater(1, 13);
  }

  /** gen config emits `VolumeConfig EPHEMERAL {mount.secure}` and `FilesystemTrimConfig` (> 1.13). */
  filesystemTrimEnabledByDefault(): boolean {
    return this.greater(1, 13);
  }

  /** gen config emits `SecurityProfileConfig {workloadIsolation: true}` (> 1.13). */
  workloadIsolationEnabledByDefault(): boolean {
    return this.greater(1, 13);
  }

  /** Sysctls are a `SysctlConfig` document instead of `machine.sysctls` (> 1.13). */
  multidocSysctlConfigSupported(): boolean {
    return this.greater(1, 13);
  }

  /**
   * Talos refuses encryption of STATE/EPHEMERAL in both a VolumeConfig document and `machine.systemDiskEncryption`
   * (> 1.11; 1.10–1.11 machinery has VolumeConfig encryption but no such check).
   */
  systemDiskEncryptionConflictsWithVolumeConfig(): boolean {
    return this.greater(1, 11);
  }

  /** Talos's encoder omits an empty `cluster.controlPlane` (≥ 1.14 machinery); older ones write `controlPlane: null`. */
  clusterControlPlaneOmitEmpty(): boolean {
    return this.greater(1, 13);
  }

  /** One patch may contain the same document twice (applied in order) — ≥ 1.14 machinery; older ones reject it. */
  patchRepeatedDocumentsAllowed(): boolean {
    return this.greater(1, 13);
  }

  /**
   * The kubelet takes extra bind mounts (`machine.kubelet.extraMounts`) only while it is configured in v1alpha1
   * (≤ 1.13): the `KubeletConfig` document has no mounts (machinery's `ExtraMounts()` returns nil), and a legacy
   * `machine.kubelet` beside it is refused. From 1.14 user volumes (`/var/mnt/<name>`) are what Talos propagates
   * into the kubelet.
   */
  kubeletExtraMountsSupported(): boolean {
    return !this.multidocKubernetesConfigSupported();
  }

  /** `machine.files` draws Talos's deprecation warning (≥ 1.14: "use dedicated configuration documents instead"). */
  machineFilesDeprecated(): boolean {
    return this.greater(1, 13);
  }

  /**
   * NVIDIA GPUs are wired through CDI with the gpu-operator (> 1.12): no `nvidia` default runtime, no
   * `net.core.bpf_jit_harden` sysctl, no device plugin (Talos 1.13 release note "NVIDIA GPU Support").
   */
  nvidiaGpuViaCdi(): boolean {
    return this.greater(1, 12);
  }

  /** Maintenance mode is served by apid itself, with reader access to the read-only API (> 1.12; commit b7d70cf62). */
  unifiedMaintenanceApi(): boolean {
    return this.greater(1, 12);
  }

  /** Kernel modules are `KernelModuleConfig` documents instead of `.machine.kernel.modules` (> 1.13; kinds-by-version). */
  kernelModuleMultidocConfig(): boolean {
    return this.greater(1, 13);
  }

  /**
   * Talos no longer reboots for any config change (AUTO = NO_REBOOT), so the changes its docs list as needing a
   * reboot (etcd, environment, kernel modules, encryption) get an explicit, drained `reboot` from talform (> 1.13).
   */
  explicitRebootForConfigChanges(): boolean {
    return this.applyNeverReboots();
  }

  /** The etcd version (no `v`) the node runs by default: what `etcd status` reports as its protocol version. */
  defaultEtcdVersion(): string {
    const older = DEFAULT_ETCD_VERSIONS.filter(([minor]) => this.major > 1 || minor <= this.minor);
    return (older[older.length - 1] ?? DEFAULT_ETCD_VERSIONS[0]!)[1];
  }

  /**
   * `upgrade-k8s` syncs the bootstrap manifests by server-side apply with an inventory and pruning (>= 1.13,
   * `SupportsSSAManifestSync` in talosctl); older Talos versions use the legacy sync (create or update, no pruning).
   */
  ssaManifestSync(): boolean {
    return this.greater(1, 12);
  }

  /** New bundles carry `secretboxencryptionsecret` (> 1.2) rather than `aescbcencryptionsecret`. */
  secretboxEncryptionSupported(): boolean {
    return this.greater(1, 2);
  }
}

export function contractFor(version: string): TalosContract | undefined {
  return TalosContract.parse(version);
}
