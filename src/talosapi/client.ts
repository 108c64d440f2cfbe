import { anyUnpack, type Any } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type CallOptions, type Client } from "@connectrpc/connect";
import { ClusterService } from "../gen/cluster/cluster_pb.js";
import { ContainerDriver, ContainerdNamespace } from "../gen/common/common_pb.js";
import { ImageService } from "../gen/machine/image_pb.js";
import { LifecycleService } from "../gen/machine/lifecycle_pb.js";
import {
  AddressEventSchema,
  ApplyConfigurationRequest_Mode,
  MachineService,
  MachineStatusEventSchema,
  PhaseEventSchema,
  RebootRequest_Mode,
  SequenceEventSchema,
  ServiceStateEventSchema,
  TaskEventSchema,
  type ApplyConfiguration,
  type EtcdMemberStatus,
  type EtcdMembers,
  type ServiceInfo,
  type Version,
} from "../gen/machine/machine_pb.js";
import { State } from "../gen/v1alpha1/state_pb.js";
import type { Resource } from "../gen/v1alpha1/resource_pb.js";
import { TalosContract } from "../contract/index.js";
import { extractFileFromTarGz } from "./targz.js";
import { readYamlSpec } from "./yaml-spec.js";
import { openTransport, type TalosTransport, type TlsDialer, type TransportCredentials } from "./transport.js";

export { ApplyConfigurationRequest_Mode as ApplyMode, RebootRequest_Mode as RebootMode };

/** A failure of one node in a fan-out call; other nodes' results are unaffected. */
export class NodeError extends Error {
  constructor(
    readonly node: string,
    readonly error: Error,
    readonly code?: Code,
  ) {
    super(`${node}: ${error.message}`, { cause: error });
    this.name = "NodeError";
  }
}

export type NodeResult<T> =
  | { readonly node: string; readonly value: T; readonly error?: undefined }
  | { readonly node: string; readonly value?: undefined; readonly error: NodeError };

export interface TalosClientOptions {
  /** apid endpoints; the first reachable one is used, the others are tried on UNAVAILABLE. Ignored in maintenance mode. */
  readonly endpoints: readonly string[];
  /** Target nodes (IPs or names as apid knows them); defaults to the endpoints. */
  readonly nodes?: readonly string[];
  readonly credentials: TransportCredentials;
  /** At most this many nodes are called at once (default 8). */
  readonly concurrency?: number;
  /** Deadline for unary calls (default 30 s). Streams have none unless a call passes one. */
  readonly timeoutMs?: number;
  /** Attempts for UNAVAILABLE unary calls, with exponential backoff from `retryBaseMs` (default 3 attempts, 200 ms). */
  readonly retryAttempts?: number;
  readonly retryBaseMs?: number;
  readonly loopbackOnly?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly dial?: TlsDialer;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The endpoints proxy calls to other nodes (apid's one-to-one `node` routing, as `talosctl -e <cp> -n <node>`): a
   * call to another node that the endpoint answers UNAVAILABLE or DEADLINE_EXCEEDED (the node, or the endpoint,
   * cannot be reached from there) is made again through this node's own client, so the answer is the node's own.
   */
  readonly direct?: (node: string) => TalosClient;
}

type Machine = Client<typeof MachineService>;

/** A decoded `machine.Event` (talos-api.md §1.3); `type` is the payload's proto name, e.g. `machine.SequenceEvent`. */
export interface TalosEvent {
  readonly node: string;
  readonly id: string;
  readonly actorId: string;
  readonly type: string;
  readonly payload: Record<string, unknown> | undefined;
}

export interface ResourceView {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  readonly version: string;
  /** The spec as Talos sent it (YAML); equal texts mean equal specs. */
  readonly yamlSpec: string;
  /** The parsed spec (parsed on first use); a MachineConfig's is the config text, from every Talos version. */
  readonly spec: unknown;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface UpgradeResult {
  readonly ack: string;
  readonly actorId: string;
  /** Which API was used: the legacy MachineService.Upgrade (≤ 1.12) or ImageService.Pull + LifecycleService.Upgrade. */
  readonly api: "machine" | "lifecycle";
}

const EVENT_SCHEMAS = [
  SequenceEventSchema,
  PhaseEventSchema,
  TaskEventSchema,
  ServiceStateEventSchema,
  MachineStatusEventSchema,
  AddressEventSchema,
];

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A Talos API client: one RPC per target node (gRPC metadata `node`, which works from 1.6 to main) with client-side
 * fan-out, instead of apid's deprecated one-to-many `nodes` proxying (connect-es would comma-join multi-valued headers,
 * talos-api.md P4).
 */
export class TalosClient {
  readonly nodes: readonly string[];
  private readonly transports = new Map<string, Promise<TalosTransport>>();
  private endpointIndex = 0;

  /** The apid endpoints calls go through (a one-node command without -n goes to the first, as talosctl does). */
  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  constructor(private readonly options: TalosClientOptions) {
    this.nodes = options.nodes && options.nodes.length > 0 ? options.nodes : options.endpoints;
    if (options.credentials.kind === "mtls" && options.endpoints.length === 0) {
      throw new Error("no endpoints: set `endpoints` in the talosconfig context or pass -e/--endpoints");
    }
    if (this.nodes.length === 0) throw new Error("no nodes: pass -n/--nodes or set `nodes` in the talosconfig context");
  }

  get maintenance(): boolean {
    return this.options.credentials.kind === "maintenance";
  }

  close(): void {
    for (const t of this.transports.values())
      void t.then(
        (x) => x.close(),
        () => undefined,
      );
    this.transports.clear();
  }

  private transportFor(endpoint: string): Promise<TalosTransport> {
    let t = this.transports.get(endpoint);
    if (!t) {
      t = openTransport({
        endpoint,
        credentials: this.options.credentials,
        ...(this.options.loopbackOnly !== undefined ? { loopbackOnly: this.options.loopbackOnly } : {}),
        ...(this.options.env ? { env: this.options.env } : {}),
        ...(this.options.dial ? { dial: this.options.dial } : {}),
      });
      this.transports.set(endpoint, t);
      t.catch(() => this.transports.delete(endpoint));
    }
    return t;
  }

  /**
   * The stub and call options for one node. In maintenance mode the node itself is dialed without `node` metadata
   * (Talos disables node routing there); otherwise the current endpoint proxies to the node.
   */
  private async target(
    node: string,
  ): Promise<{ endpoint: string; transport: TalosTransport; headers: Record<string, string> }> {
    if (this.maintenance) return { endpoint: node, transport: await this.transportFor(node), headers: {} };
    const endpoint = this.options.endpoints[this.endpointIndex % this.options.endpoints.length]!;
    return { endpoint, transport: await this.transportFor(endpoint), headers: { node } };
  }

  /** Runs a unary call for one node, retrying UNAVAILABLE with backoff and rotating endpoints. */
  async call<T>(
    node: string,
    fn: (clients: Clients, opts: CallOptions) => Promise<T>,
    callOptions: CallOptions = {},
  ): Promise<T> {
    const attempts = this.options.retryAttempts ?? 3;
    const base = this.options.retryBaseMs ?? 200;
    const sleep = this.options.sleep ?? defaultSleep;
    for (let attempt = 1; ; attempt++) {
      const { endpoint, transport, headers } = await this.target(node);
      try {
        return await fn(clientsFor(transport), {
          timeoutMs: this.options.timeoutMs ?? 30_000,
          ...callOptions,
          headers: { ...headers, ...(callOptions.headers as Record<string, string>) },
        });
      } catch (e) {
        const ce = ConnectError.from(e);
        const direct = this.directFor(node, endpoint, ce);
        if (direct) return direct.call(node, fn, callOptions);
        if (ce.code !== Code.Unavailable || attempt >= attempts) throw e;
        if (!this.maintenance && this.options.endpoints.length > 1) this.endpointIndex++;
        await sleep(base * 2 ** (attempt - 1));
      }
    }
  }

  /** Opens a server stream for one node (no retry: a stream may already have delivered data). */
  async *stream<T>(
    node: string,
    fn: (clients: Clients, opts: CallOptions) => AsyncIterable<T>,
    callOptions: CallOptions = {},
  ): AsyncIterable<T> {
    const { endpoint, transport, headers } = await this.target(node);
    let delivered = false;
    try {
      for await (const item of fn(clientsFor(transport), {
        ...callOptions,
        headers: { ...headers, ...(callOptions.headers as Record<string, string>) },
      })) {
        delivered = true;
        yield item;
      }
    } catch (e) {
      // The caller's own abort ends the stream quietly (e.g. `logs -f` interrupted, a watch that saw enough).
      if (callOptions.signal?.aborted && ConnectError.from(e).code === Code.Canceled) return;
      // A stream that has delivered nothing yet can still be opened directly.
      const direct = delivered ? undefined : this.directFor(node, endpoint, ConnectError.from(e));
      if (!direct) throw e;
      yield* direct.stream(node, fn, callOptions);
    }
  }

  /** The node's own client when a call proxied to it through another endpoint could not reach it (`direct`). */
  private directFor(node: string, endpoint: string, e: ConnectError): TalosClient | undefined {
    if (!this.options.direct || this.maintenance || endpoint === node) return undefined;
    if (e.code !== Code.Unavailable && e.code !== Code.DeadlineExceeded) return undefined;
    return this.options.direct(node);
  }

  /** Calls `fn` once per node with at most `concurrency` in flight; failures become per-node `NodeError`s. */
  async fanOut<T>(fn: (node: string) => Promise<T>, nodes: readonly string[] = this.nodes): Promise<NodeResult<T>[]> {
    const results: NodeResult<T>[] = new Array(nodes.length);
    let next = 0;
    const worker = async () => {
      while (next < nodes.length) {
        const i = next++;
        const node = nodes[i]!;
        try {
          results[i] = { node, value: await fn(node) };
        } catch (e) {
          const err = toError(e);
          results[i] = { node, error: new NodeError(node, err, e instanceof ConnectError ? e.code : undefined) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, nodes.length) }, worker));
    return results;
  }

  // --- MachineService -------------------------------------------------------------------------------------------

  version(nodes?: readonly string[]): Promise<NodeResult<Version>[]> {
    return this.fanOut(async (n) => first(await this.call(n, (c, o) => c.machine.version({}, o)), n), nodes);
  }

  hostname(nodes?: readonly string[]): Promise<NodeResult<string>[]> {
    return this.fanOut(async (n) => first(await this.call(n, (c, o) => c.machine.hostname({}, o)), n).hostname, nodes);
  }

  services(nodes?: readonly string[]): Promise<NodeResult<ServiceInfo[]>[]> {
    return this.fanOut(
      async (n) => first(await this.call(n, (c, o) => c.machine.serviceList({}, o)), n).services,
      nodes,
    );
  }

  serviceRestart(id: string, nodes?: readonly string[]): Promise<NodeResult<string>[]> {
    return this.fanOut(
      async (n) => first(await this.call(n, (c, o) => c.machine.serviceRestart({ id }, o)), n).resp,
      nodes,
    );
  }

  /**
   * Log chunks of a Talos service (`system` namespace, containerd driver) or, with `kubernetes`, of a Kubernetes
   * container (`k8s.io`, CRI driver). `tail` undefined = everything (-1 on the wire; 0 would mean "no past lines").
   */
  logs(
    node: string,
    id: string,
    opts: { kubernetes?: boolean; follow?: boolean; tail?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<Uint8Array> {
    const req = {
      namespace: opts.kubernetes ? "k8s.io" : "system",
      driver: opts.kubernetes ? ContainerDriver.CRI : ContainerDriver.CONTAINERD,
      id,
      follow: opts.follow ?? false,
      tailLines: opts.tail ?? -1,
    };
    return mapData(
      node,
      this.stream(node, (c, o) => c.machine.logs(req, o), opts.signal ? { signal: opts.signal } : {}),
    );
  }

  dmesg(
    node: string,
    opts: { follow?: boolean; tail?: boolean; signal?: AbortSignal } = {},
  ): AsyncIterable<Uint8Array> {
    return mapData(
      node,
      this.stream(
        node,
        (c, o) => c.machine.dmesg({ follow: opts.follow ?? false, tail: opts.tail ?? false }, o),
        opts.signal ? { signal: opts.signal } : {},
      ),
    );
  }

  /** Reads a file from the node (e.g. `/proc/modules`, `/proc/sys/kernel/random/boot_id`). Admin only. */
  async read(node: string, path: string): Promise<Uint8Array> {
    return concat(
      await collect(
        mapData(
          node,
          this.stream(node, (c, o) => c.machine.read({ path }, o), { timeoutMs: this.options.timeoutMs ?? 30_000 }),
        ),
      ),
    );
  }

  /** Applies `data` (or, per node, `data(node)`) to each node. */
  applyConfiguration(
    data: Uint8Array | ((node: string) => Uint8Array),
    opts: { mode: ApplyConfigurationRequest_Mode; dryRun?: boolean; tryTimeoutMs?: number },
    nodes?: readonly string[],
  ): Promise<NodeResult<ApplyConfiguration>[]> {
    const req = {
      mode: opts.mode,
      dryRun: opts.dryRun ?? false,
      ...(opts.tryTimeoutMs !== undefined
        ? {
            tryModeTimeout: {
              seconds: BigInt(Math.floor(opts.tryTimeoutMs / 1000)),
              nanos: (opts.tryTimeoutMs % 1000) * 1e6,
            },
          }
        : {}),
    };
    return this.fanOut(
      async (n) =>
        first(
          await this.call(n, (c, o) =>
            c.machine.applyConfiguration({ ...req, data: typeof data === "function" ? data(n) : data }, o),
          ),
          n,
        ),
      nodes,
    );
  }

  reboot(
    mode: RebootRequest_Mode = RebootRequest_Mode.DEFAULT,
    nodes?: readonly string[],
  ): Promise<NodeResult<string>[]> {
    return this.fanOut(
      async (n) => first(await this.call(n, (c, o) => c.machine.reboot({ mode }, o)), n).actorId,
      nodes,
    );
  }

  /** `recover`: bootstrap from the snapshot uploaded with `etcdRecover` (`talosctl bootstrap --recover-from`). */
  bootstrap(node: string, recover?: { skipHashCheck?: boolean }): Promise<void> {
    const req = recover ? { recoverEtcd: true, recoverSkipHashCheck: recover.skipHashCheck ?? false } : {};
    return this.call(node, async (c, o) => void (await c.machine.bootstrap(req, o)));
  }

  async kubeconfig(node: string): Promise<string> {
    const archive = concat(
      await collect(
        mapData(
          node,
          this.stream(node, (c, o) => c.machine.kubeconfig({}, o), { timeoutMs: 30_000 }),
        ),
      ),
    );
    return Buffer.from(extractFileFromTarGz("kubeconfig", archive)).toString("utf8");
  }

  /**
   * Upgrades each node with the API its version speaks: `MachineService.Upgrade` up to 1.12, and from 1.13
   * `ImageService.Pull` → `LifecycleService.Upgrade` → `MachineService.Reboot` (unless `stage`, which only the
   * legacy API offers — newer nodes stage by pulling and writing the image without the reboot).
   */
  upgrade(
    image: string,
    opts: { stage?: boolean; force?: boolean } = {},
    nodes?: readonly string[],
  ): Promise<NodeResult<UpgradeResult>[]> {
    return this.fanOut(async (n) => {
      const v = first(await this.call(n, (c, o) => c.machine.version({}, o)), n);
      const contract = TalosContract.parse(v.version?.tag ?? "");
      if (!contract?.lifecycleUpgradeApi()) {
        const u = first(
          await this.call(n, (c, o) =>
            c.machine.upgrade({ image, stage: opts.stage ?? false, force: opts.force ?? false }, o),
          ),
          n,
        );
        return { ack: u.ack, actorId: u.actorId, api: "machine" as const };
      }
      const containerd = { driver: ContainerDriver.CONTAINERD, namespace: ContainerdNamespace.NS_SYSTEM };
      for await (const _ of this.stream(n, (c, o) => c.image.pull({ containerd, imageRef: image }, o))) void _;
      let exitCode: number | undefined;
      const messages: string[] = [];
      for await (const r of this.stream(n, (c, o) =>
        c.lifecycle.upgrade({ containerd, source: { imageName: image } }, o),
      )) {
        const p = r.progress?.response;
        if (p?.case === "message") messages.push(p.value);
        if (p?.case === "exitCode") exitCode = p.value;
      }
      if (exitCode !== 0)
        throw new Error(`installer exited with code ${exitCode ?? "unknown"}: ${messages.at(-1) ?? "no output"}`);
      if (opts.stage)
        return { ack: "Upgrade staged; it takes effect on the next reboot", actorId: "", api: "lifecycle" as const };
      const r = first(await this.call(n, (c, o) => c.machine.reboot({ mode: RebootRequest_Mode.DEFAULT }, o)), n);
      return { ack: "Upgrade request received", actorId: r.actorId, api: "lifecycle" as const };
    }, nodes);
  }

  /** `ImageService.Pull` of an installer image into the system containerd (Talos ≥ 1.13), without installing it. */
  pullInstallerImage(image: string, nodes?: readonly string[]): Promise<NodeResult<void>[]> {
    return this.fanOut(async (n) => {
      const containerd = { driver: ContainerDriver.CONTAINERD, namespace: ContainerdNamespace.NS_SYSTEM };
      for await (const _ of this.stream(n, (c, o) => c.image.pull({ containerd, imageRef: image }, o))) void _;
    }, nodes);
  }

  async bootId(node: string): Promise<string> {
    return Buffer.from(await this.read(node, "/proc/sys/kernel/random/boot_id"))
      .toString("utf8")
      .trim();
  }

  /**
   * Waits until the node has rebooted (its boot id differs from `previousBootId`, like talosctl's post-check) and its
   * MachineStatus is `running`/ready; returns the boot id it came back with and the Talos version it runs.
   */
  async waitForReboot(
    node: string,
    previousBootId: string,
    opts: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<{ bootId: string; version: string }> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
    const sleep = this.options.sleep ?? defaultSleep;
    // Once the node is back (new boot id), its MachineStatus events end the wait between polls early, so readiness
    // is seen when it happens instead of up to a poll interval later. The checks below still decide; without events
    // (an older node, a dropped stream) the poll simply runs at its interval.
    const statusEvents = new AbortController();
    let wake: (() => void) | undefined;
    let last: string;
    // The boot id the node came back with: from then on each check reads its status and version, at once.
    let backAs: string | undefined;
    try {
      for (;;) {
        let woken: Promise<void> | undefined;
        try {
          if (backAs === undefined) {
            const bootId = await this.bootId(node);
            if (bootId !== previousBootId) backAs = bootId;
          }
          if (backAs === undefined) last = "the node has not rebooted yet";
          else {
            if (!wake) this.onMachineStatusEvents(node, statusEvents.signal, () => wake?.());
            woken = new Promise<void>((resolve) => (wake = resolve));
            const version = this.version([node]);
            const status = await this.getResource(node, "runtime", "MachineStatuses.runtime.talos.dev", "machine");
            const spec = status.spec as { stage?: string; status?: { ready?: boolean } } | undefined;
            const [v] = await version;
            if (spec?.stage === "running" && spec.status?.ready) {
              if (v?.value) return { bootId: backAs, version: v.value.version?.tag ?? "" };
              last = v?.error?.message ?? "version unknown";
            } else last = `stage ${spec?.stage ?? "unknown"}`;
          }
        } catch (e) {
          last = toError(e).message;
        }
        if (Date.now() >= deadline)
          throw new Error(`timed out waiting for the node to reboot and become ready (last: ${last})`);
        await (woken ? Promise.race([sleep(opts.pollMs ?? 500), woken]) : sleep(opts.pollMs ?? 500));
      }
    } finally {
      statusEvents.abort();
    }
  }

  /** Calls `onEvent` for each MachineStatus event of `node` until `signal` aborts; a failing stream just ends. */
  private onMachineStatusEvents(node: string, signal: AbortSignal, onEvent: () => void): void {
    void (async () => {
      try {
        for await (const e of this.events(node, { signal })) if (e.type === "machine.MachineStatusEvent") onEvent();
      } catch {
        // events unavailable: the caller keeps polling
      }
    })();
  }

  /**
   * `upgrade --wait`: per node, remember the boot id, upgrade, wait for the reboot, and check the node runs the
   * image's version — a node that came back on the old version rolled back (A/B) and is reported as failed.
   */
  upgradeAndWait(
    image: string,
    opts: { stage?: boolean; force?: boolean; timeoutMs?: number; pollMs?: number } = {},
    nodes?: readonly string[],
  ): Promise<NodeResult<UpgradeResult & { version: string }>[]> {
    return this.fanOut(async (n) => {
      const before = await this.bootId(n);
      const [r] = await this.upgrade(image, opts, [n]);
      if (r!.error) throw r!.error.error;
      if (opts.stage && r!.value!.api === "lifecycle") return { ...r!.value!, version: "" };
      const after = await this.waitForReboot(n, before, opts);
      const expected = installerVersion(image);
      if (expected && after.version !== expected) {
        throw new Error(
          `upgrade to ${expected} failed: the node rebooted but runs ${after.version} (rolled back to the previous boot entry)`,
        );
      }
      return { ...r!.value!, version: after.version };
    }, nodes);
  }

  etcdMembers(nodes?: readonly string[]): Promise<NodeResult<EtcdMembers>[]> {
    return this.fanOut(
      async (n) => first(await this.call(n, (c, o) => c.machine.etcdMemberList({ queryLocal: false }, o)), n),
      nodes,
    );
  }

  etcdStatus(nodes?: readonly string[]): Promise<NodeResult<EtcdMemberStatus | undefined>[]> {
    return this.fanOut(
      async (n) => first(await this.call(n, (c, o) => c.machine.etcdStatus({}, o)), n).memberStatus,
      nodes,
    );
  }

  async etcdSnapshot(node: string): Promise<Uint8Array> {
    return concat(
      await collect(
        mapData(
          node,
          this.stream(node, (c, o) => c.machine.etcdSnapshot({}, o)),
        ),
      ),
    );
  }

  // --- etcd membership, recovery, reset (one node each: these change the cluster) -------------------------------

  /** The members as the node's own etcd sees them (`talosctl etcd members` queries locally). */
  async etcdMemberList(node: string, opts: { queryLocal?: boolean } = {}): Promise<EtcdMembers> {
    return first(
      await this.call(node, (c, o) => c.machine.etcdMemberList({ queryLocal: opts.queryLocal ?? false }, o)),
      node,
    );
  }

  async etcdLeaveCluster(node: string): Promise<void> {
    first(await this.call(node, (c, o) => c.machine.etcdLeaveCluster({}, o)), node);
  }

  async etcdRemoveMemberById(node: string, memberId: bigint): Promise<void> {
    first(await this.call(node, (c, o) => c.machine.etcdRemoveMemberByID({ memberId }, o)), node);
  }

  /** Returns the new leader's name ("" when the node was not the leader). */
  async etcdForfeitLeadership(node: string): Promise<string> {
    return first(await this.call(node, (c, o) => c.machine.etcdForfeitLeadership({}, o)), node).member;
  }

  async etcdDefragment(node: string): Promise<void> {
    first(await this.call(node, (c, o) => c.machine.etcdDefragment({}, o), { timeoutMs: 5 * 60_000 }), node);
  }

  /** Uploads a snapshot for `bootstrap(node, { … })` (client stream in 1 MiB chunks; not retried). */
  async etcdRecover(node: string, snapshot: Uint8Array): Promise<void> {
    const { transport, headers } = await this.target(node);
    async function* chunks() {
      for (let i = 0; i < snapshot.byteLength; i += 1 << 20) yield { bytes: snapshot.subarray(i, i + (1 << 20)) };
    }
    first(
      await clientsFor(transport).machine.etcdRecover(chunks(), {
        headers,
        timeoutMs: this.options.timeoutMs ?? 30_000,
      }),
      node,
    );
  }

  /** `Reset`: the node answers with an actor id and runs the reset sequence afterwards (it then reboots or halts). */
  async reset(
    node: string,
    req: {
      graceful: boolean;
      reboot: boolean;
      systemPartitionsToWipe?: readonly { label: string; wipe: boolean }[];
      mode?: number;
    },
  ): Promise<string> {
    const r = await this.call(node, (c, o) =>
      c.machine.reset(
        {
          graceful: req.graceful,
          reboot: req.reboot,
          systemPartitionsToWipe: [...(req.systemPartitionsToWipe ?? [])],
          mode: req.mode ?? 0,
        },
        o,
      ),
    );
    return first(r, node).actorId;
  }

  /** Decoded machine events; the empty "hello" event Talos sends first is skipped (P7). */
  async *events(
    node: string,
    opts: { tailEvents?: number; actorId?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<TalosEvent> {
    const req = { tailEvents: opts.tailEvents ?? 0, withActorId: opts.actorId ?? "" };
    for await (const ev of this.stream(
      node,
      (c, o) => c.machine.events(req, o),
      opts.signal ? { signal: opts.signal } : {},
    )) {
      if (!ev.data) continue;
      yield { node, id: ev.id, actorId: ev.actorId, type: typeName(ev.data), payload: decodeEvent(ev.data) };
    }
  }

  /** Relays `ClusterService.HealthCheck` progress lines (the node runs the checks itself, like `talosctl health`). */
  async *healthCheck(
    node: string,
    info: { controlPlaneNodes: string[]; workerNodes: string[] },
    opts: { waitTimeoutMs?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<string> {
    const wait = opts.waitTimeoutMs ?? 20 * 60_000;
    const req = { waitTimeout: { seconds: BigInt(Math.ceil(wait / 1000)), nanos: 0 }, clusterInfo: info };
    for await (const p of this.stream(
      node,
      (c, o) => c.cluster.healthCheck(req, o),
      opts.signal ? { signal: opts.signal } : {},
    )) {
      if (p.metadata?.error) throw new NodeError(node, new Error(p.metadata.error));
      yield p.message;
    }
  }

  // --- COSI ----------------------------------------------------------------------------------------------------

  /**
   * Resolves a short name (`members`, `extensions`, `MachineStatus`) to a resource type and its default namespace via
   * the node's `ResourceDefinitions.meta.cosi.dev`, like talosctl's `ResolveResourceKind`.
   */
  async resolveResourceType(node: string, name: string): Promise<{ type: string; defaultNamespace: string }> {
    const defs = await this.listResources(node, "meta", "ResourceDefinitions.meta.cosi.dev");
    const wanted = name.toLowerCase();
    for (const d of defs) {
      const spec = d.spec as
        { type?: string; defaultNamespace?: string; allAliases?: string[]; aliases?: string[] } | undefined;
      const names = [d.id, spec?.type ?? "", ...(spec?.allAliases ?? []), ...(spec?.aliases ?? [])].map((x) =>
        x.toLowerCase(),
      );
      if (names.includes(wanted)) return { type: spec?.type ?? d.id, defaultNamespace: spec?.defaultNamespace ?? "" };
    }
    throw new Error(`resource type "${name}" is not known to ${node} (known: ${defs.map((d) => d.id).join(", ")})`);
  }

  async getResource(node: string, namespace: string, type: string, id: string): Promise<ResourceView> {
    const r = await this.call(node, (c, o) => c.state.get({ namespace, type, id }, o));
    return resourceView(r.resource);
  }

  async listResources(node: string, namespace: string, type: string): Promise<ResourceView[]> {
    const out: ResourceView[] = [];
    for await (const r of this.stream(node, (c, o) => c.state.list({ namespace, type }, o), {
      timeoutMs: this.options.timeoutMs ?? 30_000,
    }))
      out.push(resourceView(r.resource));
    return out;
  }

  /** Watch events; the empty first response ("watch is ready") is skipped. */
  async *watchResources(
    node: string,
    namespace: string,
    type: string,
    opts: { id?: string; signal?: AbortSignal } = {},
  ): AsyncIterable<{ type: string; resource: ResourceView }> {
    const req = {
      namespace,
      type,
      ...(opts.id ? { id: opts.id } : {}),
      options: { bootstrapContents: true },
      apiVersion: 1,
    };
    for await (const w of this.stream(
      node,
      (c, o) => c.state.watch(req, o),
      opts.signal ? { signal: opts.signal } : {},
    )) {
      for (const e of w.event) {
        if (e.resource)
          yield {
            type: ["created", "updated", "destroyed", "bootstrapped", "errored", "noop"][e.eventType] ?? "unknown",
            resource: resourceView(e.resource),
          };
      }
    }
  }
}

/** The Talos version in an installer image tag (`…installer…:v1.13.9`), when it has one. */
export function installerVersion(image: string): string | undefined {
  return /:(v\d+\.\d+\.\d+[^@/]*)(?:@.*)?$/.exec(image)?.[1];
}

export interface Clients {
  readonly machine: Machine;
  readonly cluster: Client<typeof ClusterService>;
  readonly state: Client<typeof State>;
  readonly image: Client<typeof ImageService>;
  readonly lifecycle: Client<typeof LifecycleService>;
}

const clientCache = new WeakMap<TalosTransport, Clients>();
function clientsFor(t: TalosTransport): Clients {
  let c = clientCache.get(t);
  if (!c) {
    c = {
      machine: createClient(MachineService, t.transport),
      cluster: createClient(ClusterService, t.transport),
      state: createClient(State, t.transport),
      image: createClient(ImageService, t.transport),
      lifecycle: createClient(LifecycleService, t.transport),
    };
    clientCache.set(t, c);
  }
  return c;
}

/**
 * The one per-node message of a unary reply. An apid proxying one-to-many reports a node's failure inside the
 * message (`metadata.error`, P10); that is surfaced as an error here too.
 */
function first<T extends { metadata?: { error: string } | undefined }>(reply: { messages: T[] }, node: string): T {
  const m = reply.messages[0];
  if (!m) throw new Error(`empty reply from ${node}`);
  if (m.metadata?.error) throw new Error(m.metadata.error);
  return m;
}

async function* mapData(
  node: string,
  s: AsyncIterable<{ metadata?: { error: string } | undefined; bytes: Uint8Array }>,
): AsyncIterable<Uint8Array> {
  for await (const d of s) {
    if (d.metadata?.error) throw new NodeError(node, new Error(d.metadata.error));
    yield d.bytes;
  }
}

async function collect<T>(s: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of s) out.push(x);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** Talos event type URLs are `talos/runtime/<proto name>` (P6); the name is what follows the last slash. */
function typeName(any: Any): string {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
}

function decodeEvent(any: Any): Record<string, unknown> | undefined {
  const name = typeName(any);
  const schema = EVENT_SCHEMAS.find((s) => s.typeName === name);
  if (!schema) return undefined;
  const msg = anyUnpack(any, schema);
  return msg ? (msg as unknown as Record<string, unknown>) : undefined;
}

function resourceView(r: Resource | undefined): ResourceView {
  const md = r?.metadata;
  const yamlSpec = r?.spec?.yamlSpec ?? "";
  const annotations = md?.annotations ?? {};
  // Talos < 1.12 sends a MachineConfig's config document(s) as its YAML spec verbatim (several documents: not one
  // YAML value), >= 1.12 one YAML string and the `talos.dev/yaml-spec` annotation. talosctl tells them apart by the
  // annotation (cmd/talosctl/cmd/talos/output/yaml.go); so does this, and either way the spec is the config text.
  const rawConfig = md?.type === MACHINE_CONFIG_TYPE && annotations[YAML_SPEC_ANNOTATION] === undefined;
  // Parsed when read: observing a node fetches both machine configs (~10 KiB of YAML each) and mostly only compares them.
  let parsed: { spec: unknown } | undefined;
  return {
    namespace: md?.namespace ?? "",
    type: md?.type ?? "",
    id: md?.id ?? "",
    version: md?.version ?? "",
    yamlSpec,
    annotations,
    get spec() {
      parsed ??= { spec: !yamlSpec ? undefined : rawConfig ? yamlSpec : readYamlSpec(yamlSpec) };
      return parsed.spec;
    },
  };
}

const MACHINE_CONFIG_TYPE = "MachineConfigs.config.talos.dev";
const YAML_SPEC_ANNOTATION = "talos.dev/yaml-spec";
