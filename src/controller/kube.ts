import type { TalosCluster, TalosClusterStatus } from "./types.js";

/**
 * Everything the controller asks of Kubernetes, small enough to fake in the reconcile tests. The real one is
 * `clientNodeKube` (kube-client-node.ts, @kubernetes/client-node); acceptance runs against a real kube-apiserver.
 */
export interface ControllerKube {
  listClusters(namespace: string): Promise<TalosCluster[]>;
  /** Writes the status subresource: each given field replaced whole (nested objects are not merged), others kept. */
  patchStatus(namespace: string, name: string, status: TalosClusterStatus): Promise<void>;
  /** A ConfigMap's data, or undefined when it does not exist. */
  getConfigMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** Creates or replaces a ConfigMap owned by the TalosCluster (deleted with it). */
  putConfigMap(namespace: string, name: string, data: Record<string, string>, owner: OwnerRef): Promise<void>;
  /** A Secret's data, decoded, or undefined when it does not exist. */
  getSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  createEvent(namespace: string, event: ClusterEvent): Promise<void>;
  getLease(namespace: string, name: string): Promise<Lease | undefined>;
  /** Creates (no resourceVersion) or replaces the lease; false when someone else changed it first (a conflict). */
  writeLease(namespace: string, lease: Lease): Promise<boolean>;
}

export interface OwnerRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
}

export interface ClusterEvent {
  readonly name: string;
  readonly involved: OwnerRef & { readonly namespace: string };
  readonly type: "Normal" | "Warning";
  readonly reason: string;
  readonly message: string;
  readonly at: Date;
  /** Which controller replica reported it (the lease identity). */
  readonly instance: string;
}

export interface Lease {
  readonly name: string;
  readonly holder: string | undefined;
  readonly durationSeconds: number;
  readonly acquireTime: Date | undefined;
  readonly renewTime: Date | undefined;
  readonly transitions: number;
  /** Absent: create. */
  readonly resourceVersion?: string;
}
