/**
 * The data doctor and health reason about. The collector fills it through the Talos API (and the Kubernetes API);
 * every check is a pure function of it, so checks are tested with small literal observations.
 */

/** One problem doctor found: where, what, the API data that shows it, and the talform command that fixes it. */
export interface Finding {
  /** Stable id, e.g. `extension-missing`. */
  readonly code: string;
  readonly severity: "error" | "warning";
  /** Node address (or hostname) the finding is about; absent for cluster-wide findings. */
  readonly node?: string;
  readonly symptom: string;
  /** The observed data, one fact per line (`ExtensionStatus: siderolabs/iscsi-tools absent`). */
  readonly evidence: readonly string[];
  /** What to run (a talform command, or a short instruction ending in one). */
  readonly fix: string;
}

export interface ServiceView {
  readonly id: string;
  readonly state: string;
  readonly healthy: boolean;
  readonly healthUnknown: boolean;
  readonly message: string;
  /** How often the service went back to a not-running state in its event history (restarts). */
  readonly restarts: number;
}

export interface ExtensionView {
  readonly name: string;
  readonly version: string;
}

export interface RouteView {
  readonly dst: string;
  readonly gateway: string;
  readonly table: string;
}

export interface KubeNodeView {
  readonly name: string;
  readonly ready: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** `key=value:Effect` (or `key:Effect`). */
  readonly taints: readonly string[];
  readonly kubeletVersion: string;
  readonly internalIPs: readonly string[];
}

/** What the Talos API showed about one node. Fields are undefined when the node did not answer that question. */
export interface NodeObservation {
  /** The address talform talked to. */
  readonly node: string;
  /** Set when the node could not be reached at all (nothing else is then filled). */
  readonly unreachable?: string;
  readonly hostname?: string;
  readonly talosVersion?: string;
  /** `controlplane` / `worker` from the active machine config. */
  readonly machineType?: string;
  /** Active machine config (MachineConfig `v1alpha1`) as YAML text. */
  readonly activeConfig?: string;
  /** The config persisted for the next boot (MachineConfig `persistent`), when the node exposes it. */
  readonly persistentConfig?: string;
  readonly stage?: string;
  readonly ready?: boolean;
  readonly services?: readonly ServiceView[];
  /** Last log lines of services that are failing, by service id. */
  readonly logs?: Readonly<Record<string, readonly string[]>>;
  readonly extensions?: readonly ExtensionView[];
  /** Module names from /proc/modules. */
  readonly modules?: readonly string[];
  readonly timeSynced?: boolean;
  /** CIDRs from AddressStatus. */
  readonly addresses?: readonly string[];
  readonly routes?: readonly RouteView[];
  readonly resolvers?: readonly string[];
  /** Questions that failed on a reachable node (`what: message`), reported as evidence, never thrown. */
  readonly errors?: readonly string[];
}

export interface EtcdView {
  /** Member hostnames and their peer URLs, from one control plane's EtcdMemberList. */
  readonly members?: readonly { readonly hostname: string; readonly peerUrls: readonly string[] }[];
  readonly error?: string;
  /** Per control-plane address: undefined = healthy, else the EtcdStatus error. */
  readonly status?: Readonly<Record<string, string | undefined>>;
}

export interface ClusterObservation {
  readonly nodes: readonly NodeObservation[];
  readonly etcd?: EtcdView;
  /** Kubernetes nodes, or why they could not be listed. */
  readonly kubernetes?: { readonly nodes: readonly KubeNodeView[] } | { readonly error: string };
}

/** What talconfig says a node should look like (absent fields are not checked). */
export interface ExpectedNode {
  readonly hostname: string;
  /** The address talform talks to (first `ipAddress`). */
  readonly address: string;
  readonly controlPlane: boolean;
  readonly talosVersion: string;
  readonly kubernetesVersion?: string;
  /** Official extensions of the node's schematic (`siderolabs/…`). */
  readonly extensions: readonly string[];
  /** Static addresses (CIDR or bare IP) from `networkInterfaces[]`. */
  readonly staticAddresses: readonly string[];
  readonly nameservers: readonly string[];
  /** The installer image `talform genurl installer -n <node>` prints. */
  readonly installerImage?: string;
  /** The rendered config file for the node (`clusterconfig/<cluster>-<hostname>.yaml`), as a path. */
  readonly configFile?: string;
}
