/**
 * The data a rollout is computed from and the plan it produces. Everything here is a plain value: desired state is
 * rendered in memory (no files), observed state is read from the nodes, and the plan is a pure function of both.
 */

/** What one node should run: rendered machine config plus the installer identity it implies. */
export interface DesiredNode {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
  /** `v1.13.9` */
  readonly talosVersion: string;
  /** The full installer image reference, e.g. `factory.talos.dev/metal-installer/<schematic>:v1.13.9`. */
  readonly installImage: string;
  readonly schematicId?: string;
  /** System extensions the schematic installs (`siderolabs/nvidia-open-gpu-kernel-modules-lts`, …). */
  readonly extensions: readonly string[];
  /** Without the `v`: `1.36.3`. */
  readonly kubernetesVersion: string;
  /** The schematic's canonical YAML (what the Image Factory hashes), when `schematicId` is the talconfig's. */
  readonly schematicYaml?: string;
  /** The rendered machine configuration (multi-document YAML). Holds secrets: never written to a plan file. */
  readonly configText: string;
}

export interface DesiredCluster {
  readonly clusterName: string;
  /** The Image Factory installer images come from (talconfig `imageFactory`): where schematics are registered. */
  readonly imageFactory?: { readonly baseUrl: string; readonly registry: string; readonly schematicEndpoint: string };
  readonly nodes: readonly DesiredNode[];
}

/** What a node was seen running at planning time. `configText` stays in memory; plans keep only its digest. */
export interface ObservedNode {
  readonly hostname: string;
  readonly address: string;
  readonly reachable: boolean;
  /** Why the node could not be observed (when unreachable). */
  readonly error?: string;
  readonly maintenance: boolean;
  /** MachineStatus stage (`running`, `booting`, `maintenance`, …) and readiness. */
  readonly stage?: string;
  readonly ready?: boolean;
  readonly talosVersion?: string;
  /** The schematic Talos reports (ExtensionStatus `schematic`), when the node exposes one. */
  readonly schematicId?: string;
  readonly extensions?: readonly string[];
  readonly configText?: string;
  readonly configDigest?: string;
  /** Digest of a staged configuration waiting for the next reboot, if the node exposes one. */
  readonly stagedConfigDigest?: string;
  readonly bootId?: string;
  readonly etcd?: { readonly member: boolean; readonly healthy: boolean; readonly members: number };
  /** Kubernetes Node `Ready` condition (undefined when the Kubernetes API could not be asked). */
  readonly kubernetesReady?: boolean;
  /** The kubelet version the running config pins (what `upgrade-k8s` moves). */
  readonly kubernetesVersion?: string;
}

export interface ObservedCluster {
  readonly nodes: readonly ObservedNode[];
  /** Some control plane is an etcd member, i.e. `bootstrap` already ran. */
  readonly etcdBootstrapped: boolean;
  /** Who is in the cluster, whatever the talconfig says (for planning removals; see membership.ts). */
  readonly membership?: ObservedMembership;
  /**
   * Objects (`namespace/name` or `name`) served from API versions a Kubernetes minor removes, by
   * `resource.version.group` (the contract's table); absent when the Kubernetes API could not be asked.
   */
  readonly kubernetesObjects?: Readonly<Record<string, readonly string[]>>;
}

/** One journaled sub-step of the cluster-level `upgrade-k8s` action, in execution order. */
export interface KubernetesUpgradeStep {
  readonly id: string;
  readonly kind: "pre-pull" | "static-pod" | "kube-proxy" | "kubelet" | "manifests";
  /** Without the `v`: the hop this step moves to. */
  readonly version: string;
  readonly node?: string;
  readonly component?: string;
  /** Manifests: server-side apply with inventory and pruning (Talos >= 1.13) or the legacy sync. */
  readonly sync?: "server-side-apply" | "legacy";
  readonly label: string;
}

export interface KubernetesUpgradePlan {
  readonly type: "upgrade-k8s";
  readonly reason: string;
  readonly from: string;
  readonly to: string;
  /** Versions moved through, `to` last (one minor per hop, intermediate minors at their latest patch). */
  readonly hops: readonly string[];
  readonly steps: readonly KubernetesUpgradeStep[];
  /** Pre-upgrade findings `--skip-checks` overrode (reported, not errors). */
  readonly skippedChecks?: readonly string[];
}

export interface ObservedMembership {
  /** The etcd members as a healthy control plane lists them, each with its own health. */
  readonly etcdMembers: readonly {
    readonly id: string;
    readonly hostname: string;
    readonly address: string;
    readonly healthy: boolean;
  }[];
  /** Why no control plane could list the etcd members (e.g. no quorum): removals cannot be planned then. */
  readonly etcdMembersError?: string;
  /** Registered Kubernetes Nodes (undefined: the Kubernetes API could not be asked). */
  readonly kubernetesNodes?: readonly { readonly name: string; readonly address?: string }[];
}

export const ACTION_TYPES = [
  "install",
  "bootstrap",
  "upgrade",
  "apply-config",
  "reboot",
  "upgrade-k8s",
  "remove",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export type PlanAction =
  | { readonly type: "install"; readonly reason: string; readonly configDigest: string; readonly talosVersion: string }
  | { readonly type: "bootstrap"; readonly reason: string }
  | {
      readonly type: "upgrade";
      readonly reason: string;
      readonly from: string;
      readonly to: string;
      readonly image: string;
      readonly schematicId?: string;
      readonly extensions: readonly string[];
    }
  | {
      readonly type: "apply-config";
      readonly reason: string;
      /** `no-reboot`: applied live; `reboot`: the node reboots itself to apply it (Talos ≤ 1.13). */
      readonly mode: "no-reboot" | "reboot";
      readonly rebootReasons: readonly string[];
      readonly configDigest: string;
    }
  | { readonly type: "reboot"; readonly reason: string }
  | {
      readonly type: "upgrade-k8s";
      readonly reason: string;
      readonly from: string;
      readonly to: string;
      readonly configDigest: string;
    }
  | {
      readonly type: "remove";
      readonly reason: string;
      /** The node's etcd member (control planes): it leaves etcd, or is removed by id when it cannot leave itself. */
      readonly etcdMemberId?: string;
      /** The node answers with the cluster's credentials: it is reset (wiped, rebooted into maintenance mode). */
      readonly reset: boolean;
      /** A Kubernetes Node is registered for it: cordoned, drained, then deleted. */
      readonly kubernetesNode: boolean;
    };

/** One changed leaf of one config document; secret values are replaced by `(sensitive)`. */
export interface DiffEntry {
  /** `v1alpha1` or `<Kind>` / `<Kind>/<name>` */
  readonly document: string;
  /** Dotted path inside the document, e.g. `machine.nodeLabels.role`. */
  readonly path: string;
  readonly op: "add" | "remove" | "change";
  readonly before?: unknown;
  readonly after?: unknown;
}

/** The node state a plan was computed against; a different revision at apply time makes the plan stale. */
export interface ObservedRevision {
  readonly reachable: boolean;
  readonly maintenance: boolean;
  readonly talosVersion?: string;
  readonly schematicId?: string;
  readonly extensions?: readonly string[];
  readonly configDigest?: string;
  readonly stagedConfigDigest?: string;
  readonly bootId?: string;
}

export interface NodePlan {
  readonly hostname: string;
  readonly address: string;
  readonly controlPlane: boolean;
  readonly observed: ObservedRevision;
  readonly actions: readonly PlanAction[];
  /** Whether executing the actions reboots the node (it is then cordoned and drained first). */
  readonly reboots: boolean;
  readonly diff: readonly DiffEntry[];
  /** The running config differs from what talform last applied: someone changed it outside talform. */
  readonly drift?: { readonly lastAppliedDigest: string; readonly observedDigest: string };
}

export interface PlanProblem {
  readonly node?: string;
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
}

/** Runs before any node is touched: makes sure the Image Factory serves the schematic's installer images. */
export interface RegisterSchematicStep {
  readonly type: "register-schematic";
  readonly schematicId: string;
  /** `https://factory.talos.dev` */
  readonly factory: string;
  readonly schematicEndpoint: string;
  /** The canonical schematic YAML that is POSTed (a schematic holds no secrets). */
  readonly schematic: string;
  readonly nodes: readonly string[];
  readonly reason: string;
}

export interface Plan {
  readonly formatVersion: 1;
  readonly tool: { readonly name: "talform"; readonly version: string };
  readonly createdAt: string;
  readonly clusterName: string;
  /** Digests of the inputs: the talconfig file (when planned from one) and each node's rendered config. */
  readonly inputs: { readonly talconfig?: string; readonly talconfigDigest?: string; readonly desiredDigest: string };
  readonly etcdBootstrapped: boolean;
  /** Steps before any node (register-schematic), in order. */
  readonly prepare: readonly RegisterSchematicStep[];
  /** `--offline`: the schematics that were not registered (the nodes must find their images elsewhere). */
  readonly offline?: { readonly skipped: readonly string[] };
  readonly nodes: readonly NodePlan[];
  /** The cluster-level Kubernetes upgrade, run after the nodes' actions (Talos first, then Kubernetes). */
  readonly kubernetes?: KubernetesUpgradePlan;
  /** Errors that make the plan unappliable (an apply refuses a plan with errors). */
  readonly errors: readonly PlanProblem[];
  /** Allowed, but worth reading (e.g. etcd loses its fault tolerance). */
  readonly warnings?: readonly PlanProblem[];
  readonly summary: { readonly changes: number; readonly nodesChanged: number };
}
