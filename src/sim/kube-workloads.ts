import { createHash } from "node:crypto";
import { TalosContract } from "../contract/index.js";
import { configFacts, kubeletVersion, type DecodedConfig } from "./config.js";
import type { KubeObject } from "./kube-store.js";
import type { SimNode } from "./node.js";

/**
 * What the simulated cluster's machines run, as Kubernetes sees it: the kubelet's reported version and readiness,
 * and the control-plane static pods Talos renders from each node's machine config. Like Talos, every change of a
 * component's config (image, extra args) bumps that component's config version; the mirror pod carries it in the
 * `talos.dev/config-version` annotation and becomes Ready a moment after the restart (what `upgrade-k8s` waits for).
 */
export const CONTROL_PLANE_COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE_COMPONENTS)[number];

/** Where each component's settings live: the v1alpha1 `cluster.<key>` section, or (1.14) its own document. */
const COMPONENT_SOURCES: Record<ControlPlaneComponent | "kube-proxy", { v1alpha1: string; document: string }> = {
  "kube-apiserver": { v1alpha1: "apiServer", document: "KubeAPIServerConfig" },
  "kube-controller-manager": { v1alpha1: "controllerManager", document: "KubeControllerManagerConfig" },
  "kube-scheduler": { v1alpha1: "scheduler", document: "KubeSchedulerConfig" },
  "kube-proxy": { v1alpha1: "proxy", document: "KubeProxyConfig" },
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ComponentSpec {
  readonly image: string;
  readonly args: Readonly<Record<string, string>>;
}

/** The image and extra args a config gives a component (defaults as Talos renders them when unset). */
export function componentSpec(cfg: DecodedConfig, component: ControlPlaneComponent | "kube-proxy"): ComponentSpec {
  const src = COMPONENT_SOURCES[component];
  const doc = cfg.documents.find((d) => d.kind === src.document)?.body;
  const cluster = isMap(cfg.v1alpha1["cluster"]) ? cfg.v1alpha1["cluster"] : {};
  const section = isMap(cluster[src.v1alpha1]) ? (cluster[src.v1alpha1] as Record<string, unknown>) : {};
  const image =
    typeof doc?.["image"] === "string"
      ? doc["image"]
      : typeof section["image"] === "string"
        ? section["image"]
        : `registry.k8s.io/${component}:${kubeletVersion(cfg) ?? "v1.33.0"}`;
  const rawArgs = isMap(doc?.["extraArgs"])
    ? doc["extraArgs"]
    : isMap(section["extraArgs"])
      ? section["extraArgs"]
      : {};
  const args = Object.fromEntries(
    Object.entries(rawArgs).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]),
  );
  return { image, args };
}

/** `registry.k8s.io/kube-apiserver:v1.36.3` → `1.36.3`. */
export function imageVersion(image: string): string | undefined {
  return /:v?(\d+\.\d+\.\d+)[^@/]*(?:@.*)?$/.exec(image)?.[1];
}

interface ComponentState {
  key: string;
  version: number;
  spec: ComponentSpec;
  startedAt: number;
  /** The version the `component-not-ready` fault was injected at: later versions never become Ready. */
  failFrom?: number;
}

interface KubeletState {
  config: string | undefined;
  reported: string;
  restartedAt: number;
  /** Fault `kubelet-old-version`: the next restart comes back on the version it ran before. */
  stuck: boolean;
}

/** How long a restarted kubelet or static pod takes to become Ready, in ms at time scale 1. */
const RESTART_MS = 400;

export class SimWorkloads {
  private readonly components = new Map<string, ComponentState>();
  private readonly kubelets = new Map<SimNode, KubeletState>();
  private readonly registeredAt = new Map<SimNode, string>();
  private readonly pendingNotReady = new Map<string, boolean>();

  constructor(private readonly clock: { now(): Date; readonly timeScale: number }) {}

  private get restartMs(): number {
    return RESTART_MS * this.clock.timeScale;
  }

  private component(node: SimNode, c: ControlPlaneComponent): ComponentState | undefined {
    if (!node.config || !node.controlPlane) return undefined;
    const spec = componentSpec(node.config, c);
    const key = `${node.hostname}/${c}`;
    const now = this.clock.now().getTime();
    let s = this.components.get(key);
    if (!s) {
      s = { key, version: 1, spec, startedAt: now - 60_000 };
      this.components.set(key, s);
    } else if (JSON.stringify(s.spec) !== JSON.stringify(spec)) {
      s.version++;
      s.spec = spec;
      s.startedAt = now;
    }
    if (this.pendingNotReady.get(key)) {
      s.failFrom = s.version;
      this.pendingNotReady.delete(key);
    }
    return s;
  }

  /** Notes a config change now (restarts are timed from the apply, not from the next request). */
  observe(node: SimNode): void {
    this.kubelet(node);
    for (const c of CONTROL_PLANE_COMPONENTS) this.component(node, c);
  }

  /** Fault `component-not-ready=<component>`: the pod started for the node's next config of it never gets Ready. */
  failNextComponent(node: SimNode, c: string): void {
    if (!(CONTROL_PLANE_COMPONENTS as readonly string[]).includes(c))
      throw new Error(`fault component-not-ready needs one of ${CONTROL_PLANE_COMPONENTS.join(", ")}`);
    if (!node.controlPlane) throw new Error(`${node.hostname} is not a control plane: it runs no ${c}`);
    this.pendingNotReady.set(`${node.hostname}/${c}`, true);
    this.component(node, c as ControlPlaneComponent);
  }

  /** Fault `kubelet-old-version`: the kubelet's next restart comes back on the version it ran before. */
  failNextKubelet(node: SimNode): void {
    this.kubelet(node).stuck = true;
  }

  clear(node: SimNode): void {
    for (const c of CONTROL_PLANE_COMPONENTS) {
      const s = this.components.get(`${node.hostname}/${c}`);
      if (s) delete s.failFrom;
      this.pendingNotReady.delete(`${node.hostname}/${c}`);
    }
    const k = this.kubelets.get(node);
    if (k) k.stuck = false;
  }

  /**
   * The kubelet as the API sees it: after its config changes it restarts and reports the new version a moment
   * later (or, with the `kubelet-old-version` fault, the old one).
   */
  private kubelet(node: SimNode): KubeletState {
    const want = node.config ? kubeletVersion(node.config) : undefined;
    const now = this.clock.now().getTime();
    let k = this.kubelets.get(node);
    if (!k) {
      k = { config: want, reported: want ?? "v1.33.0", restartedAt: now - 60_000, stuck: false };
      this.kubelets.set(node, k);
    } else if (want !== k.config) {
      k.config = want;
      k.restartedAt = now;
    }
    if (!k.stuck && k.config && k.reported !== k.config && now - k.restartedAt >= this.restartMs) k.reported = k.config;
    return k;
  }

  /** The Node object Talos's kubelet registers (labels and taints from the machine config). */
  nodeObject(n: SimNode): KubeObject {
    const facts = n.config ? configFacts(n.config) : undefined;
    const taints = Object.entries(facts?.nodeTaints ?? {}).map(([key, v]) => {
      const [value, effect] = v.includes(":")
        ? [v.slice(0, v.lastIndexOf(":")), v.slice(v.lastIndexOf(":") + 1)]
        : ["", v];
      return { key, ...(value ? { value } : {}), effect };
    });
    const k = this.kubelet(n);
    const now = this.clock.now();
    // The node controller marks a node NotReady only after its grace period (40 s), longer than a kubelet restart:
    // a restart shows as the version changing, not as NotReady.
    const ready = n.stage === "running";
    const created = this.registered(n);
    const heartbeat = now.toISOString();
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.hostname,
        uid: uid(`node/${n.hostname}`),
        creationTimestamp: created,
        labels: {
          "beta.kubernetes.io/arch": "amd64",
          "beta.kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": n.hostname,
          "kubernetes.io/os": "linux",
          ...(n.controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}),
          ...facts?.nodeLabels,
        },
        annotations: {
          "node.alpha.kubernetes.io/ttl": "0",
          "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
      },
      spec: taints.length > 0 ? { taints } : {},
      status: {
        conditions: [
          {
            type: "MemoryPressure",
            status: "False",
            reason: "KubeletHasSufficientMemory",
            message: "kubelet has sufficient memory available",
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: created,
          },
          {
            type: "DiskPressure",
            status: "False",
            reason: "KubeletHasNoDiskPressure",
            message: "kubelet has no disk pressure",
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: created,
          },
          {
            type: "PIDPressure",
            status: "False",
            reason: "KubeletHasSufficientPID",
            message: "kubelet has sufficient PID available",
            lastHeartbeatTime: heartbeat,
            lastTransitionTime: created,
          },
          ready
            ? {
                type: "Ready",
                status: "True",
                reason: "KubeletReady",
                message: "kubelet is posting ready status",
                lastHeartbeatTime: heartbeat,
                lastTransitionTime: created,
              }
            : {
                type: "Ready",
                status: "Unknown",
                reason: "NodeStatusUnknown",
                message: "Kubelet stopped posting node status.",
                lastHeartbeatTime: heartbeat,
                lastTransitionTime: heartbeat,
              },
        ],
        addresses: [
          { type: "InternalIP", address: n.address },
          { type: "Hostname", address: n.hostname },
        ],
        nodeInfo: {
          machineID: uid(`machine/${n.hostname}`).replace(/-/g, ""),
          systemUUID: uid(`system/${n.hostname}`),
          bootID: n.bootId,
          kernelVersion: "6.12.57-talos",
          osImage: `Talos (${n.talosVersion})`,
          containerRuntimeVersion: "containerd://2.1.5",
          kubeletVersion: k.reported,
          kubeProxyVersion: k.reported,
          operatingSystem: "linux",
          architecture: "amd64",
        },
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    };
  }

  private registered(n: SimNode): string {
    let at = this.registeredAt.get(n);
    if (!at) this.registeredAt.set(n, (at = this.clock.now().toISOString()));
    return at;
  }

  /** The mirror pods of a control plane's static pods. */
  /**
   * What reading the static pods notes without building them: a component whose spec changed since it was last looked
   * at restarts now. Every COSI read of a node used to build its static pods, so a reboot into a staged config starts
   * the restart at the first read of any resource; reads of other types keep doing that.
   */
  noteStaticPods(n: SimNode): void {
    if (!n.config || !n.controlPlane || n.inMaintenance) return;
    for (const c of CONTROL_PLANE_COMPONENTS) this.component(n, c);
  }

  staticPods(n: SimNode): KubeObject[] {
    if (!n.config || !n.controlPlane || n.inMaintenance) return [];
    const now = this.clock.now().getTime();
    return CONTROL_PLANE_COMPONENTS.map((c) => {
      const s = this.component(n, c)!;
      const ready =
        n.stage === "running" && now - s.startedAt >= this.restartMs && componentReady(s.version, s.failFrom);
      const command = [
        `/usr/local/bin/${c}`,
        ...Object.entries(s.spec.args)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => `--${k}=${v}`),
      ];
      return podObject({
        namespace: "kube-system",
        name: `${c}-${n.hostname}`,
        node: n,
        labels: { "k8s-app": c, tier: "control-plane" },
        annotations: {
          "kubernetes.io/config.mirror": uid(`${s.key}/${s.version}`).replace(/-/g, ""),
          "kubernetes.io/config.source": "file",
          "talos.dev/config-version": String(s.version),
        },
        owner: { apiVersion: "v1", kind: "Node", name: n.hostname, uid: uid(`node/${n.hostname}`) },
        containers: [{ name: c, image: s.spec.image, command }],
        ready,
        startedAt: new Date(s.startedAt).toISOString(),
        hostNetwork: true,
      });
    });
  }
}

/**
 * Whether a pod of component version `version` is Ready, given the fault mark: with `component-not-ready` injected
 * while version `failFrom` ran, every later version stays NotReady.
 */
export function componentReady(version: number, failFrom: number | undefined): boolean {
  return failFrom === undefined || version <= failFrom;
}

export function podObject(p: {
  namespace: string;
  name: string;
  node: SimNode;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  owner: { apiVersion: string; kind: string; name: string; uid: string };
  containers: { name: string; image: string; command?: string[] }[];
  ready: boolean;
  startedAt: string;
  hostNetwork?: boolean;
}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: uid(`pod/${p.namespace}/${p.name}`),
      creationTimestamp: p.startedAt,
      labels: p.labels,
      annotations: p.annotations ?? {},
      ownerReferences: [{ ...p.owner, controller: true }],
    },
    spec: {
      nodeName: p.node.hostname,
      containers: p.containers,
      ...(p.hostNetwork ? { hostNetwork: true, priorityClassName: "system-node-critical" } : {}),
    },
    status: {
      phase: "Running",
      conditions: [
        { type: "Initialized", status: "True" },
        { type: "Ready", status: p.ready ? "True" : "False" },
        { type: "ContainersReady", status: p.ready ? "True" : "False" },
        { type: "PodScheduled", status: "True" },
      ],
      hostIP: p.node.address,
      podIP: p.hostNetwork ? p.node.address : undefined,
      startTime: p.startedAt,
      containerStatuses: p.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: "",
        ready: p.ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: p.startedAt } },
      })),
    },
  };
}

/** A stable UUID-shaped id derived from a name (the simulator's objects keep their uid across requests). */
export function uid(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Whether the bootstrap node's Talos keeps an inventory of the bootstrap manifests (server-side apply sync). */
export function keepsInventory(node: SimNode): boolean {
  return TalosContract.parse(node.talosVersion)?.ssaManifestSync() ?? false;
}
