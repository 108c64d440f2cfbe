import * as http2 from "node:http2";
import type { Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { stringify } from "yaml";
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { create } from "@bufbuild/protobuf";
import {
  EtcdMemberSchema,
  EtcdMemberStatusSchema,
  ServiceInfoSchema,
  type EtcdMember,
  type EtcdMemberStatus,
  type ServiceInfo,
} from "../gen/machine/machine_pb.js";
import { EtcdRefusal, EtcdUnavailableError, SimEtcd, type KvEntry } from "./etcd.js";
import { resetNode, type SimResetRequest } from "./reset.js";
import {
  createSelfSignedCertificate,
  generateKeyPair,
  issueCertificate,
  type CertificateAndKey,
} from "../pki/index.js";
import { toNodeKeyPem } from "../talosapi/pem.js";
import { X509Certificate } from "node:crypto";
import { TalformError } from "../diagnostics/index.js";
import { isLoopbackHost, spkiFingerprint, TALOS_API_PORT } from "../talosapi/transport.js";
import { SimKubeApi } from "./kube.js";
import { FAULT_NAMES, SimNode, type NodeHost } from "./node.js";
import { configFacts } from "./config.js";
import { seededRandom, type Random } from "./random.js";
import { createHandler } from "./server.js";
import { validateFleetSpec, type FleetSpec } from "./spec.js";
import { tarGzSingleFile } from "../talosapi/targz.js";

export interface FleetOptions {
  /** Multiplies every simulated duration (1 = a reboot takes ~3 s; tests use ~0.01). */
  readonly timeScale?: number;
  /** Seed for boot ids, actor ids and etcd member ids (default 1). */
  readonly seed?: number;
  /** A simulated Image Factory: nodes then pull factory installers only for schematics registered with it. */
  readonly imageFactory?: { extensionsOf(id: string): readonly string[] | undefined };
  /**
   * The installer image pull: its size and each node's download bandwidth (bytes/s at time scale 1). A node pulls an
   * image once (the system containerd keeps it); each node has its own link. Absent: pulls are instant.
   */
  readonly imagePull?: ImagePullModel;
}

export interface ImagePullModel {
  readonly installerBytes: number;
  readonly bytesPerSecond: number;
}

export interface Fleet {
  readonly nodes: readonly SimNode[];
  /** A node by hostname or address. */
  node(name: string): SimNode;
  /** Injects a fault (see `FAULT_NAMES`) into one node. */
  fault(node: string, fault: string): void;
  /** The SPKI fingerprint of a node's maintenance-mode certificate (what Talos prints for `--cert-fingerprint`). */
  maintenanceFingerprint(node: string): string;
  /** Stops every listener and timer; nothing keeps listening afterwards. */
  stop(): Promise<void>;
  /** Listeners and sockets still open (what a stop that did not finish in time reports). */
  openHandles(): string[];
  /** The etcd model now: members, how many are healthy, and whether they have quorum. */
  etcd(): EtcdModelState;
  /** Every key of the simulated etcd with its revisions (empty while no member holds the data). */
  etcdKeys(): KvEntry[];
  /**
   * Calls `listener` after every node stage change (reboot start, down, booting, running, …) with the etcd model at
   * that instant — how tests assert "quorum is never lost" at every step. Returns an unsubscribe function.
   */
  watch(listener: (e: { node: SimNode; stage: string; etcd: EtcdModelState }) => void): () => void;
}

export interface EtcdModelState {
  readonly bootstrapped: boolean;
  readonly members: readonly string[];
  readonly healthy: readonly string[];
  readonly quorum: boolean;
}

interface Listener {
  server: http2.Http2SecureServer;
  sessions: Set<http2.ServerHttp2Session>;
  /** Every accepted TCP connection, also those still in their TLS handshake (not yet a session). */
  sockets: Set<Socket>;
}

/** The fleet's shared state: etcd, timers, listeners, and the cluster-wide answers nodes give. */
export class SimCluster implements NodeHost {
  readonly nodes: SimNode[] = [];
  readonly random: Random;
  readonly timeScale: number;
  readonly schematics: Readonly<Record<string, readonly string[]>>;
  /** How long an installer pull takes at time scale 1 (0: instant). */
  readonly pullMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Map<SimNode, Listener>();
  private readonly serverCerts = new Map<SimNode, { normal: CertificateAndKey; maintenance: CertificateAndKey }>();
  private stopped = false;
  /** The etcd cluster: key space, membership, data directories (src/sim/etcd.ts). */
  readonly etcdData: SimEtcd;
  /** Nodes under the `unavailable` fault, each with the token of its outage (a `clear` or a newer outage ends it). */
  private readonly unavailable = new Map<SimNode, symbol>();
  readonly kube: SimKubeApi;
  private kubeStarting: Promise<void> | undefined;
  readonly stageListeners = new Set<(e: { node: SimNode; stage: string; etcd: EtcdModelState }) => void>();

  constructor(
    readonly spec: FleetSpec,
    private readonly options: FleetOptions,
  ) {
    this.random = seededRandom(options.seed ?? 1);
    this.timeScale = options.timeScale ?? 1;
    this.schematics = spec.schematics ?? {};
    const pull = options.imagePull;
    this.pullMs = pull && pull.installerBytes > 0 ? (pull.installerBytes / pull.bytesPerSecond) * 1000 : 0;
    this.etcdData = new SimEtcd({
      random: this.random,
      clusterName: spec.clusterName,
      live: (h) => {
        const n = this.lookup(h);
        return (
          n !== undefined &&
          n.stage === "running" &&
          !n.faults.etcdUnhealthy &&
          !n.faults.failingServices.has("etcd") &&
          !this.unavailable.has(n)
        );
      },
    });
    this.kube = new SimKubeApi(this, spec.osCA);
  }

  get etcdBootstrapped(): boolean {
    return this.etcdData.bootstrapped;
  }

  /** The store the simulated kube-apiserver keeps its objects in. */
  get store(): SimEtcd {
    return this.etcdData;
  }

  /** The simulated kube-apiserver comes up with the cluster (at bootstrap), on the loopback cluster endpoint. */
  private startKube(node: SimNode): void {
    const endpoint = this.spec.kubernetesEndpoint ?? node.config?.controlPlaneEndpoint;
    if (!endpoint || this.kubeStarting) return;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      node.log("kubelet", `kube-apiserver is not simulated: invalid endpoint ${endpoint}`);
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (!isLoopbackHost(host)) {
      node.log("kubelet", `kube-apiserver is not simulated: ${endpoint} is not a loopback address`);
      return;
    }
    this.kubeStarting = this.kube
      .start(host, Number(url.port || 6443))
      .catch((e: Error) => node.log("kubelet", `kube-apiserver failed to listen on ${endpoint}: ${e.message}`));
  }

  now(): Date {
    return new Date();
  }

  /** The extensions of a schematic a node can pull: the factory's when one is attached, else the spec's. */
  pullableSchematic(id: string): readonly string[] | undefined {
    return this.options.imageFactory ? this.options.imageFactory.extensionsOf(id) : this.schematics[id];
  }

  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms * this.timeScale);
    this.timers.add(t);
  }

  lookup(name: string): SimNode | undefined {
    // Every routed call looks its node up (a plan over 1,000 nodes makes ~5,000): what was found is kept until any
    // node's config, which names its hostname, changes. Nodes are only ever appended, so a first match stays first.
    if (this.lookupsAt !== SimNode.configAssignments) {
      this.lookups.clear();
      this.lookupsAt = SimNode.configAssignments;
    }
    const known = this.lookups.get(name);
    if (known) return known;
    const node = this.nodes.find((n) => n.address === name || n.hostname === name || n.spec.hostname === name);
    if (node) this.lookups.set(name, node);
    return node;
  }
  private readonly lookups = new Map<string, SimNode>();
  private lookupsAt = -1;

  // --- listeners ------------------------------------------------------------------------------------------------

  async prepareCerts(node: SimNode): Promise<void> {
    const now = new Date();
    const notAfter = new Date(now.getTime() + 24 * 3600 * 1000);
    const normal = await issueCertificate(this.spec.osCA, generateKeyPair("ed25519"), {
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      keyUsages: ["digitalSignature"],
      extKeyUsages: ["serverAuth"],
      ipAddresses: [node.address],
      dnsNames: [node.spec.hostname, "localhost"],
    });
    // Maintenance mode serves a certificate from a per-boot CA the client cannot know (it may pin the fingerprint).
    const maintenance = await createSelfSignedCertificate(generateKeyPair("ed25519"), {
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      keyUsages: ["digitalSignature"],
      extKeyUsages: ["serverAuth"],
      ipAddresses: [node.address],
      dnsNames: [node.spec.hostname],
    });
    this.serverCerts.set(node, { normal, maintenance });
  }

  maintenanceCertificate(node: SimNode): string {
    return this.serverCerts.get(node)!.maintenance.crt;
  }

  async startListener(node: SimNode, mode: "maintenance" | "normal"): Promise<void> {
    if (this.stopped || this.listeners.has(node)) return;
    const certs = this.serverCerts.get(node)!;
    const cert = mode === "normal" ? certs.normal : certs.maintenance;
    const server = http2.createSecureServer(
      {
        cert: cert.crt,
        key: toNodeKeyPem(cert.key),
        minVersion: "TLSv1.2",
        ALPNProtocols: ["h2"],
        ...(mode === "normal"
          ? { ca: this.spec.osCA.crt, requestCert: true, rejectUnauthorized: true }
          : { requestCert: false }),
      },
      createHandler(this, node, mode),
    );
    const listener: Listener = { server, sessions: new Set(), sockets: new Set() };
    server.on("connection", (socket: Socket) => {
      listener.sockets.add(socket);
      socket.on("close", () => listener.sockets.delete(socket));
    });
    server.on("session", (s) => {
      listener.sessions.add(s);
      s.on("close", () => listener.sessions.delete(s));
    });
    this.listeners.set(node, listener);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(node.spec.port ?? TALOS_API_PORT, node.address, () => {
        server.off("error", reject);
        resolve();
      });
    }).catch((e: Error) => {
      this.listeners.delete(node);
      // Something else holds the address (another demo or sim): the user's to fix, not a bug.
      const where = `${node.address}:${node.spec.port ?? TALOS_API_PORT}`;
      throw new TalformError(`node ${node.spec.hostname}: cannot listen on ${where}: ${e.message}`, {
        code: "sim-listen",
        hint: `stop what listens on ${where} (another demo or \`talform sim up\`: talform sim down) or use other addresses`,
      });
    });
  }

  /**
   * Aborted when the node's API goes away (reboot, shutdown, stop). Streams routed to the node through another
   * node's listener end with it, as apid's proxied streams do when the target drops (talosctl's reboot tracking
   * relies on that Unavailable to follow the node across its reboot).
   */
  downSignal(node: SimNode): AbortSignal {
    let c = this.down.get(node);
    if (!c) this.down.set(node, (c = new AbortController()));
    return c.signal;
  }

  private readonly down = new Map<SimNode, AbortController>();

  /** Listeners and Kubernetes API sockets still open (what a bounded stop reports). */
  openHandles(): string[] {
    const out = [...this.listeners].map(
      ([n, l]) => `${n.hostname} API ${n.address}:${n.spec.port ?? TALOS_API_PORT} (${l.sessions.size} connections)`,
    );
    return [...out, ...this.kube.openHandles()];
  }

  async stopListener(node: SimNode): Promise<void> {
    this.down.get(node)?.abort();
    this.down.delete(node);
    const l = this.listeners.get(node);
    if (!l) return;
    this.listeners.delete(node);
    const closed = new Promise<void>((r) => l.server.close(() => r()));
    // A reply the node just gave (apply-config before the install reboot) still reaches the client: sessions get a
    // GOAWAY and a moment to flush; then whatever is still open (watches, logs -f) drops like a powered-off machine.
    // The close waits for every connection, so all of them drop, also those still in their TLS handshake or whose
    // session began after the GOAWAYs: a client that connected just before the stop (a loaded machine, talosctl
    // reconnecting) otherwise held the node down until the handshake timed out.
    for (const s of l.sessions) s.close();
    await new Promise((r) => setTimeout(r, 50));
    for (const s of l.sessions) s.destroy();
    for (const socket of l.sockets) socket.destroy();
    await closed;
  }

  configChanged(node: SimNode): void {
    this.kube.workloads.observe(node);
  }

  stageChanged(node: SimNode): void {
    if (this.stageListeners.size === 0) return;
    const e = { node, stage: node.stage, etcd: this.etcdModel() };
    for (const l of this.stageListeners) l(e);
  }

  etcdModel(): EtcdModelState {
    const members = this.etcdData.memberList().map((m) => m.hostname);
    const healthy = this.etcdData.healthyMembers();
    return {
      bootstrapped: this.etcdBootstrapped,
      members,
      healthy,
      quorum: !this.etcdBootstrapped || this.etcdData.quorum(),
    };
  }

  onRunning(node: SimNode): void {
    this.etcdData.booted(node.hostname);
    this.reconcileEtcd();
  }

  /**
   * What Talos's etcd service and the kubelet keep retrying: control planes with an empty etcd data directory join the
   * running cluster, and running nodes register their Kubernetes Node (stored in etcd) once etcd answers.
   */
  reconcileEtcd(): void {
    for (const n of this.nodes) {
      if (n.stage !== "running" || !n.config) continue;
      if (n.controlPlane && this.etcdData.tryJoin({ hostname: n.hostname, address: n.address }))
        n.log("etcd", `member ${n.hostname} joined the cluster`);
      try {
        if (this.kube.listening || this.etcdBootstrapped) this.kube.register(n);
      } catch (e) {
        if (!(e instanceof EtcdUnavailableError)) throw e;
      }
    }
  }

  // --- faults ---------------------------------------------------------------------------------------------------

  fault(name: string, fault: string): void {
    if (name === "cluster") {
      const [kind, arg] = fault.split("=", 2) as [string, string | undefined];
      return this.kube.clusterFault(kind, arg);
    }
    const node = this.lookup(name);
    if (!node)
      throw new Error(
        `unknown node "${name}" (known: ${this.nodes.map((n) => `${n.spec.hostname} (${n.address})`).join(", ")})`,
      );
    const [kind, arg] = fault.split("=", 2) as [string, string | undefined];
    const seconds = () => {
      const s = Number(arg);
      if (arg === undefined || !Number.isFinite(s) || s < 0)
        throw new Error(`fault ${kind} needs a number of seconds, e.g. ${kind}=10`);
      return s;
    };
    switch (kind) {
      case "reboot-hang":
        node.faults.rebootHang = true;
        break;
      case "slow-reboot":
        node.faults.slowRebootSeconds = seconds();
        break;
      case "rollback-on-upgrade":
        node.faults.rollbackOnUpgrade = true;
        break;
      case "apply-reject":
        node.faults.applyReject = true;
        break;
      case "etcd-unhealthy":
        node.faults.etcdUnhealthy = true;
        node.log("etcd", "health check failed: context deadline exceeded");
        break;
      case "drop-extension":
        if (!arg)
          throw new Error("fault drop-extension needs an extension name, e.g. drop-extension=siderolabs/iscsi-tools");
        node.faults.dropExtensions.add(arg);
        break;
      case "unavailable": {
        const s = seconds();
        const outage = Symbol("outage");
        this.unavailable.set(node, outage);
        const stopped = this.stopListener(node);
        this.outageStops.set(node, stopped);
        void stopped.then(() => this.after(s * 1000, () => this.endOutage(node, outage)));
        break;
      }
      case "time-unsynced":
        node.faults.timeUnsynced = true;
        break;
      case "service-fail": {
        if (!arg) throw new Error("fault service-fail needs a service id, e.g. service-fail=kubelet");
        node.faults.failingServices.add(arg);
        for (let i = 1; i <= 25; i++)
          node.log(arg, `error: ${arg} exited (attempt ${i}): failed to start: simulated failure`);
        break;
      }
      case "drop-address":
        if (!arg) throw new Error("fault drop-address needs an address in CIDR form, e.g. drop-address=10.0.0.11/24");
        node.faults.droppedAddresses.add(arg);
        break;
      case "no-default-route":
        node.faults.noDefaultRoute = true;
        break;
      case "resolvers":
        node.faults.resolvers = (arg ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        break;
      case "extension-version": {
        const at = arg?.lastIndexOf("@") ?? -1;
        if (!arg || at <= 0)
          throw new Error(
            "fault extension-version needs NAME@VERSION, e.g. extension-version=siderolabs/nvidia-open-gpu-kernel-modules-production@570.172.08-v1.12.6",
          );
        node.faults.extensionVersions.set(arg.slice(0, at), arg.slice(at + 1));
        break;
      }
      case "wipe":
        if (arg !== undefined && arg !== "disk")
          throw new Error("fault wipe takes no value (the node's etcd data) or wipe=disk (the whole system disk)");
        this.etcdData.wipe(node.hostname);
        node.log("etcd", `etcd data directory lost: ${this.etcdData.problem(node.hostname) ?? "rejoining"}`);
        if (arg === "disk") node.resetAndRestart({ wipeState: true, halt: false }, "");
        else this.reconcileEtcd();
        break;
      case "clear": {
        node.clearFaults();
        this.kube.fault(node, "clear", undefined);
        const outage = this.unavailable.get(node);
        if (outage) void this.outageStops.get(node)?.then(() => this.endOutage(node, outage));
        break;
      }
      default:
        if (this.kube.fault(node, kind, arg)) break;
        throw new Error(`unknown fault "${fault}"; known: ${FAULT_NAMES.join(", ")}`);
    }
  }

  // --- services, etcd, files ------------------------------------------------------------------------------------

  private readonly outageStops = new Map<SimNode, Promise<void>>();

  /** Ends that outage of the node (once: a later `clear` or the outage's own timer finds it over). */
  private endOutage(node: SimNode, outage: symbol): void {
    if (this.unavailable.get(node) !== outage) return;
    this.unavailable.delete(node);
    this.outageStops.delete(node);
    if (node.up) void this.startListener(node, node.inMaintenance ? "maintenance" : "normal");
  }

  /** The node's API listener is open (from its start at boot until services stopped, or an outage). */
  apiListening(node: SimNode): boolean {
    return this.listeners.get(node)?.server.listening === true;
  }

  /** Under the `unavailable` fault: its apid neither listens nor answers proxied requests. */
  isUnavailable(node: SimNode): boolean {
    return this.unavailable.has(node);
  }

  etcdHealthy(node: SimNode): boolean {
    return this.etcdData.healthy(node.hostname);
  }

  services(node: SimNode): ServiceInfo[] {
    const ts = timestampFromDate(this.now());
    return node.serviceIds().map((id) => {
      let state = "Running";
      let healthy = true;
      let message = "Health check successful";
      const failing = node.faults.failingServices.has(id);
      if (failing) {
        // A crash-looping service, as Talos shows it: waiting for its restart, unhealthy, a trail of restarts.
        state = "Waiting";
        healthy = false;
        message = `Error running ${id}: exit status 1, restarting in 5s`;
      } else if (id === "etcd") {
        if (!this.etcdBootstrapped) {
          state = "Preparing";
          healthy = false;
          message = "Waiting for etcd to be bootstrapped (talform bootstrap)";
        } else if (!this.etcdData.member(node.hostname) || !this.etcdData.hasData(node.hostname)) {
          // Talos's etcd service keeps trying to join while its data directory is empty (or stale).
          state = "Preparing";
          healthy = false;
          message = `etcd is waiting to join the cluster: ${this.etcdData.problem(node.hostname) ?? "joining"}`;
        } else if (!this.etcdHealthy(node)) {
          healthy = false;
          message = "context deadline exceeded";
        }
      }
      const events = serviceEvents(node.serviceHistory.get(id) ?? [], failing, state, message, ts);
      return create(ServiceInfoSchema, {
        id,
        state,
        // The node's recorded history since boot; a state the model derives now (etcd waiting for bootstrap, a
        // crash loop) is appended with the current time when it differs from the last recorded event.
        events: { events },
        health: { unknown: false, healthy, lastMessage: message, lastChange: events.at(-1)?.ts ?? ts },
      });
    });
  }

  bootstrap(node: SimNode, recover?: { skipHashCheck: boolean }): void {
    if (node.inMaintenance || node.stage !== "running")
      throw new ConnectError("bootstrap is not available yet: the node is not running", Code.FailedPrecondition);
    if (!node.controlPlane)
      throw new ConnectError("bootstrap is only available on control plane nodes", Code.FailedPrecondition);
    const restored = etcdCall(() =>
      this.etcdData.bootstrap({ hostname: node.hostname, address: node.address }, recover),
    );
    this.startKube(node);
    this.reconcileEtcd();
    node.log(
      "etcd",
      restored.restoredRevision !== undefined
        ? `recovered etcd from the snapshot: revision ${restored.restoredRevision}, total keys ${restored.keys}`
        : "bootstrapped a new etcd cluster",
    );
  }

  private requireEtcdRunning(node: SimNode): void {
    if (!this.etcdBootstrapped || !this.etcdData.member(node.hostname))
      throw new ConnectError("etcd is not running on this node (bootstrap the cluster first)", Code.FailedPrecondition);
    if (!this.etcdHealthy(node))
      throw new ConnectError(
        `etcdserver: request timed out (etcd on this node is unhealthy: ${this.etcdData.problem(node.hostname)})`,
        Code.Unavailable,
      );
  }

  /** `queryLocal`: the node's own member answers (it must be healthy); otherwise any member of the quorum does. */
  etcdMembers(node: SimNode, queryLocal = false): EtcdMember[] {
    if (queryLocal || !this.etcdBootstrapped) this.requireEtcdRunning(node);
    if (!this.etcdData.quorum())
      throw new ConnectError("etcdserver: no leader (etcd has lost quorum)", Code.Unavailable);
    return this.etcdData.memberList().map(({ hostname, id, address }) =>
      create(EtcdMemberSchema, {
        id,
        hostname,
        peerUrls: [`https://${address}:2380`],
        clientUrls: [`https://${address}:2379`],
        isLearner: false,
      }),
    );
  }

  etcdStatus(node: SimNode): EtcdMemberStatus {
    this.requireEtcdRunning(node);
    const db = this.etcdData.dbSize(node.hostname);
    const rev = BigInt(this.etcdData.revision);
    return create(EtcdMemberStatusSchema, {
      memberId: this.etcdData.member(node.hostname)!.id,
      protocolVersion: node.contract.defaultEtcdVersion(),
      storageVersion: node.contract.defaultEtcdVersion().replace(/\.\d+$/, ".0"),
      dbSize: BigInt(db.size),
      dbSizeInUse: BigInt(db.inUse),
      leader: this.etcdData.leader()?.id ?? 0n,
      raftIndex: rev,
      raftTerm: 2n,
      raftAppliedIndex: rev,
      errors: [],
      isLearner: false,
    });
  }

  etcdSnapshot(node: SimNode): Uint8Array {
    return etcdCall(() => this.etcdData.snapshot(node.hostname, node.contract.defaultEtcdVersion()));
  }

  etcdLeave(node: SimNode): void {
    etcdCall(() => this.etcdData.leave(node.hostname));
    node.log("etcd", "left the etcd cluster; etcd stopped and its data directory cleared");
  }

  etcdRemoveMember(node: SimNode, id: bigint): void {
    const m = etcdCall(() => this.etcdData.removeMember(id));
    node.log("etcd", `removed member ${m.hostname} from the etcd cluster`);
    this.reconcileEtcd(); // a node that was waiting because of its old member joins now
  }

  etcdForfeitLeadership(node: SimNode): string {
    this.requireEtcdRunning(node);
    return etcdCall(() => this.etcdData.forfeitLeadership(node.hostname));
  }

  etcdDefragment(node: SimNode): void {
    this.requireEtcdRunning(node);
    this.etcdData.defragment(node.hostname);
    node.log("etcd", "defragmented the etcd database");
  }

  etcdRecoverUpload(node: SimNode, data: Uint8Array): void {
    if (node.stage !== "running")
      throw new ConnectError("etcd service is not ready for recovery yet", Code.FailedPrecondition);
    etcdCall(() => this.etcdData.upload(node.hostname, data));
    node.log("etcd", `etcd recovery snapshot uploaded (${data.byteLength} bytes)`);
  }

  /** `Reset`: answered at once with an actor id; the sequence (etcd leave, wipe, reboot or halt) runs after. */
  reset(node: SimNode, req: SimResetRequest): string {
    return resetNode(this, node, req);
  }

  /** Talos checks the etcd cluster before upgrading a control plane (`ValidateForUpgrade`); `--force` skips it. */
  requireEtcdQuorumWithout(node: SimNode): void {
    if (!this.etcdBootstrapped) return;
    for (const { hostname } of this.etcdData.memberList()) {
      if (!this.etcdData.healthy(hostname))
        throw new ConnectError(
          `etcd member ${hostname} is not healthy; all members must be healthy to upgrade ${node.hostname} (use --force to skip)`,
          Code.FailedPrecondition,
        );
    }
  }

  readFile(node: SimNode, path: string): string | undefined {
    switch (path) {
      case "/proc/sys/kernel/random/boot_id":
        return `${node.bootId}\n`;
      case "/proc/modules": {
        const base = ["overlay", "br_netfilter", "nf_conntrack"];
        const fromExt = node
          .visibleExtensions()
          .map((e) =>
            (e.split("/").pop() ?? e).replace(/-kernel-modules.*$|-tools$|-driver.*$/, "").replace(/-/g, "_"),
          );
        // Modules the config asks for load when something provides them: nvidia* only from an NVIDIA driver extension.
        const nvidiaDriver = node
          .visibleExtensions()
          .some((e) => /nvidia-open-gpu-kernel-modules|nonfree-kmod-nvidia/.test(e));
        const configured = node.config
          ? configFacts(node.config).kernelModules.filter((m) => !m.startsWith("nvidia") || nvidiaDriver)
          : [];
        return (
          [...new Set([...base, ...fromExt, ...configured])]
            .map((m, i) => `${m} ${16384 + i * 4096} 0 - Live 0x0000000000000000`)
            .join("\n") + "\n"
        );
      }
      case "/etc/os-release":
        return `NAME="Talos"\nID=talos\nVERSION_ID=${node.talosVersion}\nPRETTY_NAME="Talos (${node.talosVersion})"\n`;
      default:
        return undefined;
    }
  }

  /** Logs of the Kubernetes containers this node runs (static pods on control planes, kube-proxy everywhere). */
  kubernetesContainerLog(node: SimNode, id: string): string[] | undefined {
    if (node.inMaintenance) return undefined;
    const pods = [
      ...(node.controlPlane ? ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] : []),
      "kube-proxy",
    ].map((p) => `kube-system/${p}-${node.hostname}`);
    const pod = pods.find((p) => p === id || p.split("/")[1] === id || id.startsWith(`${p}:`));
    if (!pod) return undefined;
    return [`${this.now().toISOString()} ${pod} started (boot ${node.bootId})`];
  }

  async kubeconfigArchive(node: SimNode): Promise<Uint8Array> {
    if (!node.config) throw new ConnectError("no machine configuration", Code.FailedPrecondition);
    await this.kubeStarting;
    const server = this.spec.kubernetesEndpoint ?? node.config.controlPlaneEndpoint ?? `https://${node.address}:6443`;
    const now = new Date();
    const client = await issueCertificate(this.spec.osCA, generateKeyPair("ed25519"), {
      organizations: ["system:masters"],
      commonName: "admin",
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
      keyUsages: ["digitalSignature"],
      extKeyUsages: ["clientAuth"],
    });
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const name = this.spec.clusterName;
    const kubeconfig = stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server, "certificate-authority-data": b64(this.spec.osCA.crt) } }],
      users: [
        {
          name: `admin@${name}`,
          user: { "client-certificate-data": b64(client.crt), "client-key-data": b64(toNodeKeyPem(client.key)) },
        },
      ],
      contexts: [{ name: `admin@${name}`, context: { cluster: name, namespace: "default", user: `admin@${name}` } }],
      "current-context": `admin@${name}`,
    });
    return tarGzSingleFile("kubeconfig", Buffer.from(kubeconfig), now);
  }

  resourceVersion(node: SimNode): number {
    return node.revision;
  }

  // --- health ---------------------------------------------------------------------------------------------------

  /** `ClusterService.HealthCheck`: the node runs the checks and streams `waiting for …` lines (talos-api.md §3.1). */
  async *healthCheck(
    _from: SimNode,
    cpNames: readonly string[],
    workerNames: readonly string[],
    waitMs: number,
    signal: AbortSignal,
  ): AsyncGenerator<string> {
    const resolve = (names: readonly string[]) =>
      names.map((n) => {
        const node = this.lookup(n);
        if (!node) throw new ConnectError(`unknown node ${n}`, Code.InvalidArgument);
        return node;
      });
    const cps = cpNames.length > 0 ? resolve(cpNames) : this.nodes.filter((n) => n.controlPlane);
    // Like Talos: explicit cluster info (control planes given) is used as is, an empty worker list means no workers;
    // only a request without any nodes falls back to discovering the fleet.
    // Discovery (no nodes given) finds the cluster's members: nodes with a machine config, not maintenance ones.
    const workers =
      workerNames.length > 0 || cpNames.length > 0
        ? resolve(workerNames)
        : this.nodes.filter((n) => !n.controlPlane && n.config);
    const all = [...cps, ...workers];
    yield `discovered nodes: ${JSON.stringify(all.map((n) => n.address))}`;
    const checks: [string, () => string | undefined][] = [
      [
        "etcd to be healthy",
        () => cps.filter((n) => !this.etcdHealthy(n)).map((n) => `${n.address}: service "etcd" not healthy`)[0],
      ],
      [
        "etcd members to be consistent across nodes",
        () =>
          this.etcdData.memberList().length === cps.length
            ? undefined
            : `expected ${cps.length} etcd members, found ${this.etcdData.memberList().length}`,
      ],
      [
        "etcd members to be control plane nodes",
        () =>
          this.etcdData
            .memberList()
            .map((m) => m.hostname)
            .find((h) => !cps.some((n) => n.hostname === h))
            ?.concat(" is not a control plane node"),
      ],
      [
        "apid to be ready",
        () =>
          all
            .filter((n) => !n.up || this.unavailable.has(n))
            .map((n) => `${n.address}: rpc error: code = Unavailable`)[0],
      ],
      [
        "kubelet to be healthy",
        () =>
          cps
            .filter((n) => n.stage !== "running" || n.faults.failingServices.has("kubelet"))
            .map((n) => `${n.address}: service "kubelet" not running`)[0],
      ],
      [
        "all nodes to finish boot sequence",
        () => all.filter((n) => n.stage !== "running").map((n) => `${n.address}: stage ${n.stage}`)[0],
      ],
    ];
    const deadline = Date.now() + waitMs;
    for (const [name, check] of checks) {
      let err = check();
      if (err !== undefined) yield `waiting for ${name}: ${err}`;
      while (err !== undefined) {
        if (Date.now() >= deadline || signal.aborted) throw new ConnectError(`${name}: ${err}`, Code.DeadlineExceeded);
        await new Promise((r) =>
          setTimeout(r, Math.min(Math.max(5, 500 * this.timeScale), Math.max(1, deadline - Date.now()))),
        );
        err = check();
      }
      yield `waiting for ${name}: OK`;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.kubeStarting;
    await Promise.all([...this.listeners.keys()].map((n) => this.stopListener(n)));
    await this.kube.stop();
  }
}

/** Starts one simulated Talos node per spec node, each in maintenance mode on its loopback address. */
export async function startFleet(specInput: FleetSpec, options: FleetOptions = {}): Promise<Fleet> {
  const spec = validateFleetSpec(specInput);
  const cluster = new SimCluster(spec, options);
  for (const n of spec.nodes) cluster.nodes.push(new SimNode(n, cluster, cluster.random));
  try {
    for (const node of cluster.nodes) {
      await cluster.prepareCerts(node);
      await cluster.startListener(node, "maintenance");
      node.enterMaintenance();
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return {
    nodes: cluster.nodes,
    node(name) {
      const n = cluster.lookup(name);
      if (!n) throw new Error(`unknown node "${name}"`);
      return n;
    },
    fault: (node, fault) => cluster.fault(node, fault),
    maintenanceFingerprint(name) {
      const n = cluster.lookup(name);
      if (!n) throw new Error(`unknown node "${name}"`);
      return spkiFingerprint(new X509Certificate(cluster.maintenanceCertificate(n)).raw);
    },
    stop: () => cluster.stop(),
    openHandles: () => cluster.openHandles(),
    etcd: () => cluster.etcdModel(),
    etcdKeys: () => cluster.etcdData.dump(),
    watch(listener) {
      cluster.stageListeners.add(listener);
      return () => cluster.stageListeners.delete(listener);
    },
  };
}

/** Runs an etcd model operation, turning its refusals into the gRPC errors Talos answers with. */
function etcdCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EtcdUnavailableError) throw new ConnectError(e.message, Code.Unavailable);
    if (e instanceof EtcdRefusal) {
      const code = {
        "failed-precondition": Code.FailedPrecondition,
        "not-found": Code.NotFound,
        unavailable: Code.Unavailable,
        "already-exists": Code.AlreadyExists,
        "invalid-argument": Code.InvalidArgument,
      }[e.code];
      throw new ConnectError(e.message, code);
    }
    throw e;
  }
}

function serviceEvents(
  history: readonly { msg: string; state: string; at: Date }[],
  failing: boolean,
  state: string,
  message: string,
  now: Timestamp,
) {
  const past = history.map((e) => ({ msg: e.msg, state: e.state, ts: timestampFromDate(e.at) }));
  if (failing)
    return [
      ...past,
      ...[1, 2, 3].flatMap(() => [
        { msg: "Service started", state: "Running", ts: now },
        { msg: message, state, ts: now },
      ]),
    ];
  const last = past.at(-1);
  return last && last.state === state && last.msg === message ? past : [...past, { msg: message, state, ts: now }];
}
