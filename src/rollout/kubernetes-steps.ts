import { parseAllDocuments, parse as parseYaml, stringify } from "yaml";
import { ApplyMode, type TalosClient } from "../talosapi/index.js";
import {
  configDigest,
  kubernetesImagesOf,
  parseConfigDocuments,
  withImageTag,
  type DesiredNode,
  type KubeApi,
  type KubernetesUpgradeStep,
  type NodePlan,
  type Plan,
} from "../plan/index.js";

/**
 * The sub-steps of the cluster-level `upgrade-k8s` action (plan/kubernetes-upgrade.ts orders them as talosctl
 * does). Each is safe to run again after an interruption: it first looks whether its effect is already there.
 */
export interface KubernetesStepContext {
  readonly plan: Plan;
  readonly desired: ReadonlyMap<string, DesiredNode>;
  client(node: NodePlan): TalosClient;
  kube(): Promise<KubeApi | undefined>;
  until(what: string, timeoutMs: number, check: () => Promise<string | undefined>): Promise<void>;
  info(node: string, message: string): void;
  readonly healthTimeoutMs: number;
  /** Pre-pulls an image on a node; absent when the Talos API client has no image pull. */
  readonly prePull?: (node: NodePlan, image: string) => Promise<"pulled" | "unimplemented">;
}

/** Where each component's image lives in a config: its own document (Talos 1.14) or the v1alpha1 document. */
const IMAGE_PATHS: Record<string, { document: string; v1alpha1: readonly string[] }> = {
  "kube-apiserver": { document: "KubeAPIServerConfig", v1alpha1: ["cluster", "apiServer", "image"] },
  "kube-controller-manager": {
    document: "KubeControllerManagerConfig",
    v1alpha1: ["cluster", "controllerManager", "image"],
  },
  "kube-scheduler": { document: "KubeSchedulerConfig", v1alpha1: ["cluster", "scheduler", "image"] },
  "kube-proxy": { document: "KubeProxyConfig", v1alpha1: ["cluster", "proxy", "image"] },
  kubelet: { document: "KubeletConfig", v1alpha1: ["machine", "kubelet", "image"] },
};

export async function runKubernetesStep(step: KubernetesUpgradeStep, ctx: KubernetesStepContext): Promise<void> {
  const last = step.version === ctx.plan.kubernetes!.to;
  switch (step.kind) {
    case "pre-pull":
      return prePull(step, ctx);
    case "static-pod":
      return staticPod(step, ctx, nodeOf(ctx, step));
    case "kube-proxy": {
      const node = nodeOf(ctx, step);
      await patchImage(ctx, node, "kube-proxy", step.version);
      return;
    }
    case "kubelet":
      return kubelet(step, ctx, nodeOf(ctx, step), last);
    case "manifests": {
      const kube = await requireKube(ctx);
      const lines = await syncManifests(kube, ctx, step, { dryRun: false });
      for (const l of lines) ctx.info("cluster", `manifests: ${l}`);
      return;
    }
  }
}

function nodeOf(ctx: KubernetesStepContext, step: KubernetesUpgradeStep): NodePlan {
  const n = ctx.plan.nodes.find((x) => x.hostname === step.node);
  if (!n) throw new Error(`the plan has no node ${step.node ?? "(none)"} for step ${step.id}`);
  return n;
}

async function requireKube(ctx: KubernetesStepContext): Promise<KubeApi> {
  const kube = await ctx.kube();
  if (!kube) throw new Error("the Kubernetes API is not reachable (no control plane hands out a kubeconfig)");
  return kube;
}

/** The image a component should run at `version`: the desired config's image (registry, name) with that tag. */
function targetImage(ctx: KubernetesStepContext, node: NodePlan, component: string, version: string): string {
  const d = ctx.desired.get(node.hostname)!;
  const images = kubernetesImagesOf(parseConfigDocuments(d.configText));
  const p = IMAGE_PATHS[component]!;
  const image = images[`${p.document}:image`] ?? images[`v1alpha1:${p.v1alpha1.join(".")}`];
  if (!image) throw new Error(`${node.hostname}: the desired config pins no ${component} image`);
  return withImageTag(image, `v${version}`);
}

async function runningConfig(ctx: KubernetesStepContext, node: NodePlan): Promise<string> {
  const r = await ctx.client(node).getResource(node.address, "config", "MachineConfigs.config.talos.dev", "v1alpha1");
  if (typeof r.spec !== "string") throw new Error(`${node.hostname}: the running config could not be read`);
  return r.spec;
}

/** Applies the node's running config with one component image replaced, without a reboot (as talosctl patches it). */
async function patchImage(
  ctx: KubernetesStepContext,
  node: NodePlan,
  component: string,
  version: string,
): Promise<void> {
  const image = targetImage(ctx, node, component, version);
  const text = await runningConfig(ctx, node);
  const p = IMAGE_PATHS[component]!;
  const docs = parseAllDocuments(text);
  const own = docs.find((d) => d.get("kind") === p.document);
  const target = own ?? docs.find((d) => d.get("kind") === undefined);
  if (!target) throw new Error(`${node.hostname}: the running config has no v1alpha1 document`);
  const path = own ? ["image"] : [...p.v1alpha1];
  if (target.getIn(path) === image) return;
  target.setIn(path, image);
  await apply(ctx, node, docs.map((d) => d.toString()).join(""), `${component} ${image}`);
}

async function apply(ctx: KubernetesStepContext, node: NodePlan, text: string, what: string): Promise<void> {
  const [r] = await ctx
    .client(node)
    .applyConfiguration(new Uint8Array(Buffer.from(text)), { mode: ApplyMode.NO_REBOOT }, [node.address]);
  if (r?.error) throw new Error(`apply-config (${what}): ${r.error.error.message}`);
}

interface PodView {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: { image?: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

async function pod(kube: KubeApi, name: string): Promise<PodView | undefined> {
  const r = await kube.call("GET", `/api/v1/namespaces/kube-system/pods/${encodeURIComponent(name)}`);
  if (r.status === 404) return undefined;
  if (r.status >= 300) throw new Error(`GET pod kube-system/${name}: ${r.status}`);
  return r.json as PodView;
}

const podReady = (p: PodView | undefined) =>
  p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * One static pod on one control plane: patch the image into the config, then wait for the mirror pod of the new
 * config version (`talos.dev/config-version` bumped) with the new image to be Ready (talosctl's checkPodStatus).
 */
async function staticPod(step: KubernetesUpgradeStep, ctx: KubernetesStepContext, node: NodePlan): Promise<void> {
  const kube = await requireKube(ctx);
  const component = step.component!;
  const name = `${component}-${node.hostname}`;
  const image = targetImage(ctx, node, component, step.version);
  const before = await pod(kube, name);
  if (before?.spec?.containers?.[0]?.image === image && podReady(before)) return; // done before an interruption
  const versionBefore = before?.metadata?.annotations?.["talos.dev/config-version"];
  await patchImage(ctx, node, component, step.version);
  await ctx.until(`${name} with the new config to be Ready`, ctx.healthTimeoutMs, async () => {
    const p = await pod(kube, name);
    if (!p) return "the pod is not there";
    const version = p.metadata?.annotations?.["talos.dev/config-version"];
    if (versionBefore !== undefined && version === versionBefore) return `still config version ${version}`;
    if (p.spec?.containers?.[0]?.image !== image) return `runs ${p.spec?.containers?.[0]?.image ?? "no image"}`;
    return podReady(p) ? undefined : `config version ${version ?? "?"} is not Ready`;
  });
}

/**
 * The kubelet on one node: the final hop applies the node's whole desired config (other live changes too); an
 * intermediate hop only the kubelet image. Then the Node must report the new version and be Ready.
 */
async function kubelet(
  step: KubernetesUpgradeStep,
  ctx: KubernetesStepContext,
  node: NodePlan,
  last: boolean,
): Promise<void> {
  const kube = await requireKube(ctx);
  const want = `v${step.version}`;
  const d = ctx.desired.get(node.hostname)!;
  if (last) {
    if (configDigest(await runningConfig(ctx, node)) !== configDigest(d.configText))
      await apply(ctx, node, d.configText, `Kubernetes ${step.version}`);
  } else await patchImage(ctx, node, "kubelet", step.version);
  await ctx.until(`the kubelet on ${node.hostname} to report ${want} and be Ready`, ctx.healthTimeoutMs, async () => {
    const k = await kube.node(node.hostname);
    if (!k) return "the node is not registered";
    if (k.kubeletVersion !== want) return `the kubelet reports ${k.kubeletVersion ?? "no version"}, expected ${want}`;
    return k.ready ? undefined : "NotReady";
  });
}

async function prePull(step: KubernetesUpgradeStep, ctx: KubernetesStepContext): Promise<void> {
  const images: [NodePlan, string][] = [];
  for (const n of ctx.plan.nodes) {
    if (n.controlPlane)
      for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
        images.push([n, targetImage(ctx, n, c, step.version)]);
    images.push([n, targetImage(ctx, n, "kubelet", step.version)]);
  }
  if (!ctx.prePull) {
    ctx.info(
      "cluster",
      `pre-pull of ${images.length} image(s) not done: this talform's Talos API client has no image pull; the components pull their images when they restart`,
    );
    return;
  }
  for (const [n, image] of images) {
    if ((await ctx.prePull(n, image)) === "unimplemented")
      ctx.info(n.hostname, `pre-pull ${image}: not implemented by the node, skipped`);
  }
}

// --- bootstrap manifests -------------------------------------------------------------------------------------------

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  [k: string]: unknown;
}

const INVENTORY_PATH = "/api/v1/namespaces/kube-system/configmaps/talos-bootstrap-manifests-inventory";
/** Core and apps kinds the manifests use, for URLs (`Kind` → plural, namespaced). */
const RESOURCES: Record<string, [string, boolean]> = {
  Namespace: ["namespaces", false],
  ConfigMap: ["configmaps", true],
  Secret: ["secrets", true],
  Service: ["services", true],
  ServiceAccount: ["serviceaccounts", true],
  DaemonSet: ["daemonsets", true],
  Deployment: ["deployments", true],
  Job: ["jobs", true],
  ClusterRole: ["clusterroles", false],
  ClusterRoleBinding: ["clusterrolebindings", false],
};

function objectPath(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): string {
  const r = RESOURCES[o.kind];
  if (!r) throw new Error(`manifest ${o.kind} ${o.metadata.name}: kind not supported by the manifest sync`);
  const base = o.apiVersion.includes("/") ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}${r[1] ? `/namespaces/${o.metadata.namespace ?? "default"}` : ""}/${r[0]}/${encodeURIComponent(o.metadata.name)}`;
}

/**
 * The manifests Talos renders from the control plane's config that an upgrade changes: the kube-proxy DaemonSet
 * (image of the hop), CoreDNS as it runs, and `cluster.inlineManifests`.
 */
async function desiredManifests(
  kube: KubeApi,
  ctx: KubernetesStepContext,
  step: KubernetesUpgradeStep,
): Promise<Obj[]> {
  const cp = ctx.plan.nodes.find((n) => n.controlPlane)!;
  const out: Obj[] = [];
  const ds = await kube.call("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
  if (ds.status === 200) {
    const obj = ds.json as Obj & { spec: { template: { spec: { containers: { name: string; image: string }[] } } } };
    const image = targetImage(ctx, cp, "kube-proxy", step.version);
    out.push({
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "kube-proxy", namespace: "kube-system" },
      spec: {
        ...obj.spec,
        template: {
          ...obj.spec.template,
          spec: {
            ...obj.spec.template.spec,
            containers: obj.spec.template.spec.containers.map((c) => (c.name === "kube-proxy" ? { ...c, image } : c)),
          },
        },
      },
    });
  }
  const dns = await kube.call("GET", "/apis/apps/v1/namespaces/kube-system/deployments/coredns");
  if (dns.status === 200) {
    const obj = dns.json as Obj;
    out.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace: "kube-system" },
      spec: obj["spec"],
    });
  }
  const v1 = parseConfigDocuments(ctx.desired.get(cp.hostname)!.configText).get("v1alpha1") ?? {};
  const inline = (
    (v1["cluster"] as { inlineManifests?: { contents?: string }[] } | undefined)?.inlineManifests ?? []
  ).flatMap((m) => parseAllDocuments(m.contents ?? "").map((d) => d.toJS() as Obj | null));
  out.push(...inline.filter((o): o is Obj => !!o && typeof o.kind === "string" && !!o.metadata?.name));
  return out;
}

const inventoryKey = (o: Obj) =>
  `${o.metadata.namespace ?? ""}_${o.metadata.name}_${o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : ""}_${o.kind}`;

/**
 * Syncs the bootstrap manifests; returns what changed (or would, with `dryRun`). Talos >= 1.13: server-side apply
 * (field manager `talos`, ConfigMaps and Secrets first) with the inventory ConfigMap, pruning what left it;
 * older: the legacy sync (create or update each, no pruning).
 */
export async function syncManifests(
  kube: KubeApi,
  ctx: KubernetesStepContext,
  step: KubernetesUpgradeStep,
  opts: { dryRun: boolean },
): Promise<string[]> {
  const desired = (await desiredManifests(kube, ctx, step)).sort((a, b) => rank(a) - rank(b));
  const lines: string[] = [];
  const dry = opts.dryRun ? "&dryRun=All" : "";
  for (const o of desired) {
    const path = objectPath(o);
    const current = await kube.call("GET", path);
    const label = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
    const change = current.status === 404 ? `+ ${label}` : describeChange(label, current.json, o);
    if (!change) continue;
    lines.push(change);
    if (step.sync === "server-side-apply") {
      const r = await kube.call(
        "PATCH",
        `${path}?fieldManager=talos&force=true${dry}`,
        stringify(o),
        "application/apply-patch+yaml",
      );
      if (r.status >= 300)
        throw new Error(
          `server-side apply of ${label}: ${r.status} ${(r.json as { message?: string } | undefined)?.message ?? ""}`,
        );
    } else if (!opts.dryRun) {
      const r =
        current.status === 404
          ? await kube.call("POST", path.slice(0, path.lastIndexOf("/")), o)
          : await kube.call("PUT", path, {
              ...o,
              metadata: { ...o.metadata, resourceVersion: (current.json as Obj).metadata.resourceVersion },
            });
      if (r.status >= 300)
        throw new Error(
          `updating ${label}: ${r.status} ${(r.json as { message?: string } | undefined)?.message ?? ""}`,
        );
    }
  }
  if (step.sync !== "server-side-apply") return lines;
  const inv = await kube.call("GET", INVENTORY_PATH);
  const before = inv.status === 200 ? Object.keys((inv.json as { data?: Record<string, string> }).data ?? {}) : [];
  const keep = new Set(desired.map(inventoryKey));
  for (const key of before.filter((k) => !keep.has(k))) {
    const [namespace, name, group, kind] = key.split("_") as [string, string, string, string];
    const o = {
      apiVersion: group ? `${group}/v1` : "v1",
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
    };
    lines.push(`- ${kind} ${namespace ? `${namespace}/` : ""}${name} (pruned: no longer in the manifests)`);
    if (opts.dryRun) continue;
    const r = await kube.call("DELETE", objectPath(o));
    if (r.status >= 300 && r.status !== 404) throw new Error(`pruning ${kind} ${name}: ${r.status}`);
  }
  if (!opts.dryRun && (inv.status === 404 || before.length !== keep.size || before.some((k) => !keep.has(k)))) {
    const body = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "talos-bootstrap-manifests-inventory",
        namespace: "kube-system",
        labels: { "cli-utils.sigs.k8s.io/inventory-id": "talos-bootstrap-manifests" },
      },
      data: Object.fromEntries([...keep].map((k) => [k, ""])),
    };
    const r = await kube.call(
      "PATCH",
      `${INVENTORY_PATH}?fieldManager=talos&force=true`,
      stringify(body),
      "application/apply-patch+yaml",
    );
    if (r.status >= 300) throw new Error(`updating the manifests inventory: ${r.status}`);
  }
  return lines;
}

/** ConfigMaps and Secrets first (workloads may mount them), namespaces before anything namespaced. */
function rank(o: Obj): number {
  return o.kind === "Namespace" ? 0 : o.kind === "ConfigMap" || o.kind === "Secret" ? 1 : 2;
}

/** `~ DaemonSet kube-system/kube-proxy: image a → b`, or undefined when the applied fields already match. */
function describeChange(label: string, current: unknown, want: Obj): string | undefined {
  const images = (o: unknown) =>
    JSON.stringify(o)
      .match(/"image":"[^"]+"/g)
      ?.map((m) => m.slice(9, -1)) ?? [];
  const [a, b] = [images(current), images(want)];
  if (a.join() !== b.join()) return `~ ${label}: image ${a.join(", ")} → ${b.join(", ")}`;
  const subset = (have: unknown, need: unknown): boolean =>
    need === null || typeof need !== "object"
      ? have === need
      : Array.isArray(need)
        ? Array.isArray(have) && need.every((v, i) => subset(have[i], v))
        : typeof have === "object" &&
          have !== null &&
          Object.entries(need).every(([k, v]) => k === "metadata" || subset((have as Record<string, unknown>)[k], v));
  return subset(current, parseYaml(stringify(want))) ? undefined : `~ ${label}`;
}
