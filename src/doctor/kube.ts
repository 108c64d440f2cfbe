import * as https from "node:https";
import { parse as parseYaml } from "yaml";
import { toNodeKeyPem } from "../talosapi/pem.js";
import { assertDialAllowed, loopbackOnlyFromEnv } from "../talosapi/transport.js";
import type { KubeNodeView } from "./types.js";

/**
 * Just enough of a Kubernetes client for doctor and health: the admin kubeconfig Talos hands out (Kubeconfig RPC)
 * and `GET /api/v1/nodes`. A client library would pull in far more than one authenticated GET needs.
 */
interface KubeconfigCreds {
  readonly server: URL;
  readonly ca: string;
  readonly crt: string;
  readonly key: string;
}

const b64 = (v: unknown, what: string): string => {
  if (typeof v !== "string" || !v) throw new Error(`kubeconfig has no ${what}`);
  return Buffer.from(v, "base64").toString("utf8");
};

export function parseKubeconfig(text: string): KubeconfigCreds {
  const k = parseYaml(text) as {
    clusters?: { cluster?: Record<string, unknown> }[];
    users?: { user?: Record<string, unknown> }[];
  };
  const cluster = k.clusters?.[0]?.cluster ?? {};
  const user = k.users?.[0]?.user ?? {};
  if (typeof cluster["server"] !== "string") throw new Error("kubeconfig has no cluster server");
  return {
    server: new URL(cluster["server"]),
    ca: b64(cluster["certificate-authority-data"], "certificate-authority-data"),
    crt: b64(user["client-certificate-data"], "client-certificate-data"),
    key: toNodeKeyPem(b64(user["client-key-data"], "client-key-data")),
  };
}

interface KubeNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string };
    addresses?: { type: string; address: string }[];
  };
}

export function kubeNodeView(n: KubeNode): KubeNodeView {
  return {
    name: n.metadata?.name ?? "",
    ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    labels: n.metadata?.labels ?? {},
    taints: (n.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ""}:${t.effect}`),
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? "",
    internalIPs: (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address),
  };
}

export async function listKubeNodes(
  kubeconfig: string,
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 10_000,
): Promise<KubeNodeView[]> {
  const c = parseKubeconfig(kubeconfig);
  assertDialAllowed(c.server.hostname.replace(/^\[|\]$/g, ""), loopbackOnlyFromEnv(env));
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.request(
      {
        host: c.server.hostname.replace(/^\[|\]$/g, ""),
        port: Number(c.server.port || 443),
        path: "/api/v1/nodes",
        method: "GET",
        ca: c.ca,
        cert: c.crt,
        key: c.key,
        timeout: timeoutMs,
        agent: false,
        headers: { accept: "application/json" },
      },
      (res) => {
        let data = "";
        res.on("data", (d: Buffer) => (data += d.toString("utf8")));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(data)
            : reject(new Error(`GET /api/v1/nodes: HTTP ${res.statusCode}: ${data.slice(0, 200)}`)),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${c.server.origin}/api/v1/nodes timed out`)));
    req.on("error", reject);
    req.end();
  });
  const list = JSON.parse(body) as { items?: KubeNode[] };
  return (list.items ?? []).map(kubeNodeView);
}
