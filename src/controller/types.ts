/**
 * The TalosCluster custom resource (talform.dev/v1alpha1): the talconfig, where its SOPS-encrypted secrets and the age
 * key live, and how the controller may roll changes out. docs/controller.md describes every field.
 */
export const GROUP = "talform.dev";
export const VERSION = "v1alpha1";
export const KIND = "TalosCluster";
export const PLURAL = "talosclusters";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Manual approval: the annotation's value must be the digest of the plan published in `status.plan.digest`. */
export const APPROVE_ANNOTATION = "talform.dev/approve-plan";

export interface KeyRef {
  readonly name: string;
  readonly key?: string;
}

export interface MaintenanceWindow {
  /** Five-field cron (minute hour day-of-month month day-of-week): when a window opens. */
  readonly cron: string;
  /** How long it stays open, e.g. `2h`, `30m`, `90s`. */
  readonly duration: string;
  /** IANA time zone of the cron (default UTC). */
  readonly timeZone?: string;
}

export interface RolloutPolicy {
  readonly approval?: "auto" | "manual";
  readonly maxParallel?: number;
  readonly paused?: boolean;
  readonly maintenanceWindows?: readonly MaintenanceWindow[];
  /** Plans that remove nodes are applied only with this set (removals are never silent). */
  readonly allowRemove?: boolean;
  /** Do not register schematics with the Image Factory (air-gapped sites). */
  readonly offline?: boolean;
  readonly healthGates?: {
    /** How long health checks, services, Ready and drains may take per node (default 600). */
    readonly healthTimeoutSeconds?: number;
    /** How long a node may take to reboot or install and come back (default 1800). */
    readonly rebootTimeoutSeconds?: number;
  };
}

export interface TalosClusterSpec {
  readonly talconfig: {
    readonly inline?: Record<string, unknown>;
    readonly configMapRef?: KeyRef;
  };
  readonly secrets: {
    readonly secretRef?: KeyRef;
    readonly configMapRef?: KeyRef;
    /** The Secret holding the age identity (`AGE-SECRET-KEY-1…`) that decrypts the bundle. */
    readonly ageKeySecretRef: KeyRef;
  };
  readonly rollout?: RolloutPolicy;
}

export type ConditionType = "Planned" | "Progressing" | "Ready" | "Degraded";

export interface Condition {
  readonly type: ConditionType;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

export type Phase =
  "Pending" | "Ready" | "Progressing" | "AwaitingApproval" | "WaitingForWindow" | "Paused" | "Degraded";

/** What the plan does, compact enough for status (the whole plan is in the journal ConfigMap). */
export interface PlanSummary {
  readonly digest: string;
  readonly createdAt: string;
  readonly changes: number;
  /** e.g. `a1b2c3d4e5f6: 2 change(s)` — the printer column. */
  readonly summary: string;
  readonly nodes: readonly { readonly node: string; readonly actions: readonly string[]; readonly reasons: string }[];
  readonly kubernetes?: string;
  readonly errors?: readonly string[];
}

export interface TalosClusterStatus {
  observedGeneration?: number;
  phase?: Phase;
  nodes?: number;
  talosVersion?: string;
  kubernetesVersion?: string;
  lastPlan?: PlanSummary;
  /** The unfinished rollout: which plan, how many steps are done. */
  rollout?: { planDigest: string; stepsDone: number; startedAt: string; finishedAt?: string; failed?: string };
  conditions?: Condition[];
}

export interface TalosCluster {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: TalosClusterSpec;
  readonly status?: TalosClusterStatus;
}
