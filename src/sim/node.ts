import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { TalosContract } from "../contract/index.js";
import {
  ApplyConfigurationRequest_Mode as Mode,
  MachineStatusEvent_MachineStage as Stage,
  MachineStatusEventSchema,
  PhaseEventSchema,
  SequenceEvent_Action,
  SequenceEventSchema,
  ServiceStateEventSchema,
  ServiceStateEvent_Action,
  TaskEventSchema,
  type Event as MachineEvent,
} from "../gen/machine/machine_pb.js";
import { EventSchema } from "../gen/machine/machine_pb.js";
import { decodeMachineConfig, rebootReasons, type DecodedConfig } from "./config.js";
import { configDiff } from "./config-diff.js";
import type { SimNodeSpec } from "./spec.js";
import type { Random } from "./random.js";

export type NodeStage = "maintenance" | "installing" | "booting" | "running" | "rebooting" | "upgrading" | "down";

/** Faults injected with `fleet.fault(node, "…")` / `talform sim fault`. */
export interface Faults {
  rebootHang: boolean;
  slowRebootSeconds?: number;
  rollbackOnUpgrade: boolean;
  applyReject: boolean;
  etcdUnhealthy: boolean;
  dropExtensions: Set<string>;
  /** TimeStatus reports the clock as not synchronized. */
  timeUnsynced: boolean;
  /** Services that crash-loop (state Waiting, unhealthy, restart events, error logs). */
  failingServices: Set<string>;
  /** Static addresses (CIDR) missing from AddressStatus although configured. */
  droppedAddresses: Set<string>;
  noDefaultRoute: boolean;
  /** Resolvers the node actually uses instead of the configured nameservers. */
  resolvers?: string[];
  /** extension name → the version ExtensionStatus reports (e.g. one built for another Talos release). */
  extensionVersions: Map<string, string>;
}

export const FAULT_NAMES = [
  "reboot-hang",
  "slow-reboot=SECONDS",
  "rollback-on-upgrade",
  "apply-reject",
  "unavailable=SECONDS",
  "etcd-unhealthy",
  "drop-extension=NAME",
  "time-unsynced",
  "service-fail=NAME",
  "drop-address=CIDR",
  "no-default-route",
  "resolvers=IP[,IP]",
  "extension-version=NAME@VERSION",
  "wipe",
  "wipe=disk",
  "component-not-ready=kube-apiserver|kube-controller-manager|kube-scheduler",
  "kubelet-old-version",
  "clear",
];

/** What a node needs from its fleet: timers scaled by the time scale, the cluster (etcd, peers) and its listener. */
export interface NodeHost {
  after(ms: number, fn: () => void): void;
  readonly timeScale: number;
  readonly schematics: Readonly<Record<string, readonly string[]>>;
  /** The extensions of a schematic the image factory serves (undefined: the pull fails). */
  pullableSchematic(id: string): readonly string[] | undefined;
  /** How long pulling an installer image takes at time scale 1 (size / bandwidth; 0: instant). */
  readonly pullMs: number;
  now(): Date;
  /** (Re)start the node's listener in maintenance or normal mode; `stopListener` drops every connection. */
  startListener(node: SimNode, mode: "maintenance" | "normal"): Promise<void>;
  stopListener(node: SimNode): Promise<void>;
  onRunning(node: SimNode): void;
  /** Called after every stage change (tests assert cluster invariants, e.g. etcd quorum, at each one). */
  stageChanged?(node: SimNode): void;
  /** Called when the active config changed (the kubelet and static pods restart from that instant). */
  configChanged?(node: SimNode): void;
}

interface PendingUpgrade {
  readonly image: string;
  readonly version: string;
  readonly extensions: readonly string[];
  /** The factory schematic of the image (undefined for a plain installer). */
  readonly schematicId?: string;
}

/**
 * Base durations in ms at time scale 1 (a reboot takes ~3 s). `stopServices` is the time from a reboot/upgrade/reset
 * call to the API dropping; real Talos spends seconds there, its apid answering (directly and routed) meanwhile.
 */
export const DURATIONS = { reboot: 2000, install: 1500, boot: 500, stopServices: 500 } as const;

export const SERVICE_IDS = ["apid", "containerd", "cri", "etcd", "kubelet", "machined", "trustd", "udevd"] as const;

export class SimNode {
  stage: NodeStage = "maintenance";
  talosVersion: string;
  extensions: string[];
  schematicId: string | undefined;
  bootId: string;
  /** Counts assignments of any node's active config, which names its hostname (the fleet's lookups depend on it). */
  static configAssignments = 0;
  private activeConfig: DecodedConfig | undefined;
  get config(): DecodedConfig | undefined {
    return this.activeConfig;
  }
  set config(c: DecodedConfig | undefined) {
    this.activeConfig = c;
    SimNode.configAssignments++;
  }
  stagedConfig: DecodedConfig | undefined;
  pendingUpgrade: PendingUpgrade | undefined;
  /** Config to restore when a `try` apply is not confirmed in time. */
  private tryRollback: { config: DecodedConfig; timer: number } | undefined;
  private tryGeneration = 0;
  readonly faults: Faults = {
    rebootHang: false,
    rollbackOnUpgrade: false,
    applyReject: false,
    etcdUnhealthy: false,
    dropExtensions: new Set(),
    timeUnsynced: false,
    failingServices: new Set(),
    droppedAddresses: new Set(),
    noDefaultRoute: false,
    extensionVersions: new Map(),
  };
  /** Bumped on every state change; COSI resource versions and watches use it. */
  revision = 1;
  private events: MachineEvent[] = [];
  private eventSeq = 0;
  private readonly eventListeners = new Set<(e: MachineEvent) => void>();
  readonly logs = new Map<string, string[]>();
  private readonly logListeners = new Set<(service: string, line: string) => void>();
  dmesg: string[] = [];
  private bootCount = 0;
  /** Installer images in the system containerd (pulled or being pulled): a node downloads an image once. */
  private readonly pulledImages = new Map<string, Promise<void>>();
  private hungReboot: (() => void) | undefined;

  constructor(
    readonly spec: SimNodeSpec,
    private readonly host: NodeHost,
    private readonly random: Random,
  ) {
    this.talosVersion = normalizeVersion(spec.talosVersion);
    this.schematicId = spec.schematicId;
    this.extensions = [...(spec.extensions ?? (spec.schematicId ? (host.schematics[spec.schematicId] ?? []) : []))];
    this.bootId = random.uuid();
    this.boot("maintenance");
  }

  get hostname(): string {
    return this.config?.hostname ?? this.spec.hostname;
  }

  get address(): string {
    return this.spec.address;
  }

  get contract(): TalosContract {
    const c = TalosContract.parse(this.talosVersion);
    if (!c) throw new Error(`unsupported Talos version ${this.talosVersion}`);
    return c;
  }

  get controlPlane(): boolean {
    return this.config ? this.config.machineType !== "worker" : this.spec.controlPlane;
  }

  get inMaintenance(): boolean {
    return this.stage === "maintenance";
  }

  get up(): boolean {
    return this.stage === "maintenance" || this.stage === "booting" || this.stage === "running";
  }

  visibleExtensions(): string[] {
    return this.extensions.filter((e) => !this.faults.dropExtensions.has(e));
  }

  // --- events, logs ---------------------------------------------------------------------------------------------

  emit<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>, actorId = ""): void {
    const msg = create(schema, init);
    const event = create(EventSchema, {
      id: `${this.bootCount}-${String(++this.eventSeq).padStart(6, "0")}`,
      actorId,
      // Talos's type URLs are `talos/runtime/<proto name>`, not type.googleapis.com (talos-api.md P6).
      data: { typeUrl: `talos/runtime/${schema.typeName}`, value: toBinary(schema, msg) },
    });
    this.revision++;
    this.events.push(event);
    if (this.events.length > 1000) this.events.shift();
    for (const l of this.eventListeners) l(event);
  }

  /** Past events (`tail` -1 = all, n = the last n) and a subscription to new ones. */
  subscribeEvents(
    tail: number,
    listener: (e: MachineEvent) => void,
  ): { past: MachineEvent[]; unsubscribe: () => void } {
    const past = tail < 0 ? [...this.events] : tail === 0 ? [] : this.events.slice(-tail);
    this.eventListeners.add(listener);
    return { past, unsubscribe: () => this.eventListeners.delete(listener) };
  }

  subscribeLogs(listener: (service: string, line: string) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  log(service: string, message: string): void {
    const line = `${this.host.now().toISOString()} ${service}[${this.bootCount}]: ${message}`;
    const lines = this.logs.get(service) ?? [];
    lines.push(line);
    if (lines.length > 2000) lines.shift();
    this.logs.set(service, lines);
    for (const l of this.logListeners) l(service, line);
  }

  private kmsg(facility: string, priority: string, message: string): void {
    this.dmesg.push(`${facility}: ${priority.padStart(7)}: [${this.host.now().toISOString()}]: ${message}`);
  }

  // --- boot, reboot ---------------------------------------------------------------------------------------------

  /** Marks a fresh boot: new boot id, kernel log and service logs; events restart like after a real reboot. */
  private boot(mode: "maintenance" | "normal"): void {
    this.bootCount++;
    if (this.bootCount > 1) this.bootId = this.random.uuid();
    this.events = [];
    this.dmesg = [];
    this.logs.clear();
    this.kmsg("kern", "info", `Linux version 6.12.0-talos (talos ${this.talosVersion})`);
    this.kmsg("kern", "info", `Command line: talos.platform=metal console=ttyS0`);
    this.kmsg("user", "warning", `[talos] talosctl ${this.talosVersion} booting, boot id ${this.bootId}`);
    for (const ext of this.visibleExtensions()) this.kmsg("user", "info", `[talos] loaded system extension ${ext}`);
    if (mode === "maintenance")
      this.kmsg("user", "warning", "[talos] entering maintenance mode, waiting for the machine configuration");
    this.log("machined", `Talos ${this.talosVersion} boot ${this.bootId}`);
    this.emit(SequenceEventSchema, { sequence: "boot", action: SequenceEvent_Action.START });
  }

  private setStage(stage: NodeStage, machineStage: Stage, ready: boolean, actorId = ""): void {
    this.stage = stage;
    this.host.stageChanged?.(this);
    this.emit(
      MachineStatusEventSchema,
      {
        stage: machineStage,
        status: { ready, unmetConditions: ready ? [] : [{ name: "services", reason: `stage ${stage}` }] },
      },
      actorId,
    );
  }

  /** Called by the fleet once the node's first listener is up. */
  enterMaintenance(): void {
    this.setStage("maintenance", Stage.MAINTENANCE, false);
  }

  /** Each service's state changes since this boot (what `talosctl service ID` lists, LAST CHANGE is the last one). */
  readonly serviceHistory = new Map<string, { msg: string; state: string; at: Date }[]>();

  private recordService(id: string, state: string, msg: string): void {
    const h = this.serviceHistory.get(id) ?? [];
    h.push({ msg, state, at: this.host.now() });
    if (h.length > 50) h.shift();
    this.serviceHistory.set(id, h);
  }

  private finishBoot(actorId: string): void {
    this.setStage("booting", Stage.BOOTING, false, actorId);
    this.serviceHistory.clear();
    let pid = 1000;
    for (const s of this.serviceIds()) {
      this.recordService(s, "Waiting", "Waiting for service dependencies");
      this.recordService(s, "Preparing", "Running pre stage");
      this.recordService(s, "Running", `Started task ${s} (PID ${++pid}) for container ${s}`);
      this.recordService(s, "Running", "Health check successful");
      this.emit(
        ServiceStateEventSchema,
        {
          service: s,
          action: ServiceStateEvent_Action.RUNNING,
          message: "Health check successful",
          health: { healthy: true, lastMessage: "", lastChange: timestampFromDate(this.host.now()) },
        },
        actorId,
      );
      this.log(s, `service ${s} started`);
    }
    this.host.after(DURATIONS.boot, () => {
      if (this.stage !== "booting") return;
      this.emit(SequenceEventSchema, { sequence: "boot", action: SequenceEvent_Action.STOP }, actorId);
      this.setStage("running", Stage.RUNNING, true, actorId);
      this.log("kubelet", `node ${this.hostname} registered, status Ready`);
      this.host.onRunning(this);
    });
  }

  /**
   * Reboot: stop services, drop the API, come back after the (faultable) reboot time with a new boot id, applying a
   * staged config and a pending upgrade — or rolling the upgrade back (A/B) under `rollback-on-upgrade`.
   */
  reboot(sequence: "reboot" | "upgrade", actorId: string): void {
    if (this.stage === "rebooting" || this.stage === "upgrading" || this.stage === "down") {
      throw new ConnectError(
        `a ${this.stage === "upgrading" ? "upgrade" : "reboot"} sequence is already running`,
        Code.FailedPrecondition,
      );
    }
    this.emit(SequenceEventSchema, { sequence, action: SequenceEvent_Action.START }, actorId);
    this.emit(PhaseEventSchema, { phase: "stopEverything", action: 0 }, actorId);
    this.emit(TaskEventSchema, { task: "stopAllServices", action: 0 }, actorId);
    this.setStage(
      sequence === "upgrade" ? "upgrading" : "rebooting",
      sequence === "upgrade" ? Stage.UPGRADING : Stage.REBOOTING,
      false,
      actorId,
    );
    this.host.after(DURATIONS.stopServices, () => {
      // The reboot's time runs from the moment services stopped: the API drops (and its sessions flush) during it,
      // not before it, so a reboot takes stopServices + reboot + boot as DURATIONS says.
      const apiDown = this.host.stopListener(this).then(() => {
        this.stage = "down";
        this.host.stageChanged?.(this);
      });
      const comeBack = () => {
        this.hungReboot = undefined;
        if (this.stagedConfig) {
          this.config = this.stagedConfig;
          this.stagedConfig = undefined;
        }
        const upgrade = this.pendingUpgrade;
        this.pendingUpgrade = undefined;
        let rolledBack = false;
        if (upgrade) {
          if (this.faults.rollbackOnUpgrade) rolledBack = true;
          else {
            this.previousVersion = this.talosVersion;
            this.talosVersion = upgrade.version;
            this.extensions = [...upgrade.extensions];
            this.schematicId = upgrade.schematicId;
          }
        }
        this.boot("normal");
        if (rolledBack) {
          this.kmsg(
            "user",
            "err",
            `[talos] boot of ${upgrade!.image} failed, rolled back to the previous boot entry (${this.talosVersion})`,
          );
          this.emit(SequenceEventSchema, {
            sequence: "boot",
            action: SequenceEvent_Action.NOOP,
            error: { message: `upgrade to ${upgrade!.version} failed: rolled back to ${this.talosVersion}` },
          });
        }
        void this.host.startListener(this, "normal").then(() => this.finishBoot(""));
      };
      if (this.faults.rebootHang) {
        void apiDown.then(() => (this.hungReboot = comeBack));
        return;
      }
      this.host.after(
        this.faults.slowRebootSeconds !== undefined ? this.faults.slowRebootSeconds * 1000 : DURATIONS.reboot,
        () => void apiDown.then(comeBack),
      );
    });
  }

  /** The version an upgrade replaced: what `rollback` boots back into (the A/B boot entry). */
  previousVersion: string | undefined;

  /** Shutdown: services stop, the API goes away and the machine stays off (the simulator has no power button). */
  shutdown(actorId: string): void {
    this.requireNotBusy();
    this.emit(SequenceEventSchema, { sequence: "shutdown", action: SequenceEvent_Action.START }, actorId);
    this.setStage("rebooting", Stage.SHUTTING_DOWN, false, actorId);
    this.host.after(DURATIONS.stopServices, () => {
      void this.host.stopListener(this).then(() => {
        this.stage = "down";
        this.host.stageChanged?.(this);
      });
    });
  }

  /**
   * The end of a Reset sequence (after any etcd leave): services stop, the API drops, the wiped partitions are gone.
   * With STATE wiped the node boots into maintenance mode without a config (a fresh machine); `halt` stays down.
   */
  resetAndRestart(o: { wipeState: boolean; halt: boolean }, actorId: string): void {
    this.emit(SequenceEventSchema, { sequence: "reset", action: SequenceEvent_Action.START }, actorId);
    this.setStage("rebooting", Stage.RESETTING, false, actorId);
    this.host.after(DURATIONS.stopServices, () => {
      void this.host.stopListener(this).then(() => {
        this.stage = "down";
        this.host.stageChanged?.(this);
        if (o.wipeState) {
          this.config = undefined;
          this.stagedConfig = undefined;
          this.pendingUpgrade = undefined;
        }
        if (o.halt) return;
        this.host.after(DURATIONS.reboot, () => {
          if (!this.config) {
            this.boot("maintenance");
            void this.host.startListener(this, "maintenance").then(() => this.enterMaintenance());
            return;
          }
          this.boot("normal");
          void this.host.startListener(this, "normal").then(() => this.finishBoot(""));
        });
      });
    });
  }

  /** Rollback: boot the previous boot entry (the version before the last upgrade). */
  rollback(actorId: string): void {
    if (!this.previousVersion)
      throw new ConnectError("cannot rollback: no previous boot entry", Code.FailedPrecondition);
    this.pendingUpgrade = {
      image: `rollback to ${this.previousVersion}`,
      version: this.previousVersion,
      extensions: this.extensions,
      ...(this.schematicId ? { schematicId: this.schematicId } : {}),
    };
    this.reboot("reboot", actorId);
  }

  private requireNotBusy(): void {
    if (this.stage === "rebooting" || this.stage === "upgrading" || this.stage === "down") {
      throw new ConnectError(
        `a ${this.stage === "upgrading" ? "upgrade" : "reboot"} sequence is already running`,
        Code.FailedPrecondition,
      );
    }
  }

  /** `clear` releases a hung reboot. */
  clearFaults(): void {
    this.faults.rebootHang = false;
    this.faults.slowRebootSeconds = undefined;
    this.faults.rollbackOnUpgrade = false;
    this.faults.applyReject = false;
    this.faults.etcdUnhealthy = false;
    this.faults.dropExtensions.clear();
    this.faults.timeUnsynced = false;
    this.faults.failingServices.clear();
    this.faults.droppedAddresses.clear();
    this.faults.noDefaultRoute = false;
    this.faults.resolvers = undefined;
    this.faults.extensionVersions.clear();
    const hung = this.hungReboot;
    if (hung) this.host.after(DURATIONS.reboot, hung);
  }

  // --- services -------------------------------------------------------------------------------------------------

  serviceIds(): string[] {
    if (this.inMaintenance)
      return this.contract.unifiedMaintenanceApi() ? ["apid", "machined", "udevd"] : ["machined", "udevd"];
    return SERVICE_IDS.filter((s) => this.controlPlane || (s !== "etcd" && s !== "trustd"));
  }

  // --- apply-config ---------------------------------------------------------------------------------------------

  /**
   * ApplyConfiguration as Talos decides it (talos-api.md §3.3, §2.4): returns the reply fields and schedules
   * whatever happens after the reply (install, reboot, try rollback).
   */
  applyConfiguration(
    data: Uint8Array,
    mode: Mode,
    dryRun: boolean,
    tryTimeoutMs: number | undefined,
  ): { mode?: Mode; modeDetails: string; warnings: string[] } {
    if (this.faults.applyReject)
      throw new ConnectError(
        "configuration rejected by the node (simulated fault apply-reject)",
        Code.FailedPrecondition,
      );
    let cfg: DecodedConfig;
    try {
      cfg = decodeMachineConfig(Buffer.from(data).toString("utf8"));
    } catch (e) {
      throw new ConnectError(`failed to parse config: ${(e as Error).message}`, Code.InvalidArgument);
    }
    const contract = this.contract;
    if (this.inMaintenance && contract.unifiedMaintenanceApi())
      return this.applyInUnifiedMaintenance(cfg, mode, dryRun);
    if (this.inMaintenance) {
      if (mode !== Mode.TRY && mode !== Mode.REBOOT && mode !== Mode.AUTO) {
        throw new ConnectError(
          `apply configuration --mode='${modeName(mode)}' is not supported in maintenance mode`,
          Code.Unimplemented,
        );
      }
      if (dryRun)
        return { modeDetails: "Node is running in maintenance mode and does not have a config yet.", warnings: [] };
      this.config = cfg;
      this.install();
      // Talos leaves `mode` unset in maintenance replies (decodes as REBOOT).
      return { modeDetails: "", warnings: [] };
    }
    const current = this.config!;
    const reasons = rebootReasons(current, cfg);
    const needsReboot = reasons.length > 0;
    if (mode === Mode.REBOOT && contract.applyNeverReboots()) {
      throw new ConnectError("the REBOOT mode is not supported, please use AUTO or NO_REBOOT", Code.Unimplemented);
    }
    let chosen = mode;
    if (mode === Mode.AUTO) chosen = needsReboot && !contract.applyNeverReboots() ? Mode.REBOOT : Mode.NO_REBOOT;
    if ((chosen === Mode.NO_REBOOT || chosen === Mode.TRY) && needsReboot && !contract.applyNeverReboots()) {
      throw new ConnectError(
        `apply config requires a reboot (fields changed: ${reasons.join(", ")}); use --mode=reboot or --mode=staged`,
        Code.InvalidArgument,
      );
    }
    const tryMs = tryTimeoutMs ?? 60_000;
    let details: string;
    switch (chosen) {
      case Mode.REBOOT:
        details = `Applied configuration with a reboot: ${needsReboot ? `changed ${reasons.join(", ")}` : "reboot requested"}`;
        break;
      case Mode.NO_REBOOT:
        details = needsReboot
          ? `Applied configuration without a reboot (changes to ${reasons.join(", ")} take effect after the next reboot)`
          : "Applied configuration without a reboot";
        break;
      case Mode.STAGED:
        details = "Staged configuration to be applied after the next reboot";
        break;
      case Mode.TRY:
        details = `Applied configuration without a reboot. The config is applied in 'try' mode and will be automatically reverted back in ${goDuration(tryMs)}`;
        break;
      default:
        details = "";
    }
    if (dryRun)
      return { mode: chosen, modeDetails: dryRunSummary(details, configDiff(current.text, cfg.text)), warnings: [] };
    switch (chosen) {
      case Mode.STAGED:
        this.stagedConfig = cfg;
        break;
      case Mode.TRY: {
        const gen = ++this.tryGeneration;
        this.tryRollback = { config: current, timer: gen };
        this.config = cfg;
        this.host.after(tryMs, () => {
          if (this.tryRollback?.timer === gen) {
            this.config = this.tryRollback.config;
            this.tryRollback = undefined;
            this.log("machined", "try mode timeout: configuration rolled back");
          }
        });
        break;
      }
      case Mode.REBOOT:
        this.stagedConfig = cfg;
        this.reboot("reboot", "");
        break;
      default:
        // A later non-try apply confirms the configuration (cancels a pending try rollback).
        // On 1.14 (AUTO never reboots) parts that need a reboot take effect at the next boot; the node holds the new
        // config either way.
        this.tryRollback = undefined;
        this.config = cfg;
        // The applied config is also the one saved to disk: it replaces a staged config still waiting for a reboot.
        this.stagedConfig = undefined;
    }
    this.log("machined", `applied configuration (mode ${modeName(chosen)})`);
    this.host.configChanged?.(this);
    return { mode: chosen, modeDetails: details, warnings: [] };
  }

  /**
   * Maintenance mode served by machined's own ApplyConfiguration (> 1.12): every mode is accepted, REBOOT and AUTO
   * become NO_REBOOT (nothing is running yet), the reply says so, and a dry run shows the diff against no config.
   * STAGED only persists the config (it is used at the next boot); the other modes install.
   */
  private applyInUnifiedMaintenance(
    cfg: DecodedConfig,
    mode: Mode,
    dryRun: boolean,
  ): { mode?: Mode; modeDetails: string; warnings: string[] } {
    const chosen = mode === Mode.REBOOT || mode === Mode.AUTO ? Mode.NO_REBOOT : mode;
    const details =
      chosen === Mode.STAGED
        ? "Staged configuration to be applied after the next reboot"
        : "Applied configuration without a reboot";
    if (dryRun) return { mode: chosen, modeDetails: dryRunSummary(details, configDiff("", cfg.text)), warnings: [] };
    if (chosen === Mode.STAGED) {
      this.stagedConfig = cfg;
      return { mode: chosen, modeDetails: details, warnings: [] };
    }
    this.config = cfg;
    this.install();
    return { mode: chosen, modeDetails: details, warnings: [] };
  }

  /** Maintenance → installing → reboot into the installed system. */
  private install(): void {
    const actor = this.random.uuid();
    this.emit(SequenceEventSchema, { sequence: "install", action: SequenceEvent_Action.START }, actor);
    this.host.after(DURATIONS.stopServices, () => {
      void this.host.stopListener(this).then(() => {
        this.stage = "installing";
        this.host.stageChanged?.(this);
        this.host.after(DURATIONS.install, () => {
          this.boot("normal");
          void this.host.startListener(this, "normal").then(() => this.finishBoot(actor));
        });
      });
    });
  }

  // --- upgrade --------------------------------------------------------------------------------------------------

  /** Validates and "pulls" an installer image: `factory.talos.dev/<kind>-installer/<schematic>:<ver>` or `ghcr.io/siderolabs/installer:<ver>`. */
  resolveInstaller(image: string): PendingUpgrade {
    const m =
      /^(?:[^/]+\/)+(?:[a-z0-9-]*installer)(?:\/([0-9a-f]{64}))?:(v\d+\.\d+\.\d+[^@]*)$/.exec(image) ??
      /^[^/]+\/([0-9a-f]{64}):(v\d+\.\d+\.\d+[^@]*)$/.exec(image);
    if (!m)
      throw new ConnectError(
        `failed to pull image "${image}": not a Talos installer image reference`,
        Code.InvalidArgument,
      );
    const [, schematic, version] = m;
    if (!TalosContract.parse(version!)?.supported)
      throw new ConnectError(
        `failed to pull image "${image}": unsupported Talos version ${version}`,
        Code.FailedPrecondition,
      );
    let extensions: readonly string[] = [];
    if (schematic) {
      const ext = this.host.pullableSchematic(schematic);
      if (!ext)
        throw new ConnectError(
          `failed to pull image "${image}": ${image}: not found (schematic ${schematic} is unknown to the image factory)`,
          Code.NotFound,
        );
      extensions = ext;
    }
    return { image, version: version!, extensions, ...(schematic ? { schematicId: schematic } : {}) };
  }

  /** Whether the image is in the system containerd or being pulled into it. */
  hasImage(image: string): boolean {
    return this.pulledImages.has(image);
  }

  /**
   * Downloads a (resolved) installer image into the system containerd: size / bandwidth the first time, at once when
   * it is already there or being pulled (concurrent pulls of one image share the download, as containerd's do).
   */
  pullImage(image: string): Promise<void> {
    let pulled = this.pulledImages.get(image);
    if (!pulled) {
      pulled =
        this.host.pullMs > 0 ? new Promise<void>((done) => this.host.after(this.host.pullMs, done)) : Promise.resolve();
      this.pulledImages.set(image, pulled);
      this.log("containerd", `pulling ${image}`);
    }
    return pulled;
  }
}

/** machined's dry-run reply: the summary line, then `Config diff:` and the unified diff (or `No changes.`). */
export function dryRunSummary(details: string, diff: string): string {
  return `Dry run summary:\n${details} (skipped in dry-run).\nConfig diff:\n\n${diff || "No changes."}`;
}

export function normalizeVersion(v: string): string {
  return v.startsWith("v") ? v : `v${v}`;
}

export function modeName(mode: Mode): string {
  return (
    {
      [Mode.REBOOT]: "reboot",
      [Mode.AUTO]: "auto",
      [Mode.NO_REBOOT]: "no_reboot",
      [Mode.STAGED]: "staged",
      [Mode.TRY]: "try",
    }[mode] ?? String(mode)
  );
}

/** Go's `time.Duration.String()` for whole seconds/minutes (Talos prints the try timeout that way). */
export function goDuration(ms: number): string {
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return m > 0 ? `${m}m${rest}s` : `${rest}s`;
}
