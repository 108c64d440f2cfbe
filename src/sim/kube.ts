import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { generateKeyPair, issueCertificate, type CertificateAndKey } from "../pki/index.js";
import { toNodeKeyPem } from "../talosapi/pem.js";
import { kubeletVersion } from "./config.js";
import type { SimNode } from "./node.js";
import { configFacts } from "./config.js";
import type { Random } from "./random.js";

/**
 * A minimal Kubernetes API for the simulated cluster — just what drain/uncordon code needs: nodes (get, list, merge
 * patch for cordon/labels), pods (list with `spec.nodeName` field selector, get) and the eviction subresource.
 * Evicted ReplicaSet pods are recreated on another schedulable node, like a real controller would.
 */
interface Pod {
  metadata: { name: string; namespace: string; uid: string; labels: Record<string, string>; annotations: Record<string, string>; ownerReferences: { kind: string; name: string; controller: boolean }[] };
  spec: { nodeName: string };
  status: { phase: string };
}

export interface KubeHost {
  readonly nodes: readonly SimNode[];
  readonly random: Random;
}

export class SimKubeApi {
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly nodeOverrides = new Map<string, Record<string, unknown>>();
  private pods: Pod[] = [];

  constructor(
    private readonly host: KubeHost,
    private readonly osCA: CertificateAndKey,
  ) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  async start(hostname: string, port: number): Promise<void> {
    if (this.server) return;
    const now = Date.now();
    const cert = await issueCertificate(this.osCA, generateKeyPair("ed25519"), {
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 24 * 3600 * 1000),
      keyUsages: ["digitalSignature"],
      extKeyUsages: ["serverAuth"],
      ipAddresses: [hostname],
      dnsNames: ["kubernetes", "localhost"],
    });
    this.seedPods();
    const server = https.createServer({ cert: cert.crt, key: toNodeKeyPem(cert.key), ca: this.osCA.crt, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" }, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString("utf8")));
      req.on("end", () => this.handle(req, res, body));
    });
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => resolve());
    });
    this.server = server;
  }

  /** What is still open (for a bounded stop's report). */
  openHandles(): string[] {
    return this.server ? [`Kubernetes API (${this.sockets.size} connections)`] : [];
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }

  private seedPods(): void {
    if (this.pods.length > 0) return;
    for (const n of this.host.nodes) {
      const h = n.hostname;
      if (n.controlPlane) {
        for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
          this.pods.push(this.pod("kube-system", `${c}-${h}`, h, { kind: "Node", name: h }, { "kubernetes.io/config.mirror": "sim" }));
        }
      }
      this.pods.push(this.pod("kube-system", `kube-proxy-${this.suffix()}`, h, { kind: "DaemonSet", name: "kube-proxy" }));
      if (!n.controlPlane) this.pods.push(this.pod("default", `app-7d9c-${this.suffix()}`, h, { kind: "ReplicaSet", name: "app-7d9c" }));
    }
  }

  private suffix(): string {
    return this.host.random.uuid().slice(0, 5);
  }

  private pod(namespace: string, name: string, nodeName: string, owner: { kind: string; name: string }, annotations: Record<string, string> = {}): Pod {
    return {
      metadata: { name, namespace, uid: this.host.random.uuid(), labels: { app: owner.name }, annotations, ownerReferences: [{ ...owner, controller: true }] },
      spec: { nodeName },
      status: { phase: "Running" },
    };
  }

  private nodeObject(n: SimNode): Record<string, unknown> {
    // The kubelet registers with the config's node labels and taints (Talos reconciles them from the machine config).
    const facts = n.config ? configFacts(n.config) : undefined;
    const taints = Object.entries(facts?.nodeTaints ?? {}).map(([key, v]) => {
      const [value, effect] = v.includes(":") ? [v.slice(0, v.lastIndexOf(":")), v.slice(v.lastIndexOf(":") + 1)] : ["", v];
      return { key, ...(value ? { value } : {}), effect };
    });
    const base = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.hostname,
        labels: { "kubernetes.io/hostname": n.hostname, "kubernetes.io/os": "linux", ...(n.controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}), ...facts?.nodeLabels },
        annotations: {},
      },
      spec: taints.length > 0 ? { taints } : {},
      status: {
        conditions: [{ type: "Ready", status: n.stage === "running" ? "True" : "Unknown", reason: n.stage === "running" ? "KubeletReady" : "NodeStatusUnknown" }],
        addresses: [
          { type: "InternalIP", address: n.address },
          { type: "Hostname", address: n.hostname },
        ],
        nodeInfo: { osImage: `Talos (${n.talosVersion})`, kubeletVersion: (n.config && kubeletVersion(n.config)) ?? "v1.33.0", bootID: n.bootId },
      },
    };
    return mergePatch(base, this.nodeOverrides.get(n.hostname) ?? {}) as Record<string, unknown>;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? "/", "https://sim");
    const parts = url.pathname.split("/").filter(Boolean);
    const send = (code: number, obj: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(obj));
    };
    const status = (code: number, reason: string, message: string) => send(code, { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });
    const configured = () => this.host.nodes.filter((n) => n.config);
    try {
      if (url.pathname === "/version") return send(200, { major: "1", minor: "33", gitVersion: "v1.33.0" });
      if (parts[0] !== "api" || parts[1] !== "v1") return status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
      const rest = parts.slice(2);
      if (rest[0] === "nodes") {
        if (rest.length === 1 && req.method === "GET") return send(200, { apiVersion: "v1", kind: "NodeList", items: configured().map((n) => this.nodeObject(n)) });
        const node = configured().find((n) => n.hostname === rest[1]);
        if (!node) return status(404, "NotFound", `nodes "${rest[1]}" not found`);
        if (req.method === "GET") return send(200, this.nodeObject(node));
        if (req.method === "PATCH") {
          const patch = JSON.parse(body || "{}") as Record<string, unknown>;
          this.nodeOverrides.set(node.hostname, mergePatch(this.nodeOverrides.get(node.hostname) ?? {}, patch) as Record<string, unknown>);
          return send(200, this.nodeObject(node));
        }
        return status(405, "MethodNotAllowed", `${req.method} is not supported on nodes`);
      }
      const [nsKey, ns, kind, name, sub] = rest[0] === "namespaces" ? rest : [undefined, undefined, ...rest];
      if (kind !== "pods" || (nsKey !== undefined && nsKey !== "namespaces")) return status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
      const selector = url.searchParams.get("fieldSelector") ?? "";
      const onNode = /spec\.nodeName=([^,]+)/.exec(selector)?.[1];
      if (!name && req.method === "GET") {
        const items = this.pods.filter((p) => (!ns || p.metadata.namespace === ns) && (!onNode || p.spec.nodeName === onNode));
        return send(200, { apiVersion: "v1", kind: "PodList", items });
      }
      const pod = this.pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name);
      if (!pod) return status(404, "NotFound", `pods "${name}" not found`);
      if (!sub && req.method === "GET") return send(200, { apiVersion: "v1", kind: "Pod", ...pod });
      if (sub === "eviction" && req.method === "POST") {
        this.pods = this.pods.filter((p) => p !== pod);
        const owner = pod.metadata.ownerReferences[0];
        if (owner?.kind === "ReplicaSet") {
          const target = configured().find((n) => n.hostname !== pod.spec.nodeName && !n.controlPlane && n.stage === "running" && !this.cordoned(n));
          if (target) this.pods.push(this.pod(pod.metadata.namespace, `${owner.name}-${this.suffix()}`, target.hostname, owner));
        }
        return send(201, { kind: "Status", apiVersion: "v1", status: "Success", code: 201 });
      }
      return status(405, "MethodNotAllowed", `${req.method} ${url.pathname} is not supported by the simulator`);
    } catch (e) {
      return status(400, "BadRequest", (e as Error).message);
    }
  }

  private cordoned(n: SimNode): boolean {
    return Boolean((this.nodeObject(n)["spec"] as { unschedulable?: boolean }).unschedulable);
  }
}

/** RFC 7386 JSON merge patch (also what a strategic merge patch does for the scalar fields cordon touches). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
