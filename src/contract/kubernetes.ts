/**
 * Kubernetes-version facts talform relies on for `upgrade-k8s`: the newest patch of each minor (multi-hop paths go
 * through it) and what each minor step removes (API resources, flags, feature gates, admission plugins). Like the
 * Talos table in `versions.ts`, version differences live here as data, never as comparisons scattered in the code.
 *
 * Sources: siderolabs/go-kubernetes `kubernetes/upgrade/checks.go` (the removed items per step, which talosctl
 * upgrade-k8s checks) and `path.go` (+0/+1 minor per step); the Kubernetes deprecation guide; latest patches are the
 * `DefaultKubernetesVersion`s of Talos releases where one exists.
 */
export interface KubernetesVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** Orders `x.y.z` versions (unparseable ones first). */
export function compareKubernetesVersions(a: string, b: string): number {
  const [x, y] = [parseKubernetesVersion(a), parseKubernetesVersion(b)];
  if (!x || !y) return x ? 1 : y ? -1 : 0;
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

/** `1.36.3` (no `v`: the form talconfig's kubernetesVersion and plans use). */
export function formatKubernetesVersion(v: KubernetesVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Newest patch talform knows of per Kubernetes minor (intermediate hops of a multi-minor upgrade use it). */
export const KUBERNETES_LATEST_PATCH: Readonly<Record<string, string>> = {
  "1.28": "1.28.15",
  "1.29": "1.29.15",
  "1.30": "1.30.14",
  "1.31": "1.31.14",
  "1.32": "1.32.9",
  "1.33": "1.33.6",
  "1.34": "1.34.1",
  "1.35": "1.35.4",
  "1.36": "1.36.3",
  "1.37": "1.37.0",
};

/** What one minor step (`1.31->1.32`) removes. API resources are `resource.version.group`, as kubectl spells them. */
export interface RemovedInStep {
  readonly apiResources?: readonly string[];
  readonly apiServerFlags?: readonly string[];
  readonly controllerManagerFlags?: readonly string[];
  readonly schedulerFlags?: readonly string[];
  readonly kubeletFlags?: readonly string[];
  readonly admissionPlugins?: readonly string[];
  readonly featureGates?: readonly string[];
}

export const KUBERNETES_REMOVED: Readonly<Record<string, RemovedInStep>> = {
  "1.24->1.25": {
    apiResources: ["podsecuritypolicies.v1beta1.policy"],
    apiServerFlags: ["service-account-api-audiences"],
    admissionPlugins: ["PodSecurityPolicy"],
    controllerManagerFlags: ["deleting-pods-qps", "deleting-pods-burst", "register-retry-count"],
    featureGates: ["CSIVolumeFSGroupPolicy", "ConfigurableFSGroupPolicy", "PodDisruptionBudget", "SelectorIndex"],
  },
  "1.25->1.26": { apiServerFlags: ["master-service-namespace"], featureGates: ["DynamicKubeletConfig"] },
  "1.26->1.27": {
    controllerManagerFlags: ["enable-taint-manager", "pod-eviction-timeout"],
    kubeletFlags: ["container-runtime", "master-service-namespace"],
    featureGates: [
      "ExpandCSIVolumes",
      "ExpandInUsePersistentVolumes",
      "ExpandPersistentVolumes",
      "ControllerManagerLeaderMigration",
      "CSIMigration",
      "CSIInlineVolume",
      "EphemeralContainers",
      "LocalStorageCapacityIsolation",
      "NetworkPolicyEndPort",
      "StatefulSetMinReadySeconds",
      "IdentifyPodOS",
      "DaemonSetUpdateSurge",
    ],
  },
  "1.27->1.28": {
    featureGates: [
      "AdvancedAuditing",
      "DelegateFSGroupToCSIDriver",
      "DevicePlugins",
      "DisableAcceleratorUsageMetrics",
      "EndpointSliceTerminatingCondition",
      "CSIStorageCapacity",
      "CSIMigrationGCE",
      "KubeletCredentialProviders",
      "MixedProtocolLBService",
      "ServiceInternalTrafficPolicy",
      "ServiceIPStaticSubrange",
      "WindowsHostProcessContainers",
    ],
  },
  "1.28->1.29": { apiResources: ["clustercidrs.v1alpha1.networking.k8s.io"] },
  "1.29->1.30": {
    featureGates: [
      "ExpandedDNSConfig",
      "ExperimentalHostUserNamespaceDefaultingGate",
      "IPTablesOwnershipCleanup",
      "KubeletPodResources",
      "KubeletPodResourcesGetAllocatable",
      "MinimizeIPTablesRestore",
      "ProxyTerminatingEndpoints",
      "RemoveSelfLink",
    ],
    admissionPlugins: ["SecurityContextDeny"],
  },
  "1.30->1.31": {
    featureGates: [
      "APIPriorityAndFairness",
      "CSINodeExpandSecret",
      "ConsistentHTTPGetHandlers",
      "DefaultHostNetworkHostPortsInPodTemplates",
      "ServiceNodePortStaticSubrange",
      "SkipReadOnlyValidationGCE",
    ],
    kubeletFlags: ["keep-terminated-pod-volumes", "iptables-masquerade-bit", "iptables-drop-bit"],
    controllerManagerFlags: [
      "volume-host-cidr-denylist",
      "volume-host-allow-local-loopback",
      "horizontal-pod-autoscaler-upscale-delay",
      "horizontal-pod-autoscaler-downscale-delay",
    ],
  },
  "1.31->1.32": {
    featureGates: [
      "AllowServiceLBStatusOnNonLB",
      "CloudDualStackNodeIPs",
      "DRAControlPlaneController",
      "HPAContainerMetrics",
      "KMSv2",
      "KMSv2KDF",
      "LegacyServiceAccountTokenCleanUp",
      "MinDomainsInPodTopologySpread",
      "NewVolumeManagerReconstruction",
      "NodeOutOfServiceVolumeDetach",
      "ServerSideApply",
      "ServerSideFieldValidation",
      "StableLoadBalancerNodeSet",
      "ValidatingAdmissionPolicy",
      "ZeroLimitedNominalConcurrencyShares",
    ],
    apiResources: ["podschedulingcontexts.v1alpha3.resource.k8s.io"],
  },
  "1.32->1.33": {
    featureGates: [
      "AppArmor",
      "AppArmorFields",
      "CPUManager",
      "DisableCloudProviders",
      "DisableKubeletCloudCredentialProviders",
      "JobPodFailurePolicy",
      "KubeProxyDrainingTerminatingNodes",
      "PDBUnhealthyPodEvictionPolicy",
      "PersistentVolumeLastPhaseTransitionTime",
      "VolumeCapacityPriority",
    ],
    apiServerFlags: ["cloud-config"],
  },
  "1.33->1.34": {
    featureGates: ["DevicePluginCDIDevices", "LegacySidecarContainers", "PodDisruptionConditions"],
    kubeletFlags: ["cloud-config"],
  },
  "1.34->1.35": {
    kubeletFlags: ["pod-infra-container-image"],
    featureGates: ["SizeMemoryBackedVolumes", "UserNamespacesHostNetworkSupport"],
  },
  "1.35->1.36": {
    featureGates: [
      "CSIMigrationPortworx",
      "HonorPVReclaimPolicy",
      "InTreePluginPortworxUnregister",
      "WatchFromStorageWithoutResourceVersion",
    ],
  },
  "1.36->1.37": {
    featureGates: [
      "AnyVolumeDataSource",
      "DeclarativeValidationTakeover",
      "GangScheduling",
      "PreventStaticPodAPIReferences",
      "WorkloadAwarePreemption",
    ],
    apiResources: ["workloads.v1alpha2.scheduling.k8s.io", "podgroups.v1alpha2.scheduling.k8s.io"],
    kubeletFlags: [
      "application-metrics-count-limit",
      "boot-id-file",
      "container-hints",
      "containerd",
      "containerd-namespace",
      "enable-load-reader",
      "event-storage-age-limit",
      "event-storage-event-limit",
      "global-housekeeping-interval",
      "log-cadvisor-usage",
      "machine-id-file",
      "storage-driver-user",
      "storage-driver-password",
      "storage-driver-host",
      "storage-driver-db",
      "storage-driver-table",
      "storage-driver-secure",
      "storage-driver-buffer-duration",
    ],
  },
};

/** The removed items of one step `from → to` (`1.31.x → 1.32.y`), empty for a patch-only move. */
export function removedInStep(from: string, to: string): RemovedInStep {
  const f = parseKubernetesVersion(from);
  const t = parseKubernetesVersion(to);
  if (!f || !t || f.minor === t.minor) return {};
  return KUBERNETES_REMOVED[`${f.major}.${f.minor}->${t.major}.${t.minor}`] ?? {};
}

/**
 * API resources (`resource.version.group`) the version `k8s` no longer serves: those removed in any step up to it.
 * The simulated API server serves exactly the others.
 */
export function removedApiResourcesBy(k8s: string): readonly string[] {
  const v = parseKubernetesVersion(k8s);
  if (!v) return [];
  return Object.entries(KUBERNETES_REMOVED).flatMap(([step, r]) => {
    const to = Number(step.split("->")[1]!.split(".")[1]);
    return to <= v.minor ? (r.apiResources ?? []) : [];
  });
}

/**
 * The Kubernetes versions to upgrade through, `from` excluded, `to` included: one minor per step (+0 or +1, as
 * `talosctl upgrade-k8s` allows), the intermediate minors at their newest known patch.
 */
export function kubernetesUpgradePath(from: string, to: string): { hops: string[] } | { error: string } {
  const f = parseKubernetesVersion(from);
  const t = parseKubernetesVersion(to);
  if (!f || !t)
    return { error: `cannot plan a Kubernetes upgrade from "${from}" to "${to}": not Kubernetes versions (x.y.z)` };
  if (f.major !== t.major)
    return { error: `Kubernetes upgrades across major versions (${from} → ${to}) are not supported` };
  if (t.minor < f.minor || (t.minor === f.minor && t.patch < f.patch)) {
    return { error: `Kubernetes ${from} → ${to} is a downgrade, which Kubernetes does not support` };
  }
  if (t.minor === f.minor && t.patch === f.patch) return { hops: [] };
  const hops: string[] = [];
  for (let minor = f.minor + 1; minor < t.minor; minor++) {
    const latest = KUBERNETES_LATEST_PATCH[`${f.major}.${minor}`];
    if (!latest)
      return { error: `no known release of Kubernetes ${f.major}.${minor} to upgrade through (from ${from} to ${to})` };
    hops.push(latest);
  }
  hops.push(formatKubernetesVersion(t));
  return { hops };
}
