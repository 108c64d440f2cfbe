import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from "node:http2";
import type { TLSSocket } from "node:tls";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type ConnectRouter,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { ClusterService } from "../gen/cluster/cluster_pb.js";
import { ImageService } from "../gen/machine/image_pb.js";
import { LifecycleService } from "../gen/machine/lifecycle_pb.js";
import { EventSchema, MachineService, type Event as MachineEvent } from "../gen/machine/machine_pb.js";
import { TimeService } from "../gen/time/time_pb.js";
import { State } from "../gen/v1alpha1/state_pb.js";
import { EventType } from "../gen/v1alpha1/state_pb.js";
import { GRPC_MAX_MESSAGE_BYTES } from "../talosapi/transport.js";
import type { SimNode } from "./node.js";
import { DEFINITIONS, listResources, type SimResource } from "./resources.js";
import { yamlSpecOf } from "./spec-yaml.js";
import type { SimCluster } from "./cluster.js";
import { withOneToMany } from "./one-to-many.js";
import { ETCD_METHOD_ROLES, etcdLifecycleHandlers } from "./etcd-rpc.js";
import * as inspect from "./inspect.js";

export type Role = "os:admin" | "os:operator" | "os:reader" | "os:etcd:backup" | "os:impersonator";
const ADMIN: Role[] = ["os:admin"];
const OPERATOR: Role[] = ["os:admin", "os:operator"];
const READER: Role[] = ["os:admin", "os:operator", "os:reader"];

/** Per-method roles as in machined's authorization rules (talos-api.md §2.1). Unlisted methods need admin. */
export const METHOD_ROLES: Readonly<Record<string, readonly Role[]>> = {
  "/machine.MachineService/ApplyConfiguration": ADMIN,
  "/machine.MachineService/Upgrade": ADMIN,
  "/machine.MachineService/Bootstrap": ADMIN,
  "/machine.MachineService/Read": ADMIN,
  "/machine.MachineService/Kubeconfig": ADMIN,
  "/machine.MachineService/Reboot": OPERATOR,
  "/machine.MachineService/ServiceRestart": OPERATOR,
  "/machine.MachineService/Version": READER,
  "/machine.MachineService/Hostname": READER,
  "/machine.MachineService/ServiceList": READER,
  "/machine.MachineService/Logs": READER,
  "/machine.MachineService/Dmesg": READER,
  "/machine.MachineService/Events": READER,
  "/machine.MachineService/EtcdMemberList": [...READER, "os:etcd:backup"],
  "/machine.MachineService/EtcdStatus": [...READER, "os:etcd:backup"],
  "/machine.MachineService/EtcdSnapshot": [...OPERATOR, "os:etcd:backup"],
  "/cluster.ClusterService/HealthCheck": READER,
  "/cosi.resource.State/Get": READER,
  "/cosi.resource.State/List": READER,
  "/cosi.resource.State/Watch": READER,
  "/machine.ImageService/Pull": OPERATOR,
  "/machine.ImageService/List": READER,
  "/machine.LifecycleService/Upgrade": ADMIN,
  ...(ETCD_METHOD_ROLES as Record<string, readonly Role[]>),
  "/machine.MachineService/Containers": READER,
  "/machine.MachineService/Stats": READER,
  "/machine.MachineService/Memory": READER,
  "/machine.MachineService/Processes": READER,
  "/machine.MachineService/List": READER,
  "/machine.MachineService/DiskUsage": READER,
  "/machine.MachineService/Mounts": READER,
  "/machine.MachineService/Netstat": READER,
  "/machine.MachineService/Shutdown": OPERATOR,
  "/machine.MachineService/Rollback": ADMIN,
  "/machine.MachineService/ServiceStart": OPERATOR,
  "/machine.MachineService/ServiceStop": OPERATOR,
  "/machine.MachineService/EtcdAlarmList": [...READER, "os:etcd:backup"],
  "/time.TimeService/Time": READER,
  "/time.TimeService/TimeCheck": READER,
};

/** Methods a Talos ≤ 1.12 maintenance server answers; the rest are Unimplemented there. */
const MAINTENANCE_METHODS = new Set([
  "/machine.MachineService/ApplyConfiguration",
  "/cosi.resource.State/Get",
  "/cosi.resource.State/List",
  "/cosi.resource.State/Watch",
]);

const kRoles = createContextKey<readonly string[]>([]);

/** Roles from the verified client certificate's Organization; maintenance clients (no cert) are readers. */
function rolesOf(
  req: { readonly socket: unknown; readonly stream?: { readonly session?: Http2Session | undefined } },
  mode: "maintenance" | "normal",
): readonly string[] {
  if (mode === "maintenance") return ["os:reader"];
  // A connection's client certificate does not change: it is decoded once per HTTP/2 session, not per request.
  const session = req.stream?.session;
  const known = session && rolesByConnection.get(session);
  if (known) return known;
  const subject = (req.socket as TLSSocket | undefined)?.getPeerCertificate?.()?.subject as
    { O?: string | string[] } | undefined;
  const o = subject?.O;
  const roles = o === undefined ? [] : Array.isArray(o) ? o : [o];
  if (session) rolesByConnection.set(session, roles);
  return roles;
}

const rolesByConnection = new WeakMap<Http2Session, readonly string[]>();

function methodPath(ctx: HandlerContext): string {
  return `/${ctx.service.typeName}/${ctx.method.name}`;
}

/**
 * The apid side of one listener: authorization, then routing (no metadata → this node, `node` → that node of the
 * fleet, dispatched in-process like apid's one-to-one proxy), then the node's machined behaviour.
 */
export function createHandler(
  cluster: SimCluster,
  self: SimNode,
  mode: "maintenance" | "normal",
): (req: Http2ServerRequest, res: Http2ServerResponse) => void {
  const route = (ctx: HandlerContext): SimNode => {
    const path = methodPath(ctx);
    const roles = ctx.values.get(kRoles);
    const contract = self.contract;
    if (mode === "maintenance") {
      if (contract.unifiedMaintenanceApi()) {
        if (
          path !== "/machine.MachineService/ApplyConfiguration" &&
          !(METHOD_ROLES[path] ?? ADMIN).some((r) => roles.includes(r))
        ) {
          throw new ConnectError("not authorized", Code.PermissionDenied);
        }
      } else if (!MAINTENANCE_METHODS.has(path)) {
        throw new ConnectError("API is not implemented in maintenance mode", Code.Unimplemented);
      }
    } else if (!(METHOD_ROLES[path] ?? ADMIN).some((r) => roles.includes(r))) {
      throw new ConnectError("not authorized", Code.PermissionDenied);
    }
    const target = ctx.requestHeader.get("node");
    if (!target || target === self.address || target === self.hostname) return self;
    if (mode === "maintenance")
      throw new ConnectError("node routing is disabled in maintenance mode", Code.InvalidArgument);
    if (target.includes(",")) throw new ConnectError("node metadata must be a single value", Code.InvalidArgument);
    const node = cluster.lookup(target);
    if (!node)
      throw new ConnectError(
        `connection error: desc = "transport: Error while dialing: dial tcp ${target}:50000: connect: no route to host"`,
        Code.Unavailable,
      );
    // The target's apid answers while its listener is open, which a reboot keeps while services stop: `up` turns
    // false when the sequence starts, and routed calls then failed that a direct call still answered (talosctl's
    // reboot tracker opens its event watch routed, concurrently with the Reboot call).
    if (!cluster.apiListening(node) || node.inMaintenance || cluster.isUnavailable(node))
      throw new ConnectError(
        `connection error: desc = "transport: Error while dialing: dial tcp ${node.address}:50000: connect: connection refused"`,
        Code.Unavailable,
      );
    return node;
  };
  /** A streaming call's lifetime: the client's cancellation, or the target node's API going away (→ Unavailable). */
  const whileUp = (ctx: HandlerContext, n: SimNode) => {
    const down = cluster.downSignal(n);
    return {
      signal: AbortSignal.any([ctx.signal, down]),
      check: () => {
        if (down.aborted && !ctx.signal.aborted)
          throw new ConnectError(`error reading from server: EOF (${n.hostname} went down)`, Code.Unavailable);
      },
    };
  };
  const requireControlPlane = (node: SimNode, what: string) => {
    if (!node.controlPlane)
      throw new ConnectError(`${what} is only available on control plane nodes`, Code.Unimplemented);
  };
  const requireContract13 = (node: SimNode) => {
    if (!node.contract.lifecycleUpgradeApi())
      throw new ConnectError(`unknown service for Talos ${node.talosVersion}`, Code.Unimplemented);
  };

  const machine: Partial<ServiceImpl<typeof MachineService>> = {
    version(_req, ctx) {
      const n = route(ctx);
      return {
        messages: [
          {
            version: {
              tag: n.talosVersion,
              sha: "simulated",
              built: "",
              goVersion: "go1.24",
              os: "linux",
              arch: "amd64",
            },
            platform: { name: "metal", mode: "metal" },
            features: { rbac: true },
          },
        ],
      };
    },
    hostname(_req, ctx) {
      return { messages: [{ hostname: route(ctx).hostname }] };
    },
    serviceList(_req, ctx) {
      const n = route(ctx);
      return { messages: [{ services: cluster.services(n) }] };
    },
    serviceRestart(req, ctx) {
      const n = route(ctx);
      if (!n.serviceIds().includes(req.id)) throw new ConnectError(`service "${req.id}" not found`, Code.NotFound);
      n.log(req.id, `service ${req.id} restarted by API`);
      return { messages: [{ resp: `Service "${req.id}" restarted` }] };
    },
    async *logs(req, ctx) {
      const n = route(ctx);
      let lines: string[];
      if (req.namespace === "k8s.io") {
        const pod = cluster.kubernetesContainerLog(n, req.id);
        if (!pod) throw new ConnectError(`log "${req.id}" was not registered`, Code.NotFound);
        lines = pod;
      } else {
        if (!n.serviceIds().includes(req.id))
          throw new ConnectError(`log "${req.id}" was not registered`, Code.NotFound);
        lines = n.logs.get(req.id) ?? [];
      }
      const past = req.tailLines >= 0 ? lines.slice(Math.max(0, lines.length - req.tailLines)) : lines;
      // Chunks are not line-aligned on a real node; one chunk of past lines keeps that property honest enough.
      if (past.length > 0) yield { bytes: Buffer.from(past.join("\n") + "\n") };
      if (!req.follow) return;
      const live = whileUp(ctx, n);
      yield* follow(live.signal, (push) =>
        n.subscribeLogs((service, line) => service === req.id && push({ bytes: Buffer.from(line + "\n") })),
      );
      live.check();
    },
    async *dmesg(req, ctx) {
      const n = route(ctx);
      // One kmsg record per message, each ending in a newline (talosctl prints the bytes as they come).
      if (!req.tail) for (const line of n.dmesg) yield { bytes: Buffer.from(`${line}\n`) };
      if (req.follow) {
        const live = whileUp(ctx, n);
        yield* follow(live.signal, () => () => undefined);
        live.check();
      }
    },
    async *read(req, ctx) {
      const n = route(ctx);
      const content = cluster.readFile(n, req.path);
      if (content === undefined) throw new ConnectError(`open ${req.path}: no such file or directory`, Code.NotFound);
      yield { bytes: Buffer.from(content) };
    },
    applyConfiguration(req, ctx) {
      const n = route(ctx);
      const tryMs = req.tryModeTimeout
        ? Number(req.tryModeTimeout.seconds) * 1000 + Math.floor(req.tryModeTimeout.nanos / 1e6)
        : undefined;
      const r = n.applyConfiguration(req.data, req.mode, req.dryRun, tryMs);
      return {
        messages: [
          { warnings: r.warnings, modeDetails: r.modeDetails, ...(r.mode !== undefined ? { mode: r.mode } : {}) },
        ],
      };
    },
    reboot(_req, ctx) {
      const n = route(ctx);
      const actor = cluster.random.uuid();
      n.reboot("reboot", actor);
      return { messages: [{ actorId: actor }] };
    },
    bootstrap(req, ctx) {
      const n = route(ctx);
      cluster.bootstrap(n, req.recoverEtcd ? { skipHashCheck: req.recoverSkipHashCheck } : undefined);
      return { messages: [{}] };
    },
    async *kubeconfig(_req, ctx) {
      const n = route(ctx);
      requireControlPlane(n, "kubeconfig");
      yield { bytes: await cluster.kubeconfigArchive(n) };
    },
    async upgrade(req, ctx) {
      const n = route(ctx);
      const pending = n.resolveInstaller(req.image);
      if (n.controlPlane && !req.force) cluster.requireEtcdQuorumWithout(n);
      // machined pulls the installer before it starts the upgrade sequence (the node keeps running meanwhile).
      await n.pullImage(req.image);
      n.pendingUpgrade = pending;
      const actor = cluster.random.uuid();
      n.log("machined", `upgrade to ${req.image} requested${req.stage ? " (staged)" : ""}`);
      n.reboot("upgrade", actor);
      return { messages: [{ ack: "Upgrade request received", actorId: actor }] };
    },
    etcdMemberList(req, ctx) {
      const n = route(ctx);
      requireControlPlane(n, "etcd member list");
      return { messages: [{ members: cluster.etcdMembers(n, req.queryLocal) }] };
    },
    etcdStatus(_req, ctx) {
      const n = route(ctx);
      requireControlPlane(n, "etcd status");
      return { messages: [{ memberStatus: cluster.etcdStatus(n) }] };
    },
    async *etcdSnapshot(_req, ctx) {
      const n = route(ctx);
      requireControlPlane(n, "etcd snapshot");
      yield { bytes: cluster.etcdSnapshot(n) };
    },
    ...etcdLifecycleHandlers(cluster, route),
    containers(req, ctx) {
      const n = route(ctx);
      return { messages: [{ containers: inspect.containers(n, req.namespace || "system", req.driver) }] };
    },
    stats(req, ctx) {
      const n = route(ctx);
      return { messages: [{ stats: inspect.stats(n, req.namespace || "system") }] };
    },
    memory(_req, ctx) {
      route(ctx);
      return { messages: [{ meminfo: inspect.memory() }] };
    },
    processes(_req, ctx) {
      const n = route(ctx);
      return { messages: [{ processes: inspect.processes(n) }] };
    },
    async *list(req, ctx) {
      const n = route(ctx);
      yield* inspect.list(cluster, n, req.root || "/", req.recurse, req.recursionDepth);
    },
    async *diskUsage(req, ctx) {
      const n = route(ctx);
      yield* inspect.diskUsage(cluster, n, req.paths);
    },
    mounts(_req, ctx) {
      route(ctx);
      return { messages: [{ stats: inspect.mounts() }] };
    },
    netstat(_req, ctx) {
      const n = route(ctx);
      return { messages: [{ connectrecord: inspect.netstat(n) }] };
    },
    serviceStart(req, ctx) {
      const n = route(ctx);
      if (!n.serviceIds().includes(req.id)) throw new ConnectError(`service "${req.id}" not found`, Code.NotFound);
      return { messages: [{ resp: `Service "${req.id}" started` }] };
    },
    serviceStop(req, ctx) {
      const n = route(ctx);
      if (!n.serviceIds().includes(req.id)) throw new ConnectError(`service "${req.id}" not found`, Code.NotFound);
      n.log(req.id, `service ${req.id} stopped by API`);
      return { messages: [{ resp: `Service "${req.id}" stopped` }] };
    },
    shutdown(_req, ctx) {
      const n = route(ctx);
      const actor = cluster.random.uuid();
      n.shutdown(actor);
      return { messages: [{ actorId: actor }] };
    },
    rollback(_req, ctx) {
      const n = route(ctx);
      n.rollback(cluster.random.uuid());
      return { messages: [{}] };
    },
    etcdAlarmList(_req, ctx) {
      const n = route(ctx);
      requireControlPlane(n, "etcd alarm list");
      cluster.etcdStatus(n);
      return { messages: [{ memberAlarms: [] }] };
    },
    async *events(req, ctx) {
      const n = route(ctx);
      // Talos first sends an empty event so clients know the watch is established (P7).
      yield create(EventSchema, {});
      const filter = (e: MachineEvent) => !req.withActorId || e.actorId === req.withActorId;
      let sub: { past: MachineEvent[]; unsubscribe: () => void } | undefined;
      const live = whileUp(ctx, n);
      yield* follow<MachineEvent>(live.signal, (push) => {
        sub = n.subscribeEvents(req.tailEvents, (e) => filter(e) && push(e));
        for (const e of sub.past) if (filter(e)) push(e);
        return sub.unsubscribe;
      });
      live.check();
    },
  };

  const clusterSvc: Partial<ServiceImpl<typeof ClusterService>> = {
    async *healthCheck(req, ctx) {
      const n = route(ctx);
      const waitMs = req.waitTimeout
        ? Number(req.waitTimeout.seconds) * 1000 + req.waitTimeout.nanos / 1e6
        : 20 * 60_000;
      for await (const line of cluster.healthCheck(
        n,
        req.clusterInfo?.controlPlaneNodes ?? [],
        req.clusterInfo?.workerNodes ?? [],
        waitMs,
        ctx.signal,
      )) {
        yield { message: line };
      }
    },
  };

  const pick = (n: SimNode, namespace: string, type: string): SimResource[] => {
    const all = listResources(cluster, n, type);
    const known = all.some((r) => r.type === type) || KNOWN_TYPES.has(type);
    if (!known) throw new ConnectError(`resource type "${type}" is not supported`, Code.PermissionDenied);
    return all.filter((r) => r.type === type && (namespace === "" || r.namespace === namespace));
  };
  const state: Partial<ServiceImpl<typeof State>> = {
    get(req, ctx) {
      const n = route(ctx);
      const r = pick(n, req.namespace, req.type).find((x) => x.id === req.id);
      if (!r)
        throw new ConnectError(
          `resource ${req.type}(${req.namespace}/${req.id}@undefined) doesn't exist`,
          Code.NotFound,
        );
      return { resource: toProto(r) };
    },
    async *list(req, ctx) {
      const n = route(ctx);
      for (const r of pick(n, req.namespace, req.type)) yield { resource: toProto(r) };
    },
    async *watch(req, ctx) {
      const n = route(ctx);
      const items = pick(n, req.namespace, req.type).filter((r) => req.id === undefined || r.id === req.id);
      yield { event: [] };
      // A watch of one resource (COSI `Watch` with an ID) starts with its current state, or DESTROYED when absent:
      // talosctl's boot check (`AllNodesBootedAssertion`) waits on exactly that first event.
      if (req.id !== undefined && req.id !== "" && !req.options?.bootstrapContents) {
        const current = items[0];
        const md = { namespace: req.namespace, type: req.type, id: req.id, version: "0", owner: "", phase: "running" };
        yield {
          event: [
            current
              ? { resource: toProto(current), eventType: EventType.CREATED }
              : { resource: { metadata: md }, eventType: EventType.DESTROYED },
          ],
        };
      }
      if (req.options?.bootstrapContents) {
        yield { event: items.map((r) => ({ resource: toProto(r), eventType: EventType.CREATED })) };
        yield { event: [{ eventType: EventType.BOOTSTRAPPED }] };
      }
      // Changes are reported by polling the node's state (the simulator has no controller runtime).
      let last = new Map(items.map((r) => [r.id, r.version]));
      const live = whileUp(ctx, n);
      while (!live.signal.aborted) {
        await sleep(Math.max(10, 250 * cluster.timeScale), live.signal);
        if (live.signal.aborted) break;
        const now = pick(n, req.namespace, req.type).filter((r) => req.id === undefined || r.id === req.id);
        const events = now
          .filter((r) => last.get(r.id) !== r.version)
          .map((r) => ({ resource: toProto(r), eventType: last.has(r.id) ? EventType.UPDATED : EventType.CREATED }));
        last = new Map(now.map((r) => [r.id, r.version]));
        if (events.length > 0) yield { event: events };
      }
      live.check();
    },
  };

  const image: Partial<ServiceImpl<typeof ImageService>> = {
    async *list(_req, ctx) {
      const n = route(ctx);
      yield* inspect.images(n);
    },
    async *pull(req, ctx) {
      const n = route(ctx);
      requireContract13(n);
      n.resolveInstaller(req.imageRef);
      await n.pullImage(req.imageRef);
      yield { response: { case: "name", value: req.imageRef } };
    },
  };
  const time: Partial<ServiceImpl<typeof TimeService>> = {
    time(_req, ctx) {
      route(ctx);
      const now = timestampFromDate(cluster.now());
      return { messages: [{ server: "time.cloudflare.com", localtime: now, remotetime: now }] };
    },
    timeCheck(req, ctx) {
      route(ctx);
      const now = timestampFromDate(cluster.now());
      return { messages: [{ server: req.server, localtime: now, remotetime: now }] };
    },
  };
  const lifecycle: Partial<ServiceImpl<typeof LifecycleService>> = {
    async *upgrade(req, ctx) {
      const n = route(ctx);
      requireContract13(n);
      const imageRef = req.source?.imageName ?? "";
      const pending = n.resolveInstaller(imageRef);
      if (n.controlPlane) cluster.requireEtcdQuorumWithout(n);
      await n.pullImage(imageRef);
      yield { progress: { response: { case: "message", value: `installing ${imageRef}` } } };
      n.pendingUpgrade = pending;
      n.log("machined", `installed ${imageRef} into the inactive boot entry; it becomes active on the next reboot`);
      yield { progress: { response: { case: "exitCode", value: 0 } } };
    },
  };

  return connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    readMaxBytes: GRPC_MAX_MESSAGE_BYTES,
    // apid (grpc-go) answers uncompressed unless a request is compressed; connect would gzip every reply over 1 KiB.
    acceptCompression: [],
    contextValues: (req) => createContextValues().set(kRoles, rolesOf(req, mode)),
    fallback: unimplemented,
    routes: (router: ConnectRouter) => {
      router.service(MachineService, withOneToMany(MachineService, machine));
      router.service(ClusterService, withOneToMany(ClusterService, clusterSvc));
      router.service(State, withOneToMany(State, state));
      router.service(ImageService, image);
      router.service(TimeService, withOneToMany(TimeService, time));
      router.service(LifecycleService, lifecycle);
    },
  });
}

/** Services whose every method Talos serves; a method of theirs the simulator lacks is "not implemented". */
const TALOS_SERVICES = new Set([
  "machine.MachineService",
  "machine.ImageService",
  "machine.LifecycleService",
  "cluster.ClusterService",
  "cosi.resource.State",
  "time.TimeService",
  "storage.StorageService",
  "inspect.InspectService",
  "resource.ResourceService",
]);

/**
 * Answers an RPC the simulator does not serve the way a gRPC server does: a trailers-only response with status 12
 * (Unimplemented) and grpc-go's message — `method X not implemented` (the generated Unimplemented*Server of a
 * registered service) or `unknown service X`. Clients such as talosctl key their fallbacks on that code; an HTTP 404
 * without grpc-status reads to them as a broken stream (issue 17).
 */
export const unimplemented: NonNullable<ConnectNodeAdapterOptions["fallback"]> = (req, res) => {
  const [, service = "", method = ""] = /^\/([^/]+)\/([^/]+)$/.exec(req.url ?? "") ?? [];
  const message = TALOS_SERVICES.has(service) ? `method ${method} not implemented` : `unknown service ${service}`;
  req.resume();
  const headers = {
    "content-type": "application/grpc",
    "grpc-status": String(Code.Unimplemented),
    "grpc-message": encodeURIComponent(message),
  };
  // Trailers-only: one HEADERS frame that ends the stream (headers then an empty DATA frame reads as "no trailers").
  if ("stream" in res) res.stream.respond({ ":status": 200, ...headers }, { endStream: true });
  else {
    res.writeHead(200, headers);
    res.end();
  }
};

const KNOWN_TYPES = new Set(DEFINITIONS.map((d) => d.type));

function toProto(r: SimResource) {
  return {
    metadata: {
      namespace: r.namespace,
      type: r.type,
      id: r.id,
      version: String(r.version),
      owner: r.owner ?? "",
      phase: "running",
      annotations: r.annotations ?? {},
    },
    spec: { yamlSpec: r.yamlSpec ?? yamlSpecOf(r.spec), protoSpec: r.proto },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Turns a push subscription into an async stream that ends when the call is cancelled or the server drops it. */
async function* follow<T>(signal: AbortSignal, subscribe: (push: (item: T) => void) => () => void): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = subscribe((item) => {
    queue.push(item);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    while (!signal.aborted) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
