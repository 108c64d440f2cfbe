import { TalosClient } from "../talosapi/index.js";
import { createKubeApi, type KubeApi } from "./kube-client.js";

/**
 * How observe and apply reach the nodes: one mTLS client per node (each node is its own endpoint, so observing
 * does not depend on any one node being up), a maintenance client for nodes not installed yet, and the Kubernetes
 * API through the admin kubeconfig a control plane hands out.
 */
export interface ClusterAccess {
  secure(address: string): TalosClient;
  insecure(address: string): TalosClient;
  /** The Kubernetes API, or undefined while no control plane can serve a kubeconfig (not bootstrapped yet). */
  kube(): Promise<KubeApi | undefined>;
  close(): void;
}

export interface ClusterAccessOptions {
  readonly credentials: { readonly ca: string; readonly crt: string; readonly key: string };
  readonly controlPlanes: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Per-call deadline (default 10 s); observation must not hang on a dead node. */
  readonly timeoutMs?: number;
  /** Attempts on UNAVAILABLE (default 1: a rollout polls on its own). */
  readonly retryAttempts?: number;
}

export function createClusterAccess(o: ClusterAccessOptions): ClusterAccess {
  const secure = new Map<string, TalosClient>();
  const insecure = new Map<string, TalosClient>();
  let kube: KubeApi | undefined;
  const common = {
    timeoutMs: o.timeoutMs ?? 10_000,
    retryAttempts: o.retryAttempts ?? 1,
    ...(o.env ? { env: o.env } : {}),
  };
  const access: ClusterAccess = {
    secure(address) {
      let c = secure.get(address);
      if (!c) {
        c = new TalosClient({
          endpoints: [address],
          nodes: [address],
          credentials: { kind: "mtls", ...o.credentials },
          ...common,
        });
        secure.set(address, c);
      }
      return c;
    },
    insecure(address) {
      let c = insecure.get(address);
      if (!c) {
        c = new TalosClient({ endpoints: [], nodes: [address], credentials: { kind: "maintenance" }, ...common });
        insecure.set(address, c);
      }
      return c;
    },
    async kube() {
      if (kube) return kube;
      for (const cp of o.controlPlanes) {
        try {
          kube = createKubeApi(await access.secure(cp).kubeconfig(cp), o.env ? { env: o.env } : {});
          return kube;
        } catch {
          // next control plane; none may be able to serve one before bootstrap
        }
      }
      return undefined;
    },
    close() {
      for (const c of [...secure.values(), ...insecure.values()]) c.close();
      secure.clear();
      insecure.clear();
    },
  };
  return access;
}
