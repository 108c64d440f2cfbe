// Test-only: what the k8s scenarios do to the real API server as its admin (install the CRD, grant the controller
// deploy/rbac.yaml in a namespace, create the TalosCluster and its Secrets), and how they run the controller: the
// library's startController with the @kubernetes/client-node adapter, under the controller's service-account token.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { repoRoot } from "../../conformance/support/oracles.js";
import {
  clientNodeKube,
  controllerMetrics,
  startController,
  type ControllerMetrics,
  type ControllerOptions,
  type RunningController,
} from "../../src/controller/index.js";
import type { SimTalosCluster } from "../../src/controller/test-fleet.js";
import {
  GROUP,
  PLURAL,
  VERSION,
  type RolloutPolicy,
  type TalosCluster,
  type TalosClusterStatus,
} from "../../src/controller/types.js";
import type { Identity } from "./apiserver.js";

/** The controller's service account (deploy/rbac.yaml) as the API server's token file knows it. */
export const CONTROLLER_SA = "controller";
export const CONTROLLER_IDENTITY: Identity = {
  user: "system:serviceaccount:talform-system:talform-controller",
  groups: ["system:serviceaccounts", "system:serviceaccounts:talform-system", "system:authenticated"],
};

export const deployManifests = (file: string): KubernetesObject[] =>
  loadAllYaml(readFileSync(join(repoRoot, "deploy", file), "utf8")) as KubernetesObject[];

export async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Installs the generated CRD (deploy/crd) and waits until the server serves it; fails unless it is structural. */
export async function installCrd(kc: KubeConfig): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const [crd] = deployManifests("crd/talosclusters.talform.dev.yaml");
  await ext.createCustomResourceDefinition({ body: crd as never });
  const established = await until("the TalosCluster CRD to be established", async () => {
    const c = await ext.readCustomResourceDefinition({ name: crd!.metadata!.name! });
    return c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True") && c;
  });
  // apiextensions.k8s.io/v1 refuses a non-structural schema outright; the condition would say why if it were one.
  const nonStructural = established.status?.conditions?.find((x) => x.type === "NonStructuralSchema");
  if (nonStructural) throw new Error(`the CRD's schema is not structural: ${nonStructural.message}`);
}

/** Creates the namespace and grants the controller's service account deploy/rbac.yaml's Role in it. */
export async function controllerNamespace(kc: KubeConfig, ns: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  for (const o of deployManifests("rbac.yaml")) {
    if (o.kind === "ServiceAccount") continue; // the identity is the token file's; the account lives in talform-system
    await objects.create({ ...o, metadata: { ...o.metadata, namespace: ns } });
  }
}

export interface ClusterApi {
  create(sim: SimTalosCluster, rollout?: RolloutPolicy, talconfig?: Record<string, unknown>): Promise<void>;
  get(name: string): Promise<TalosCluster>;
  status(name: string): Promise<TalosClusterStatus | undefined>;
  /** Merge-patches the TalosCluster (spec or metadata), as `kubectl patch --type merge` would. */
  patch(name: string, patch: Record<string, unknown>): Promise<void>;
  events(name: string): Promise<{ reason: string; message: string; instance: string }[]>;
  configMap(name: string): Promise<Record<string, string> | undefined>;
}

/** The TalosClusters of a namespace as their admin sees them. */
export function clusterApi(kc: KubeConfig, ns: string): ClusterApi {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const get = async (name: string) =>
    (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: PLURAL,
      name,
    })) as TalosCluster;
  return {
    async create(sim, rollout = {}, talconfig) {
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: `${sim.name}-secrets` }, stringData: { "talsecret.sops.yaml": sim.secretsText } },
      });
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: `${sim.name}-age` }, stringData: { "age.agekey": sim.ageKey } },
      });
      const r = sim.resource(ns, rollout, talconfig);
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
        body: { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.metadata.name }, spec: r.spec },
      });
    },
    get,
    status: async (name) => (await get(name)).status,
    async patch(name, body) {
      await custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name, body },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    },
    async events(name) {
      const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
      return list.items
        .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)))
        .map((e) => ({ reason: e.reason ?? "", message: e.message ?? "", instance: e.reportingInstance ?? "" }));
    },
    async configMap(name) {
      try {
        return (await core.readNamespacedConfigMap({ namespace: ns, name })).data ?? {};
      } catch {
        return undefined;
      }
    },
  };
}

export interface TestController extends RunningController {
  readonly metrics: ControllerMetrics;
  readonly logs: string[];
}

/** The real controller (library), talking to the API server through @kubernetes/client-node as the service account. */
export function runController(
  kc: KubeConfig,
  ns: string,
  env: Record<string, string>,
  over: Partial<ControllerOptions> = {},
): TestController {
  const metrics = over.metrics ?? controllerMetrics();
  const logs: string[] = [];
  const c = startController({
    kube: clientNodeKube(kc),
    namespace: ns,
    identity: "controller-a",
    metrics,
    env,
    now: () => new Date(),
    randomHex: (n) => randomBytes(n).toString("hex"),
    log: (line) => void logs.push(line),
    tickMs: 200,
    resyncMs: 1000,
    leaseDurationSeconds: 3,
    pollMs: 10,
    ...over,
  });
  return Object.assign(c, { metrics, logs });
}
