import { TalosClient } from "../talosapi/index.js";
import { createKubeApi, type KubeApi } from "./kube-client.js";

/**
 * How observe and apply reach the nodes: one mTLS client per node (each node is its own endpoint), for reads of the
 * whole fleet one client through a control plane's apid that falls back to those, a maintenance client for nodes not
 * installed yet, and the Kubernetes API through the admin kubeconfig a control plane hands out.
 */
export interface ClusterAccess {
  secure(address: string): TalosClient;
  /**
   * For reading many nodes: one mTLS connection to a control plane that answers, whose apid routes each call by its
   * `node` metadata (as `talosctl -e <cp> -n <node>`), instead of one connection and TLS handshake per node. A call
   * it cannot route (the node is down, in maintenance mode, or the control plane went away) is made directly through
   * `secure(node)`, so what is observed does not depend on any one node being up. Undefined while no control plane
   * answers with the cluster's certificates (not installed yet): then read through `secure`; the next call asks again.
   */
  reader(): Promise<TalosClient | undefined>;
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
  let reader: Promise<TalosClient | undefined> | undefined;
  const readers: TalosClient[] = [];
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
    reader() {
      reader ??= (async () => {
        // Every control plane is asked at once and the first to answer routes: one that hangs costs nothing.
        const candidates = o.controlPlanes.map((cp) => {
          const c = new TalosClient({
            endpoints: [cp],
            credentials: { kind: "mtls", ...o.credentials },
            direct: (node) => access.secure(node),
            ...common,
          });
          readers.push(c);
          return { cp, c };
        });
        let chosen: TalosClient | undefined;
        try {
          chosen = await Promise.any(
            candidates.map(async ({ cp, c }) => {
              const [v] = await c.version([cp]);
              if (!v?.value) throw v?.error ?? new Error(`${cp}: no version`);
              return c;
            }),
          );
        } catch {
          chosen = undefined;
        }
        for (const { c } of candidates) if (c !== chosen) c.close();
        if (!chosen) reader = undefined;
        return chosen;
      })();
      return reader;
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
      for (const c of [...secure.values(), ...insecure.values(), ...readers]) c.close();
      secure.clear();
      insecure.clear();
      readers.length = 0;
      reader = undefined;
    },
  };
  return access;
}
