import type { TalosContract } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";
import { goMap, struct, type YamlMap, type YamlNode } from "./yaml/node.js";

/**
 * Base machine-config generation, reproducing `talosctl gen config` / Talos's `generate.NewInput(...).Config(type)`
 * for the version contracts talform supports (1.3–1.15). Key order is Go struct field order (the documents are built as ordered
 * maps); every version difference is a named predicate on `TalosContract`.
 *
 * Per-node settings (hostname, interfaces, nameservers, labels …) are layered on afterwards as strategic-merge
 * patches (`./patch`), exactly as talhelper and talosctl do.
 */
export type MachineType = "controlplane" | "worker";

export interface GenerateMachineConfigInput {
  readonly bundle: SecretsBundle;
  readonly contract: TalosContract;
  readonly machineType: MachineType;
  readonly clusterName: string;
  /** `https://host:port` of the Kubernetes API (`cluster.controlPlane.endpoint`). */
  readonly endpoint: string;
  /** Without the `v`: `1.36.3`. */
  readonly kubernetesVersion: string;
  readonly installDisk?: string;
  readonly installImage?: string;
  readonly options?: GenerateOptions;
}

/** The `generate.With…` options talform uses (names follow Talos's options). */
export interface GenerateOptions {
  /** `WithAdditionalSubjectAltNames`: `machine.certSANs` and the API server certificate SANs. */
  readonly additionalSubjectAltNames?: readonly string[];
  readonly allowSchedulingOnControlPlanes?: boolean;
  /** Default `cluster.local`. */
  readonly dnsDomain?: string;
  readonly installExtraKernelArgs?: readonly string[];
  readonly localAPIServerPort?: number;
  readonly sysctls?: Readonly<Record<string, string>>;
  /** A custom CNI manifest URL (`cluster.network.cni: {name: custom}`). */
  readonly customCNIUrl?: string;
  /** Registry mirrors: host → endpoint URLs. */
  readonly registryMirrors?: Readonly<Record<string, readonly string[]>>;
  /** Cluster discovery (default true, as talosctl). */
  readonly discoveryEnabled?: boolean;
  /** KubePrism port; 0 disables it. Default 7445. */
  readonly kubePrismPort?: number;
  /**
   * `Input.AdditionalMachineCertSANs` set on its own (talhelper's `additionalMachineCertSans`): `machine.certSANs`
   * only. Default: `additionalSubjectAltNames`, as `WithAdditionalSubjectAltNames` sets both.
   */
  readonly additionalMachineCertSANs?: readonly string[];
  /** `Input.PodNet` (default 10.244.0.0/16, or the IPv6 default for an IPv6 endpoint). */
  readonly podSubnets?: readonly string[];
  /** `Input.ServiceNet` (default 10.96.0.0/12, or the IPv6 default for an IPv6 endpoint). */
  readonly serviceSubnets?: readonly string[];
}

const KUBELET_IMAGE = "ghcr.io/siderolabs/kubelet";
const APISERVER_IMAGE = "registry.k8s.io/kube-apiserver";
const CONTROLLER_MANAGER_IMAGE = "registry.k8s.io/kube-controller-manager";
const SCHEDULER_IMAGE = "registry.k8s.io/kube-scheduler";
const PROXY_IMAGE = "registry.k8s.io/kube-proxy";
const DEFAULT_KUBEPRISM_PORT = 7445;
const DEFAULT_DISCOVERY_ENDPOINT = "https://discovery.talos.dev/";
const LABEL_CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
const LABEL_EXCLUDE_FROM_LB = "node.kubernetes.io/exclude-from-external-load-balancers";
const POD_SUBNET_V4 = "10.244.0.0/16";
const SERVICE_SUBNET_V4 = "10.96.0.0/12";
const POD_SUBNET_V6 = "fc00:db8:10::/56";
const SERVICE_SUBNET_V6 = "fc00:db8:20::/112";

const b64 = (pem: string): string => Buffer.from(pem, "utf8").toString("base64");
const doc = (kind: string, entries: readonly (readonly [string, YamlNode | undefined])[]): YamlMap =>
  struct([["apiVersion", "v1alpha1"], ["kind", kind], ...entries]);
const list = (items: readonly string[] | undefined): readonly string[] | undefined =>
  items && items.length > 0 ? items : undefined;

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TalformError(`control-plane endpoint "${endpoint}" is not a URL`, {
      code: "endpoint",
      hint: "use https://<host>:6443",
    });
  }
  if (url.protocol !== "https:") {
    throw new TalformError(`control-plane endpoint "${endpoint}" must use https`, {
      code: "endpoint",
      hint: "use https://<host>:6443",
    });
  }
  return url;
}

/** Go's `url.Hostname()`: the host without port and without IPv6 brackets. */
const hostnameOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1");

/** Returns the documents of one machine config, in the order Talos emits them. */
export function generateMachineConfig(input: GenerateMachineConfigInput): YamlMap[] {
  const { contract: c, bundle, machineType } = input;
  const o = input.options ?? {};
  const cp = machineType === "controlplane";
  const url = parseEndpoint(input.endpoint);
  const k8s = input.kubernetesVersion.replace(/^v/, "");
  const multiK8s = c.multidocKubernetesConfigSupported();
  const dnsDomain = o.dnsDomain ?? "cluster.local";
  // Talos picks IPv6 defaults only when the endpoint string itself is a bare IPv6 address (never a URL).
  const ipv6 = /^[0-9a-fA-F:]+$/.test(input.endpoint) && input.endpoint.includes(":");
  const podNet = o.podSubnets && o.podSubnets.length > 0 ? [...o.podSubnets] : [ipv6 ? POD_SUBNET_V6 : POD_SUBNET_V4];
  const serviceNet =
    o.serviceSubnets && o.serviceSubnets.length > 0
      ? [...o.serviceSubnets]
      : [ipv6 ? SERVICE_SUBNET_V6 : SERVICE_SUBNET_V4];
  const discovery = o.discoveryEnabled ?? true;
  const kubePrismPort = o.kubePrismPort ?? DEFAULT_KUBEPRISM_PORT;
  // An explicit port decides (0 disables); without one, KubePrism is on from the 1.6 contract.
  const kubePrismOn = o.kubePrismPort !== undefined ? o.kubePrismPort > 0 : c.kubePrismEnabled();
  const hostDNS = () =>
    struct([
      ["enabled", true],
      ["forwardKubeDNSToHost", c.hostDNSForwardKubeDNSToHost() ? true : undefined],
    ]);
  const sans = o.additionalSubjectAltNames ?? [];
  const apiServerSANs = [...(c.populateClusterSANsFromEndpoint() ? [hostnameOf(url)] : []), ...sans];
  const mirrors = Object.entries(o.registryMirrors ?? {});
  const secretbox = bundle.secrets.secretboxencryptionsecret;
  const aescbc = bundle.secrets.aescbcencryptionsecret;

  const osCA = struct([
    ["crt", b64(bundle.certs.os.crt)],
    ["key", cp ? b64(bundle.certs.os.key) : ""],
  ]);

  const kubelet = multiK8s
    ? undefined
    : struct([
        ["image", `${KUBELET_IMAGE}:v${k8s}`],
        ["defaultRuntimeSeccompProfileEnabled", true],
        ["disableManifestsDirectory", true],
      ]);

  const install = c.unattendedInstallConfig()
    ? undefined
    : struct([
        ["disk", input.installDisk],
        ["extraKernelArgs", list(o.installExtraKernelArgs)],
        ["image", input.installImage],
        ["wipe", false],
        ["grubUseUKICmdline", c.grubUseUKICmdlineDefault() ? true : undefined],
      ]);

  const features = struct([
    ["rbac", c.hideRBACAndKeyUsage() ? undefined : true],
    ["stableHostname", c.stableHostnameInV1Alpha1() ? true : undefined],
    ["apidCheckExtKeyUsage", c.hideRBACAndKeyUsage() ? undefined : true],
    ["diskQuotaSupport", c.diskQuotaSupportEnabled() ? true : undefined],
    [
      "kubePrism",
      !multiK8s && kubePrismOn
        ? struct([
            ["enabled", true],
            ["port", kubePrismPort],
          ])
        : undefined,
    ],
    ["hostDNS", c.hostDNSEnabled() && !c.hostDNSMultidocConfig() ? hostDNS() : undefined],
  ]);

  const registries =
    !c.multidocNetworkConfigSupported() && mirrors.length > 0
      ? struct([
          [
            "mirrors",
            goMap(Object.fromEntries(mirrors.map(([host, eps]) => [host, struct([["endpoints", [...eps]]])]))),
          ],
        ])
      : undefined;

  const machine = struct([
    ["type", machineType],
    ["token", bundle.trustdinfo.token],
    ["ca", osCA],
    ["certSANs", [...(o.additionalMachineCertSANs ?? sans)]],
    ["kubelet", kubelet],
    ["network", c.kubeSpanMultidocConfig() ? undefined : new Map()],
    ["install", install],
    [
      "sysctls",
      !c.multidocSysctlConfigSupported() && o.sysctls && Object.keys(o.sysctls).length > 0
        ? goMap(o.sysctls)
        : undefined,
    ],
    ["registries", registries],
    ["features", features],
    [
      "nodeLabels",
      cp && !multiK8s && c.addExcludeFromExternalLoadBalancer() ? goMap({ [LABEL_EXCLUDE_FROM_LB]: "" }) : undefined,
    ],
  ]);

  const clusterNetwork = multiK8s
    ? undefined
    : struct([
        [
          "cni",
          o.customCNIUrl
            ? struct([
                ["name", "custom"],
                ["urls", [o.customCNIUrl]],
              ])
            : undefined,
        ],
        ["dnsDomain", dnsDomain],
        ["podSubnets", podNet],
        ["serviceSubnets", serviceNet],
      ]);

  const legacyDiscovery =
    c.discoveryServiceMultidocConfig() || !discovery
      ? undefined
      : struct([
          ["enabled", true],
          [
            "registries",
            struct([
              ["kubernetes", struct([["disabled", true]])],
              ["service", new Map()],
            ]),
          ],
        ]);

  const apiServer = struct([
    ["image", `${APISERVER_IMAGE}:v${k8s}`],
    ["certSANs", list(apiServerSANs)],
    ["disablePodSecurityPolicy", c.hideDisablePSP() ? undefined : true],
    [
      "admissionControl",
      [
        struct([
          ["name", "PodSecurity"],
          ["configuration", podSecurityConfiguration()],
        ]),
      ],
    ],
    ["auditPolicy", auditPolicy()],
  ]);

  const cluster = struct([
    ["id", c.discoveryIdentityMultidocConfig() ? undefined : bundle.cluster.id],
    ["secret", c.discoveryIdentityMultidocConfig() ? undefined : bundle.cluster.secret],
    [
      "controlPlane",
      multiK8s
        ? undefined
        : struct([
            ["endpoint", input.endpoint],
            ["localAPIServerPort", cp ? o.localAPIServerPort || undefined : undefined],
          ]),
    ],
    [
      "clusterName",
      c.discoveryIdentityMultidocConfig() || (!cp && !c.clusterNameForWorkers()) ? undefined : input.clusterName,
    ],
    ["network", clusterNetwork],
    ["token", bundle.secrets.bootstraptoken],
    ["aescbcEncryptionSecret", cp && !multiK8s && !secretbox ? aescbc : undefined],
    ["secretboxEncryptionSecret", cp && !multiK8s ? secretbox : undefined],
    [
      "ca",
      multiK8s
        ? undefined
        : struct([
            ["crt", b64(bundle.certs.k8s.crt)],
            ["key", cp ? b64(bundle.certs.k8s.key) : ""],
          ]),
    ],
    ["aggregatorCA", cp && !multiK8s ? pemPair(bundle.certs.k8saggregator) : undefined],
    ["serviceAccount", cp && !multiK8s ? struct([["key", b64(bundle.certs.k8sserviceaccount.key)]]) : undefined],
    ["apiServer", cp && !multiK8s ? apiServer : undefined],
    ["controllerManager", cp && !multiK8s ? struct([["image", `${CONTROLLER_MANAGER_IMAGE}:v${k8s}`]]) : undefined],
    ["proxy", cp && !multiK8s ? struct([["image", `${PROXY_IMAGE}:v${k8s}`]]) : undefined],
    ["scheduler", cp && !multiK8s ? struct([["image", `${SCHEDULER_IMAGE}:v${k8s}`]]) : undefined],
    ["discovery", legacyDiscovery],
    ["etcd", cp ? struct([["ca", pemPair(bundle.certs.etcd)]]) : undefined],
    ["allowSchedulingOnControlPlanes", cp && !multiK8s && o.allowSchedulingOnControlPlanes ? true : undefined],
  ]);

  const docs: YamlMap[] = [
    struct([
      ["version", "v1alpha1"],
      ["debug", false],
      ["persist", true],
      ["machine", machine],
      ["cluster", cluster],
    ]),
  ];

  if (discovery && c.discoveryServiceMultidocConfig()) {
    docs.push(
      doc("DiscoveryServiceConfig", [
        ["name", "default"],
        ["endpoint", DEFAULT_DISCOVERY_ENDPOINT],
      ]),
    );
  }
  if (c.discoveryIdentityMultidocConfig()) {
    docs.push(
      doc("DiscoveryIdentityConfig", [
        ["clusterID", bundle.cluster.id],
        ["clusterSecret", bundle.cluster.secret],
      ]),
    );
  }
  // The UnattendedInstallConfig needs a disk selector, so Talos emits it only when an install disk is given.
  if (c.unattendedInstallConfig() && input.installDisk) {
    docs.push(
      doc("UnattendedInstallConfig", [
        ["installer", struct([["image", input.installImage]])],
        [
          "provisioning",
          struct([
            ["diskSelector", struct([["match", `disk.dev_path == ${goQuote(input.installDisk)}`]])],
            ["wipe", false],
          ]),
        ],
      ]),
    );
  }
  if (c.hostDNSEnabled() && c.hostDNSMultidocConfig()) {
    docs.push(doc("ResolverConfig", [["hostDNS", hostDNS()]]));
  }
  if (c.multidocSysctlConfigSupported() && o.sysctls && Object.keys(o.sysctls).length > 0) {
    docs.push(doc("SysctlConfig", [["params", goMap(o.sysctls)]]));
  }
  if (c.filesystemTrimEnabledByDefault()) {
    docs.push(
      doc("VolumeConfig", [
        ["name", "EPHEMERAL"],
        ["mount", struct([["secure", true]])],
      ]),
    );
    docs.push(doc("FilesystemTrimConfig", [["interval", "168h0m0s"]]));
  }
  if (c.workloadIsolationEnabledByDefault()) {
    docs.push(doc("SecurityProfileConfig", [["workloadIsolation", true]]));
  }
  if (c.multidocNetworkConfigSupported()) {
    // Talos sorts registry documents by kind, then name.
    for (const [host, endpoints] of [...mirrors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      docs.push(
        doc("RegistryMirrorConfig", [
          ["name", host],
          ["endpoints", endpoints.map((url) => struct([["url", url]]))],
        ]),
      );
    }
    docs.push(doc("HostnameConfig", [["auto", "stable"]]));
  }
  if (multiK8s) docs.push(...kubernetesDocuments(input, o, apiServerSANs));
  return docs;
}

function pemPair(pair: { crt: string; key: string }): YamlMap {
  return struct([
    ["crt", b64(pair.crt)],
    ["key", b64(pair.key)],
  ]);
}

/** Go's `%q` for the ASCII paths used as install disks. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function podSecurityConfiguration(): YamlMap {
  return goMap({
    apiVersion: "pod-security.admission.config.k8s.io/v1alpha1",
    kind: "PodSecurityConfiguration",
    defaults: goMap({
      enforce: "baseline",
      "enforce-version": "latest",
      audit: "restricted",
      "audit-version": "latest",
      warn: "restricted",
      "warn-version": "latest",
    }),
    exemptions: goMap({ usernames: [], runtimeClasses: [], namespaces: ["kube-system"] }),
  });
}

function auditPolicy(): YamlMap {
  return goMap({ apiVersion: "audit.k8s.io/v1", kind: "Policy", rules: [goMap({ level: "Metadata" })] });
}

/** The `Kube*` documents of contracts with multi-document Kubernetes configuration (Talos 1.14+). */
function kubernetesDocuments(
  input: GenerateMachineConfigInput,
  o: GenerateOptions,
  apiServerSANs: readonly string[],
): YamlMap[] {
  const { bundle, machineType } = input;
  const cp = machineType === "controlplane";
  const k8s = input.kubernetesVersion.replace(/^v/, "");
  const kubePrismPort = o.kubePrismPort ?? DEFAULT_KUBEPRISM_PORT;
  const labels = cp
    ? goMap({
        [LABEL_CONTROL_PLANE]: "",
        ...(input.contract.addExcludeFromExternalLoadBalancer() ? { [LABEL_EXCLUDE_FROM_LB]: "" } : {}),
      })
    : undefined;
  const docs: YamlMap[] = [
    doc("KubeClusterConfig", [
      ["clusterName", input.clusterName],
      ["endpoint", input.endpoint],
    ]),
    doc("KubeNodeConfig", [
      ["nodeIP", new Map()],
      ["labels", labels],
      ["taints", cp && !o.allowSchedulingOnControlPlanes ? goMap({ [LABEL_CONTROL_PLANE]: "NoSchedule" }) : undefined],
    ]),
    doc("KubeletConfig", [
      ["image", `${KUBELET_IMAGE}:v${k8s}`],
      ["config", new Map()],
      ["defaultRuntimeSeccompProfileEnabled", true],
    ]),
    doc("KubeNetworkConfig", [
      ["dnsDomain", o.dnsDomain ?? "cluster.local"],
      ["podSubnets", o.podSubnets && o.podSubnets.length > 0 ? [...o.podSubnets] : [POD_SUBNET_V4]],
      ["serviceSubnets", o.serviceSubnets && o.serviceSubnets.length > 0 ? [...o.serviceSubnets] : [SERVICE_SUBNET_V4]],
    ]),
    cp
      ? doc("KubeAPIServerCAConfig", [
          [
            "issuingCA",
            struct([
              ["cert", bundle.certs.k8s.crt],
              ["key", bundle.certs.k8s.key],
            ]),
          ],
        ])
      : doc("KubeAPIServerCAConfig", [["acceptedCAs", [bundle.certs.k8s.crt]]]),
  ];
  if (kubePrismPort > 0) docs.push(doc("KubePrismConfig", [["port", kubePrismPort]]));
  if (!cp) return docs;

  const providers: YamlMap[] = [];
  const secretboxKey = (name: string, secret: string): YamlMap =>
    goMap({ secretbox: goMap({ keys: [goMap({ name, secret })] }) });
  if (bundle.secrets.secretboxencryptionsecret)
    providers.push(secretboxKey("key2", bundle.secrets.secretboxencryptionsecret));
  if (bundle.secrets.aescbcencryptionsecret)
    providers.push(secretboxKey("key1", bundle.secrets.aescbcencryptionsecret));

  docs.push(
    doc("KubeAggregatorCAConfig", [
      [
        "issuingCA",
        struct([
          ["cert", bundle.certs.k8saggregator.crt],
          ["key", bundle.certs.k8saggregator.key],
        ]),
      ],
    ]),
    doc("KubeAdmissionControlConfig", [
      ["name", "PodSecurity"],
      ["configuration", podSecurityConfiguration()],
    ]),
    doc("KubeAuditPolicyConfig", [["configuration", auditPolicy()]]),
    doc("KubeAuthenticationConfig", [
      [
        "configuration",
        goMap({
          anonymous: goMap({
            enabled: true,
            conditions: ["/livez", "/readyz", "/healthz"].map((path) => goMap({ path })),
          }),
          jwt: [],
        }),
      ],
    ]),
    doc("KubeAuthorizerConfig", [
      ["name", "node"],
      ["type", "Node"],
    ]),
    doc("KubeAuthorizerConfig", [
      ["name", "rbac"],
      ["type", "RBAC"],
    ]),
    doc("KubeEtcdEncryptionConfig", [["config", goMap({ resources: [goMap({ providers, resources: ["secrets"] })] })]]),
    doc("KubeServiceAccountConfig", [
      [
        "issuer",
        struct([
          ["privateKey", bundle.certs.k8sserviceaccount.key],
          ["issuerURL", input.endpoint],
        ]),
      ],
    ]),
    doc("KubeAPIServerConfig", [
      ["image", `${APISERVER_IMAGE}:v${k8s}`],
      ["apiPort", o.localAPIServerPort || undefined],
      ["certExtraSANs", list(apiServerSANs)],
    ]),
    doc("KubeControllerManagerConfig", [["image", `${CONTROLLER_MANAGER_IMAGE}:v${k8s}`]]),
    doc("KubeSchedulerConfig", [
      ["image", `${SCHEDULER_IMAGE}:v${k8s}`],
      ["config", new Map()],
    ]),
    doc("KubeProxyConfig", [
      ["image", `${PROXY_IMAGE}:v${k8s}`],
      ["config", new Map()],
    ]),
  );
  if (!o.customCNIUrl)
    docs.push(
      doc("KubeFlannelCNIConfig", [
        ["backendType", "vxlan"],
        ["backendPort", 4789],
      ]),
    );
  docs.push(doc("KubeCoreDNSConfig", [["enabled", true]]));
  if (o.customCNIUrl)
    docs.push(
      doc("KubeExternalManifestConfig", [
        ["name", "custom-cni"],
        ["url", o.customCNIUrl],
      ]),
    );
  return docs;
}
