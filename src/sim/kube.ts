import * as https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { compareKubernetesVersions } from "../contract/index.js";
import { generateKeyPair, issueCertificate, type CertificateAndKey } from "../pki/index.js";
import { toNodeKeyPem } from "../talosapi/pem.js";
import {
  apiGroupList,
  apiResourceList,
  groupVersion,
  removableResource,
  servedResources,
  type ApiResource,
} from "./kube-catalog.js";
import { jsonPatch, mergePatch, PatchError, PATCH_TYPES, strategicMergePatch } from "./kube-patch.js";
import {
  etcdKubeStore,
  type KeyValueBackend,
  type KubeObject,
  type KubeObjectStore,
  type ResourceRef,
} from "./kube-store.js";
import { toTable } from "./kube-tables.js";
import { componentSpec, imageVersion, keepsInventory, podObject, SimWorkloads, uid } from "./kube-workloads.js";
import type { SimNode } from "./node.js";
import type { Random } from "./random.js";

export { mergePatch } from "./kube-patch.js";

/**
 * The simulated cluster's kube-apiserver, on the cluster endpoint (loopback), mTLS with the admin kubeconfig Talos
 * hands out. Faithful enough for kubectl and @kubernetes/client-node: legacy discovery, server-side printing
 * (Tables), Nodes and the control-plane mirror pods derived from the simulated machines, stored objects (namespaced
 * list/get/create/update/patch/delete, every patch content type, server-side apply, dry-run), pod eviction, and
 * Status bodies with the status codes kube-apiserver uses.
 */
export interface KubeHost {
  readonly nodes: readonly SimNode[];
  readonly random: Random;
  readonly timeScale: number;
  now(): Date;
  /** The simulated etcd: every object the API stores lives there (gone without quorum, back after a restore). */
  readonly store: KeyValueBackend;
}

const NODES: ResourceRef = { group: "", resource: "nodes" };
const PODS: ResourceRef = { group: "", resource: "pods" };
const NAMESPACES: ResourceRef = { group: "", resource: "namespaces" };
const CONFIGMAPS: ResourceRef = { group: "", resource: "configmaps" };
const DAEMONSETS: ResourceRef = { group: "apps", resource: "daemonsets" };
const DEPLOYMENTS: ResourceRef = { group: "apps", resource: "deployments" };

/** The ConfigMap Talos ≥ 1.13 keeps the bootstrap manifests' inventory in (cli-utils inventory format). */
export const INVENTORY = { namespace: "kube-system", name: "talos-bootstrap-manifests-inventory" } as const;

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string },
  ) {
    super(message);
  }
}

export class SimKubeApi {
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket>();
  readonly workloads: SimWorkloads;
  private address = "";

  constructor(
    private readonly host: KubeHost,
    private readonly osCA: CertificateAndKey,
    readonly store: KubeObjectStore = etcdKubeStore(host.store),
  ) {
    this.workloads = new SimWorkloads(host);
  }

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
      dnsNames: ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "localhost"],
    });
    this.seed();
    this.address = `${hostname}:${port}`;
    const server = https.createServer(
      {
        cert: cert.crt,
        key: toNodeKeyPem(cert.key),
        ca: this.osCA.crt,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("end", () => this.handle(req, res, Buffer.concat(chunks).toString("utf8")));
      },
    );
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

  private configured(): SimNode[] {
    return this.host.nodes.filter((n) => n.config);
  }

  /** The API server's version: the oldest kube-apiserver a control plane runs (the one a client may reach). */
  version(): string {
    const versions = this.configured()
      .filter((n) => n.controlPlane)
      .map((n) => imageVersion(componentSpec(n.config!, "kube-apiserver").image))
      .filter((v): v is string => v !== undefined)
      .sort((a, b) => compareKubernetesVersions(a, b));
    return versions[0] ?? "1.33.0";
  }

  // --- what the cluster holds at bootstrap -------------------------------------------------------------------------

  /** Namespaces, the bootstrap manifests Talos applies (kube-proxy, CoreDNS, inline manifests) and their inventory. */
  private seed(): void {
    if (this.store.list(NAMESPACES, undefined).length > 0) return;
    const created = this.host.now().toISOString();
    for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      this.store.put(NAMESPACES, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns, uid: uid(`ns/${ns}`), creationTimestamp: created },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      });
    }
    const first = this.configured().find((n) => n.controlPlane);
    const objects: KubeObject[] = [];
    if (first?.config) {
      const proxy = componentSpec(first.config, "kube-proxy");
      objects.push({
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: "kube-proxy", namespace: "kube-system", labels: { "k8s-app": "kube-proxy", tier: "node" } },
        spec: {
          selector: { matchLabels: { "k8s-app": "kube-proxy" } },
          template: {
            metadata: { labels: { "k8s-app": "kube-proxy" } },
            spec: { containers: [{ name: "kube-proxy", image: proxy.image }] },
          },
        },
      });
      objects.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "coredns", namespace: "kube-system", labels: { "k8s-app": "kube-dns" } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { "k8s-app": "kube-dns" } },
          template: {
            metadata: { labels: { "k8s-app": "kube-dns" } },
            spec: { containers: [{ name: "coredns", image: "registry.k8s.io/coredns/coredns:v1.12.4" }] },
          },
        },
      });
      objects.push(...inlineManifests(first.config.v1alpha1));
    }
    const inventory: Record<string, string> = {};
    for (const o of objects) {
      const r = this.resourceOfObject(o);
      if (!r) continue;
      this.store.put(r, {
        ...o,
        metadata: {
          ...o.metadata,
          uid: uid(`${r.resource}/${o.metadata.namespace ?? ""}/${o.metadata.name}`),
          creationTimestamp: created,
          managedFields: [talosApplied(o, created)],
        },
      });
      inventory[`${o.metadata.namespace ?? ""}_${o.metadata.name}_${r.group}_${o.kind}`] = "";
    }
    if (first && keepsInventory(first)) {
      const inv: KubeObject = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { ...INVENTORY, labels: { "cli-utils.sigs.k8s.io/inventory-id": "talos-bootstrap-manifests" } },
        data: inventory,
      };
      this.store.put(CONFIGMAPS, {
        ...inv,
        metadata: {
          ...inv.metadata,
          uid: uid("inventory"),
          creationTimestamp: created,
          managedFields: [talosApplied(inv, created)],
        },
      });
    }
    // An application on the workers (a ReplicaSet's pods), which drains evict.
    for (const n of this.configured().filter((x) => !x.controlPlane)) this.storeAppPod("default", "app-7d9c", n);
  }

  private storeAppPod(namespace: string, owner: string, n: SimNode): void {
    const name = `${owner}-${this.host.random.uuid().slice(0, 5)}`;
    const pod = podObject({
      namespace,
      name,
      node: n,
      labels: { app: owner },
      owner: { apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: uid(`rs/${namespace}/${owner}`) },
      containers: [{ name: "app", image: "registry.example/app:1.0" }],
      ready: true,
      startedAt: this.host.now().toISOString(),
    });
    this.store.put(PODS, pod);
  }

  private resourceOfObject(o: KubeObject): (ApiResource & ResourceRef) | undefined {
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    return servedResources(this.version()).find((r) => r.group === group && r.version === version && r.kind === o.kind);
  }

  // --- faults ----------------------------------------------------------------------------------------------------

  /** Node faults of the Kubernetes side; false when `kind` is not one of them. */
  fault(node: SimNode, kind: string, arg: string | undefined): boolean {
    switch (kind) {
      case "component-not-ready":
        this.workloads.failNextComponent(node, arg ?? "");
        return true;
      case "kubelet-old-version":
        this.workloads.failNextKubelet(node);
        return true;
      case "clear":
        this.workloads.clear(node);
        return false;
      default:
        return false;
    }
  }

  /**
   * Cluster faults (`sim fault cluster …`): `deprecated-api=<resource.version.group>/[<namespace>/]<name>` stores an
   * object served only from an API version a later Kubernetes minor removes.
   */
  clusterFault(kind: string, arg: string | undefined): void {
    if (kind !== "deprecated-api")
      throw new Error(`unknown cluster fault "${kind}"; known: deprecated-api=RESOURCE.VERSION.GROUP/[NAMESPACE/]NAME`);
    const [resourceArg, ...rest] = (arg ?? "").split("/");
    const r = removableResource(resourceArg ?? "");
    if (!r)
      throw new Error(
        `fault deprecated-api needs RESOURCE.VERSION.GROUP/[NAMESPACE/]NAME of a removed API version, e.g. deprecated-api=podschedulingcontexts.v1alpha3.resource.k8s.io/default/legacy`,
      );
    if (!servedResources(this.version()).includes(r))
      throw new Error(`${resourceArg} is not served by Kubernetes ${this.version()} (already removed)`);
    const [namespace, name] = r.namespaced ? [rest[0], rest[1]] : [undefined, rest[0]];
    if (!name || (r.namespaced && !namespace))
      throw new Error(
        `${resourceArg} is ${r.namespaced ? "namespaced: give NAMESPACE/NAME" : "cluster-scoped: give NAME"}`,
      );
    this.store.put(r, {
      apiVersion: groupVersion(r),
      kind: r.kind,
      metadata: {
        name,
        ...(namespace ? { namespace } : {}),
        uid: uid(`${resourceArg}/${namespace ?? ""}/${name}`),
        creationTimestamp: this.host.now().toISOString(),
      },
      spec: {},
    });
  }

  // --- derived objects --------------------------------------------------------------------------------------------

  /** The kubelet registers its Node once it runs (a deleted Node comes back when the kubelet starts again). */
  register(n: SimNode): void {
    if (this.store.get(NODES, undefined, n.hostname)) return;
    // A registration marker only: labels, annotations and taints follow the machine config until a client sets them.
    this.store.put(NODES, { apiVersion: "v1", kind: "Node", metadata: { name: n.hostname } });
  }

  /** Machines whose kubelet registered a Node that was not deleted since. */
  private registered(): SimNode[] {
    const names = new Set(this.store.list(NODES, undefined).map((o) => o.metadata.name));
    // A Node outlives its machine (a lost or wiped node stays, NotReady) until it is deleted.
    return this.host.nodes.filter((n) => names.has(n.hostname));
  }

  private nodeView(n: SimNode): KubeObject {
    const base = this.workloads.nodeObject(n);
    const overlay = this.store.get(NODES, undefined, n.hostname);
    if (!overlay) return { ...base, metadata: { ...base.metadata, resourceVersion: String(this.store.revision()) } };
    return {
      ...base,
      metadata: {
        ...base.metadata,
        labels: overlay.metadata.labels ?? base.metadata.labels ?? {},
        annotations: overlay.metadata.annotations ?? base.metadata.annotations ?? {},
        resourceVersion: overlay.metadata.resourceVersion!,
      },
      spec: overlay["spec"] ?? base["spec"],
    };
  }

  private derivedPods(): KubeObject[] {
    const pods: KubeObject[] = [];
    const ds = this.store.get(DAEMONSETS, "kube-system", "kube-proxy");
    const proxyImage = (ds?.["spec"] as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)
      ?.template?.spec?.containers?.[0]?.image;
    for (const n of this.configured().filter((x) => !x.inMaintenance)) {
      pods.push(...this.workloads.staticPods(n));
      if (proxyImage) {
        const ready = (
          this.workloads.nodeObject(n)["status"] as { conditions: { type: string; status: string }[] }
        ).conditions.some((c) => c.type === "Ready" && c.status === "True");
        pods.push(
          podObject({
            namespace: "kube-system",
            name: `kube-proxy-${uid(`proxy/${n.hostname}`).slice(0, 5)}`,
            node: n,
            labels: { "k8s-app": "kube-proxy" },
            owner: { apiVersion: "apps/v1", kind: "DaemonSet", name: "kube-proxy", uid: ds!.metadata.uid ?? "" },
            containers: [{ name: "kube-proxy", image: proxyImage }],
            ready,
            startedAt: ds!.metadata.creationTimestamp ?? this.host.now().toISOString(),
            hostNetwork: true,
          }),
        );
      }
    }
    pods.push(...this.coreDnsPods());
    return pods.map((p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: String(this.store.revision()) } }));
  }

  /** CoreDNS's pods (its Deployment's replicas), spread over the running machines, Ready as their node is. */
  private coreDnsPods(): KubeObject[] {
    const deploy = this.store.get(DEPLOYMENTS, "kube-system", "coredns");
    if (!deploy) return [];
    const spec = deploy["spec"] as { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
    // Evicted replicas move: a cordoned machine gets none, and a pod's name carries its machine (drains wait for
    // the evicted name to disappear).
    const hosts = this.configured().filter((n) => n.stage === "running" && !this.cordoned(n));
    if (hosts.length === 0) return [];
    const rs = `coredns-${uid(`rs/${deploy.metadata.uid ?? ""}`).slice(0, 10)}`;
    return Array.from({ length: spec.replicas ?? 1 }, (_, i) => {
      const n = hosts[i % hosts.length]!;
      return podObject({
        namespace: "kube-system",
        name: `${rs}-${uid(`dns/${i}/${n.hostname}`).slice(0, 5)}`,
        node: n,
        labels: { "k8s-app": "kube-dns" },
        owner: { apiVersion: "apps/v1", kind: "ReplicaSet", name: rs, uid: uid(`rs/${rs}`) },
        containers: [{ name: "coredns", image: spec.template?.spec?.containers?.[0]?.image ?? "" }],
        ready: this.nodeReady(n),
        startedAt: deploy.metadata.creationTimestamp ?? this.host.now().toISOString(),
      });
    });
  }

  private nodeReady(n: SimNode): boolean {
    return (
      this.workloads.nodeObject(n)["status"] as { conditions: { type: string; status: string }[] }
    ).conditions.some((c) => c.type === "Ready" && c.status === "True");
  }

  /** A DaemonSet with the status its controller reports: one pod per running node, Ready as the node is. */
  private daemonSetView(ds: KubeObject): KubeObject {
    const pods = this.derivedPods().filter((p) =>
      (p.metadata["ownerReferences"] as { kind: string; name: string }[] | undefined)?.some(
        (o) => o.kind === "DaemonSet" && o.name === ds.metadata.name,
      ),
    );
    const ready = pods.filter((p) =>
      (p["status"] as { conditions: { type: string; status: string }[] }).conditions.some(
        (c) => c.type === "Ready" && c.status === "True",
      ),
    ).length;
    return {
      ...ds,
      status: {
        currentNumberScheduled: pods.length,
        desiredNumberScheduled: pods.length,
        numberMisscheduled: 0,
        numberReady: ready,
        numberAvailable: ready,
        updatedNumberScheduled: pods.length,
        observedGeneration: 1,
      },
    };
  }

  /** One object by name; a Node's view is built for that node only (a rollout reads its nodes one at a time). */
  private named(r: ApiResource, namespace: string | undefined, name: string): KubeObject | undefined {
    if (r.resource === "nodes") {
      const n = this.registered().find((x) => x.hostname === name);
      return n && this.nodeView(n);
    }
    return this.objects(r, namespace).find((o) => o.metadata.name === name);
  }

  private objects(r: ApiResource, namespace: string | undefined): KubeObject[] {
    if (r.resource === "nodes") return this.registered().map((n) => this.nodeView(n));
    const stored = this.store.list(r, namespace).map((o) => ({ ...o, apiVersion: groupVersion(r) }));
    if (r.resource === "daemonsets" && r.group === "apps") return stored.map((ds) => this.daemonSetView(ds));
    if (r.resource !== "pods" || r.group !== "") return stored;
    return [
      ...this.derivedPods().filter((p) => namespace === undefined || p.metadata.namespace === namespace),
      ...stored,
    ].sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    );
  }

  // --- HTTP ------------------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? "/", "https://sim");
    const send = (code: number, obj: unknown, contentType = "application/json") => {
      res.writeHead(code, {
        "content-type": contentType,
        "audit-id": this.host.random.uuid(),
        "cache-control": "no-cache, private",
      });
      res.end(JSON.stringify(obj));
    };
    try {
      const r = this.route(req, url, body);
      if (r.table) return send(r.code, r.body, "application/json;as=Table;v=v1;g=meta.k8s.io");
      return send(r.code, r.body);
    } catch (e) {
      const err =
        e instanceof ApiError
          ? e
          : e instanceof PatchError
            ? new ApiError(422, "Invalid", e.message)
            : new ApiError(500, "InternalError", `Internal error occurred: ${(e as Error).message}`);
      return send(err.code, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: err.message,
        reason: err.reason,
        ...(err.details ? { details: err.details } : {}),
        code: err.code,
      });
    }
  }

  private route(req: IncomingMessage, url: URL, body: string): { code: number; body: unknown; table?: boolean } {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const parts = path.split("/").filter(Boolean);
    const method = req.method ?? "GET";
    const served = servedResources(this.version());
    if (method === "GET") {
      if (path === "/version") {
        const [major, minor] = this.version().split(".");
        return {
          code: 200,
          body: {
            major,
            minor,
            gitVersion: `v${this.version()}`,
            gitCommit: "simulated",
            gitTreeState: "clean",
            buildDate: "2026-01-01T00:00:00Z",
            goVersion: "go1.26.5",
            compiler: "gc",
            platform: "linux/amd64",
          },
        };
      }
      if (path === "/healthz" || path === "/readyz" || path === "/livez") return { code: 200, body: "ok" };
      if (path === "/api")
        return {
          code: 200,
          body: {
            kind: "APIVersions",
            versions: ["v1"],
            serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: this.address }],
          },
        };
      if (path === "/apis") return { code: 200, body: apiGroupList(served) };
      if (path === "/api/v1") return { code: 200, body: apiResourceList(served, "", "v1") };
      if (parts[0] === "apis" && parts.length === 2) {
        const g = (apiGroupList(served) as { groups: { name: string }[] }).groups.find((x) => x.name === parts[1]);
        if (!g) throw notFound();
        return { code: 200, body: { kind: "APIGroup", apiVersion: "v1", ...g } };
      }
      if (parts[0] === "apis" && parts.length === 3) {
        const list = apiResourceList(served, parts[1]!, parts[2]!);
        if (!list) throw notFound();
        return { code: 200, body: list };
      }
    }
    const [group, version, rest] =
      parts[0] === "api" && parts[1] === "v1"
        ? ["", "v1", parts.slice(2)]
        : parts[0] === "apis" && parts.length >= 4
          ? [parts[1]!, parts[2]!, parts.slice(3)]
          : [undefined, undefined, []];
    if (group === undefined || rest.length === 0) throw notFound();
    // `namespaces/<ns>/<resource>/…` is namespaced; `namespaces` and `namespaces/<name>` are the Namespace objects.
    const namespaced = rest[0] === "namespaces" && rest.length >= 3;
    const [namespace, resource, name, sub] = namespaced
      ? [rest[1], rest[2], rest[3], rest[4]]
      : [undefined, rest[0], rest[1], rest[2]];
    const r = served.find((x) => x.group === group && x.version === version && x.resource === resource);
    if (!r || (namespaced && !r.namespaced)) throw notFound();
    return this.resourceRequest(req, url, body, r, r.namespaced ? namespace : undefined, name, sub);
  }

  private resourceRequest(
    req: IncomingMessage,
    url: URL,
    body: string,
    r: ApiResource,
    namespace: string | undefined,
    name: string | undefined,
    sub: string | undefined,
  ): { code: number; body: unknown; table?: boolean } {
    const method = req.method ?? "GET";
    const wantsTable = /as=Table/.test(req.headers.accept ?? "");
    const dryRun = url.searchParams.get("dryRun") === "All";
    const kindName = r.resource === "nodes" || r.resource === "pods" ? r.resource : r.resource;
    if (!name) {
      if (method === "GET") {
        if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1")
          throw new ApiError(405, "MethodNotAllowed", "watch is not supported by the simulator");
        const items = this.objects(r, namespace).filter(selectorFilter(url));
        const rv = String(this.store.revision());
        if (wantsTable) return { code: 200, body: toTable(r.kind, items, rv, this.host.now()), table: true };
        return {
          code: 200,
          body: { kind: `${r.kind}List`, apiVersion: groupVersion(r), metadata: { resourceVersion: rv }, items },
        };
      }
      if (method === "POST") {
        if (r.derived)
          throw new ApiError(
            405,
            "MethodNotAllowed",
            `the server does not allow this method on the requested resource`,
          );
        const obj = parseBody(body, req.headers["content-type"]) as KubeObject;
        return { code: 201, body: this.create(r, namespace, obj, dryRun) };
      }
      throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
    const current = this.named(r, namespace, name);
    const missing = () =>
      new ApiError(404, "NotFound", `${kindName}${r.group ? `.${r.group}` : ""} "${name}" not found`, {
        name,
        ...(r.group ? { group: r.group } : {}),
        kind: r.resource,
      });
    if (sub === "eviction" && r.resource === "pods" && method === "POST") {
      if (!current) throw missing();
      return { code: 201, body: this.evict(current) };
    }
    if (sub === "status" && method === "GET") {
      if (!current) throw missing();
      return { code: 200, body: current };
    }
    if (sub) throw notFound();
    switch (method) {
      case "GET":
        if (!current) throw missing();
        if (wantsTable)
          return {
            code: 200,
            body: toTable(r.kind, [current], current.metadata.resourceVersion ?? "", this.host.now()),
            table: true,
          };
        return { code: 200, body: current };
      case "PATCH": {
        const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
        if (!(PATCH_TYPES as readonly string[]).includes(type))
          throw new ApiError(
            415,
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(", ")}`,
          );
        if (type === "application/apply-patch+yaml") return this.apply(r, namespace, name, current, body, url, dryRun);
        if (!current) throw missing();
        const patch = JSON.parse(body || "null") as unknown;
        const patched = (
          type === "application/json-patch+json"
            ? jsonPatch(current, patch)
            : type === "application/merge-patch+json"
              ? mergePatch(current, patch)
              : strategicMergePatch(current, patch)
        ) as KubeObject;
        return { code: 200, body: this.update(r, current, patched, dryRun) };
      }
      case "PUT": {
        if (!current) throw missing();
        const obj = parseBody(body, req.headers["content-type"]) as KubeObject;
        if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
          throw new ApiError(
            409,
            "Conflict",
            `Operation cannot be fulfilled on ${r.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            { name, kind: r.resource },
          );
        }
        return { code: 200, body: this.update(r, current, obj, dryRun) };
      }
      case "DELETE": {
        // Deleting a Node removes its registration (kubectl delete node), also of a machine that is gone or wiped;
        // the kubelet registers it again when it runs.
        const registration =
          r.resource === "nodes" && r.group === "" ? this.store.get(NODES, undefined, name) : undefined;
        if (registration) {
          if (!dryRun) this.store.delete(NODES, undefined, name);
          return { code: 200, body: current ?? registration };
        }
        if (!current) throw missing();
        if (r.derived || (r.resource === "pods" && !this.store.get(r, namespace, name)))
          throw new ApiError(
            405,
            "MethodNotAllowed",
            `${r.resource} "${name}" is managed by the node and cannot be deleted in the simulator`,
          );
        if (!dryRun) this.store.delete(r, namespace, name);
        return { code: 200, body: current };
      }
      default:
        throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    }
  }

  private create(r: ApiResource, namespace: string | undefined, obj: KubeObject, dryRun: boolean): KubeObject {
    if (!obj?.metadata?.name)
      throw new ApiError(
        422,
        "Invalid",
        `${r.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (obj.kind && obj.kind !== r.kind)
      throw new ApiError(400, "BadRequest", `the kind ${obj.kind} does not match the resource ${r.resource}`);
    if (r.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace)
        throw new ApiError(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      if (!this.store.get(NAMESPACES, undefined, namespace!))
        throw new ApiError(404, "NotFound", `namespaces "${namespace}" not found`, {
          name: namespace!,
          kind: "namespaces",
        });
    }
    if (this.objects(r, namespace).some((o) => o.metadata.name === obj.metadata.name)) {
      throw new ApiError(
        409,
        "AlreadyExists",
        `${r.resource}${r.group ? `.${r.group}` : ""} "${obj.metadata.name}" already exists`,
        { name: obj.metadata.name, kind: r.resource },
      );
    }
    const full: KubeObject = {
      ...obj,
      apiVersion: groupVersion(r),
      kind: r.kind,
      metadata: {
        ...obj.metadata,
        ...(r.namespaced ? { namespace } : {}),
        uid: this.host.random.uuid(),
        creationTimestamp: this.host.now().toISOString(),
      },
    };
    return dryRun ? full : this.store.put(r, full);
  }

  private update(r: ApiResource, current: KubeObject, next: KubeObject, dryRun: boolean): KubeObject {
    if (next.metadata?.name !== current.metadata.name)
      throw new ApiError(
        422,
        "Invalid",
        `${r.kind} "${current.metadata.name}" is invalid: metadata.name: Invalid value: the name of the object does not match the name on the URL`,
      );
    if (r.resource === "nodes") {
      // Only what a client may change on a Node is kept (labels, annotations, spec): status is the kubelet's.
      const overlay: KubeObject = {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: current.metadata.name,
          labels: next.metadata.labels ?? {},
          annotations: next.metadata.annotations ?? {},
        },
        spec: next["spec"] ?? {},
      };
      if (!dryRun) this.store.put(NODES, overlay);
      return dryRun
        ? { ...current, metadata: { ...current.metadata, ...overlay.metadata }, spec: overlay["spec"] }
        : this.nodeView(this.host.nodes.find((n) => n.hostname === current.metadata.name)!);
    }
    if (r.resource === "pods" && !this.store.get(r, current.metadata.namespace, current.metadata.name)) {
      throw new ApiError(
        405,
        "MethodNotAllowed",
        `pod "${current.metadata.name}" is a mirror pod of a static pod: change the node's machine config instead`,
      );
    }
    const full: KubeObject = {
      ...next,
      apiVersion: groupVersion(r),
      kind: r.kind,
      metadata: {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        ...(current.metadata.namespace ? { namespace: current.metadata.namespace } : {}),
      },
    };
    return dryRun ? full : this.store.put(r, full);
  }

  /**
   * Server-side apply: creates or merges the applied configuration. Like kube-apiserver, the manager's field set
   * (`managedFields[].fieldsV1`) is recorded, and a field the same manager applied before but no longer applies is
   * removed — how an applier (Talos's manifest sync, its inventory) drops what it stopped managing.
   */
  private apply(
    r: ApiResource,
    namespace: string | undefined,
    name: string,
    current: KubeObject | undefined,
    body: string,
    url: URL,
    dryRun: boolean,
  ): { code: number; body: unknown } {
    const manager = url.searchParams.get("fieldManager");
    if (!manager)
      throw new ApiError(400, "BadRequest", "PATCH, application/apply-patch+yaml requires fieldManager to be set");
    const applied = parseYaml(body) as KubeObject;
    if (!applied?.metadata || applied.metadata.name !== name)
      throw new ApiError(422, "Invalid", `the name of the applied object does not match "${name}"`);
    const entry = {
      manager,
      operation: "Apply",
      apiVersion: groupVersion(r),
      time: this.host.now().toISOString(),
      fieldsType: "FieldsV1",
      fieldsV1: fieldSet(applied),
    };
    type Managed = typeof entry;
    if (!current)
      return {
        code: 201,
        body: this.create(
          r,
          namespace,
          { ...applied, metadata: { ...applied.metadata, managedFields: [entry] } },
          dryRun,
        ),
      };
    const managed = (current.metadata["managedFields"] as Managed[] | undefined) ?? [];
    const before = managed.find((m) => m.manager === manager && m.operation === "Apply");
    const base = before ? (dropReleased(current, before.fieldsV1, entry.fieldsV1) as KubeObject) : current;
    const merged = strategicMergePatch(base, applied) as KubeObject;
    const others = managed.filter((m) => m !== before);
    return {
      code: 200,
      body: this.update(
        r,
        current,
        { ...merged, metadata: { ...merged.metadata, managedFields: [...others, entry] } },
        dryRun,
      ),
    };
  }

  private evict(pod: KubeObject): unknown {
    const stored = this.store.get(PODS, pod.metadata.namespace, pod.metadata.name);
    const owner0 = (pod.metadata["ownerReferences"] as { kind: string }[] | undefined)?.[0];
    // CoreDNS's replicas are derived: once the machine is cordoned they run elsewhere.
    if (!stored && owner0?.kind === "ReplicaSet")
      return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
    if (!stored)
      throw new ApiError(
        429,
        "TooManyRequests",
        `Cannot evict pod as it would violate the pod's disruption budget (mirror and DaemonSet pods are not evicted)`,
      );
    this.store.delete(PODS, pod.metadata.namespace, pod.metadata.name);
    const owner = (pod.metadata["ownerReferences"] as { kind: string; name: string }[] | undefined)?.[0];
    const nodeName = (pod["spec"] as { nodeName?: string }).nodeName;
    if (owner?.kind === "ReplicaSet") {
      const target = this.configured().find(
        (n) => n.hostname !== nodeName && !n.controlPlane && n.stage === "running" && !this.cordoned(n),
      );
      if (target) this.storeAppPod(pod.metadata.namespace!, owner.name, target);
    }
    return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
  }

  private cordoned(n: SimNode): boolean {
    return Boolean((this.nodeView(n)["spec"] as { unschedulable?: boolean } | undefined)?.unschedulable);
  }

  /** Stored objects of one resource (tests and the etcd key space read them). */
  listStored(ref: ResourceRef, namespace?: string): KubeObject[] {
    return this.store.list(ref, namespace);
  }

  deployments(): KubeObject[] {
    return this.store.list(DEPLOYMENTS, undefined);
  }
}

type FieldSet = { [key: string]: FieldSet };

/** Talos applies the bootstrap manifests by server-side apply with the field manager `talos`. */
function talosApplied(o: KubeObject, time: string): unknown {
  return {
    manager: "talos",
    operation: "Apply",
    apiVersion: o.apiVersion,
    time,
    fieldsType: "FieldsV1",
    fieldsV1: fieldSet(o),
  };
}

/** The fields an applied object sets, in kube-apiserver's FieldsV1 shape (`{"f:data":{"f:k":{}}}`; lists are leaves). */
function fieldSet(o: unknown): FieldSet {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return {};
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [`f:${k}`, fieldSet(v)]));
}

/** `obj` without the fields `before` set and `now` no longer does (metadata.name/namespace stay). */
function dropReleased(obj: unknown, before: FieldSet, now: FieldSet): unknown {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return obj;
  const out: Record<string, unknown> = { ...(obj as Record<string, unknown>) };
  for (const [f, sub] of Object.entries(before)) {
    const key = f.slice(2);
    if (!(f in now)) {
      if (key !== "name" && key !== "namespace" && key !== "apiVersion" && key !== "kind") delete out[key];
    } else if (Object.keys(sub).length > 0 && Object.keys(now[f]!).length > 0)
      out[key] = dropReleased(out[key], sub, now[f]!);
  }
  return out;
}

function notFound(): ApiError {
  return new ApiError(404, "NotFound", "the server could not find the requested resource");
}

function parseBody(body: string, contentType: string | undefined): unknown {
  try {
    return /yaml/.test(contentType ?? "") ? parseYaml(body) : JSON.parse(body);
  } catch (e) {
    throw new ApiError(400, "BadRequest", `the request body is not valid: ${(e as Error).message}`);
  }
}

/** `labelSelector` (equality: `a=b`, `a!=b`, `a`) and `fieldSelector` (`spec.nodeName`, `metadata.name/namespace`). */
function selectorFilter(url: URL): (o: KubeObject) => boolean {
  const labels = labelSelector(url.searchParams.get("labelSelector") ?? "");
  const fields = (url.searchParams.get("fieldSelector") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const field = (o: KubeObject, path: string): string =>
    String(
      path
        .split(".")
        .reduce<unknown>((c, p) => (c && typeof c === "object" ? (c as Record<string, unknown>)[p] : undefined), o) ??
        "",
    );
  return (o) =>
    labels(o.metadata.labels ?? {}) &&
    fields.every((sel) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(sel);
      if (ne) return field(o, ne[1]!.trim()) !== ne[2]!.trim();
      const eq = /^([^=]+)==?(.*)$/.exec(sel);
      return eq ? field(o, eq[1]!.trim()) === eq[2]!.trim() : true;
    });
}

/**
 * A label selector as kube-apiserver reads it (apimachinery's labels.Parse): comma-separated requirements `k=v`,
 * `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, with blanks allowed around the operators (Talos's health
 * check asks for `k8s-app = kube-apiserver`).
 */
export function labelSelector(text: string): (labels: Record<string, string>) => boolean {
  const requirements = text
    .split(/,(?![^(]*\))/)
    .map((s) => s.trim())
    .filter(Boolean);
  const tests = requirements.map((req): ((l: Record<string, string>) => boolean) => {
    const set = /^([^\s!=]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(req);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      const [key, op] = [set[1]!, set[2]!];
      return (l) => (op === "in" ? key in l && values.includes(l[key]!) : !(key in l) || !values.includes(l[key]!));
    }
    const ne = /^([^!=]+)!=(.*)$/.exec(req);
    if (ne) return (l) => l[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^!=]+)==?(.*)$/.exec(req);
    if (eq) return (l) => l[eq[1]!.trim()] === eq[2]!.trim();
    return req.startsWith("!") ? (l) => !(req.slice(1).trim() in l) : (l) => req in l;
  });
  return (l) => tests.every((t) => t(l));
}

/** The manifests of `cluster.inlineManifests` (name + YAML contents), as Talos applies them at bootstrap. */
export function inlineManifests(v1alpha1: Record<string, unknown>): KubeObject[] {
  const cluster = (v1alpha1["cluster"] ?? {}) as { inlineManifests?: { name?: string; contents?: string }[] };
  return (cluster.inlineManifests ?? []).flatMap((m) =>
    parseAllDocuments(m.contents ?? "")
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => !!o && typeof o === "object" && typeof o.kind === "string" && !!o.metadata?.name),
  );
}
