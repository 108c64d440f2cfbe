import * as https from "node:https";
import { parse as parseYaml } from "yaml";
import { assertDialAllowed } from "../talosapi/index.js";

/**
 * The few Kubernetes API calls a rollout needs (node readiness, cordon, drain by eviction), over HTTPS with the admin
 * kubeconfig Talos hands out. Hand-written because the official client pulls in far more than these five requests.
 */
export interface KubeNode {
  readonly name: string;
  readonly ready: boolean;
  readonly unschedulable: boolean;
  readonly kubeletVersion?: string;
  readonly bootId?: string;
  /** The InternalIP the kubelet registered. */
  readonly address?: string;
}

export interface KubeApi {
  nodes(): Promise<KubeNode[]>;
  node(name: string): Promise<KubeNode | undefined>;
  setUnschedulable(name: string, unschedulable: boolean): Promise<void>;
  /** Pods on the node that a drain must evict (not mirror/static pods, not DaemonSet pods). */
  evictablePods(node: string): Promise<{ namespace: string; name: string }[]>;
  evict(namespace: string, name: string): Promise<void>;
  /** Deletes the Node object (a removed node); absent is fine. */
  deleteNode(name: string): Promise<void>;
  /** Any request (what `upgrade-k8s` needs beyond the above: static pods, manifests, removed-API lists). */
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; json: unknown }>;
}

interface KubeconfigParts {
  server: string;
  ca: string;
  crt: string;
  key: string;
}

function kubeconfigParts(text: string): KubeconfigParts {
  const k = parseYaml(text) as {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
    users?: { name: string; user: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
  };
  const ctx = k.contexts?.find((c) => c.name === k["current-context"]) ?? k.contexts?.[0];
  const cluster = k.clusters?.find((c) => c.name === ctx?.context.cluster) ?? k.clusters?.[0];
  const user = k.users?.find((u) => u.name === ctx?.context.user) ?? k.users?.[0];
  const b = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");
  if (!cluster?.cluster.server || !user) throw new Error("the kubeconfig has no cluster server or user");
  return {
    server: cluster.cluster.server,
    ca: b(cluster.cluster["certificate-authority-data"]),
    crt: b(user.user["client-certificate-data"]),
    key: b(user.user["client-key-data"]),
  };
}

interface NodeObject {
  metadata: { name: string };
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string; bootID?: string };
    addresses?: { type: string; address: string }[];
  };
}

interface PodObject {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string }[];
  };
}

export function createKubeApi(
  kubeconfig: string,
  opts: { env?: Readonly<Record<string, string | undefined>>; timeoutMs?: number } = {},
): KubeApi {
  const parts = kubeconfigParts(kubeconfig);
  const base = new URL(parts.server);
  assertDialAllowed(base.hostname.replace(/^\[|\]$/g, ""), opts.env?.["TALFORM_LOOPBACK_ONLY"] === "1");
  // Keep-alive: a rollout makes a few API calls per node (cordon, drain, Ready, uncordon); a new mTLS handshake for
  // each was most of their cost. Idle sockets do not keep the process alive (Node unrefs them).
  const agent = new https.Agent({ ca: parts.ca, cert: parts.crt, key: parts.key, keepAlive: true });
  const request = (
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        new URL(path, base),
        {
          method,
          agent,
          headers: { accept: "application/json", ...(body !== undefined ? { "content-type": contentType } : {}) },
          timeout: opts.timeoutMs ?? 15_000,
        },
        (res) => {
          let data = "";
          res.on("data", (d: Buffer) => (data += d.toString("utf8")));
          res.on("end", () => {
            try {
              resolve({ status: res.statusCode ?? 0, json: data ? JSON.parse(data) : undefined });
            } catch (e) {
              reject(e as Error);
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`Kubernetes API ${method} ${path}: timed out`)));
      req.on("error", reject);
      if (body !== undefined) req.write(typeof body === "string" ? body : JSON.stringify(body));
      req.end();
    });
  const ok = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const r = await request(method, path, body, contentType);
    if (r.status >= 300)
      throw new Error(
        `Kubernetes API ${method} ${path}: ${r.status} ${(r.json as { message?: string } | undefined)?.message ?? ""}`.trim(),
      );
    return r.json;
  };
  const toNode = (n: NodeObject): KubeNode => ({
    name: n.metadata.name,
    ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    unschedulable: n.spec?.unschedulable === true,
    ...(n.status?.nodeInfo?.kubeletVersion ? { kubeletVersion: n.status.nodeInfo.kubeletVersion } : {}),
    ...(n.status?.nodeInfo?.bootID ? { bootId: n.status.nodeInfo.bootID } : {}),
    ...(n.status?.addresses?.find((a) => a.type === "InternalIP")
      ? { address: n.status.addresses.find((a) => a.type === "InternalIP")!.address }
      : {}),
  });
  return {
    async nodes() {
      return ((await ok("GET", "/api/v1/nodes")) as { items: NodeObject[] }).items.map(toNode);
    },
    async node(name) {
      const r = await request("GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
      if (r.status === 404) return undefined;
      if (r.status >= 300) throw new Error(`Kubernetes API GET node ${name}: ${r.status}`);
      return toNode(r.json as NodeObject);
    },
    async setUnschedulable(name, unschedulable) {
      await ok(
        "PATCH",
        `/api/v1/nodes/${encodeURIComponent(name)}`,
        { spec: { unschedulable: unschedulable ? true : null } },
        "application/merge-patch+json",
      );
    },
    async evictablePods(node) {
      const list = (await ok("GET", `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`)) as {
        items: PodObject[];
      };
      return list.items
        .filter(
          (p) =>
            !p.metadata.annotations?.["kubernetes.io/config.mirror"] &&
            !p.metadata.ownerReferences?.some((o) => o.kind === "DaemonSet"),
        )
        .map((p) => ({ namespace: p.metadata.namespace, name: p.metadata.name }));
    },
    async deleteNode(name) {
      const r = await request("DELETE", `/api/v1/nodes/${encodeURIComponent(name)}`);
      if (r.status >= 300 && r.status !== 404)
        throw new Error(
          `Kubernetes API DELETE node ${name}: ${r.status} ${(r.json as { message?: string } | undefined)?.message ?? ""}`.trim(),
        );
    },
    call: (method, path, body, contentType) => request(method, path, body, contentType),
    async evict(namespace, name) {
      await ok(
        "POST",
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`,
        { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace } },
      );
    },
  };
}
