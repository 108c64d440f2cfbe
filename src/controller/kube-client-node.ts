import { readFile } from "node:fs/promises";
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Lease,
} from "@kubernetes/client-node";
import { TalformError } from "../diagnostics/index.js";
import type { ControllerKube, Lease } from "./kube.js";
import { GROUP, PLURAL, VERSION, type TalosCluster } from "./types.js";

/** A kubeconfig: a file (`--kubeconfig`), else $KUBECONFIG / ~/.kube/config, else the in-cluster service account. */
export function loadKubeConfig(o: { kubeconfigPath?: string; kubeconfigYaml?: string }): KubeConfig {
  const kc = new KubeConfig();
  if (o.kubeconfigYaml) kc.loadFromString(o.kubeconfigYaml);
  else if (o.kubeconfigPath) kc.loadFromFile(o.kubeconfigPath);
  else kc.loadFromDefault();
  // client-node only finds out when the first API client is made ("No active cluster!"), past the metrics listener.
  if (!kc.getCurrentCluster()) {
    const where = o.kubeconfigPath ?? (o.kubeconfigYaml ? "the given kubeconfig" : "the default kubeconfig");
    const context = kc.getCurrentContext();
    throw new TalformError(
      `${where}: no cluster to connect to (current-context ${context ? `"${context}" names no known cluster` : "is not set"})`,
      {
        code: "kubeconfig",
        hint: "set current-context to a context whose cluster is listed (kubectl config use-context NAME), or pass --kubeconfig",
      },
    );
  }
  return kc;
}

const notFound = (e: unknown) => e instanceof ApiException && e.code === 404;
const conflict = (e: unknown) => e instanceof ApiException && e.code === 409;

/** A JSON Pointer reference token (RFC 6901). */
const pointer = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");

/** Kubernetes micro time (RFC 3339 with six fractional digits), as coordination.k8s.io expects for leases. */
const microTime = (d: Date | undefined) => (d ? d.toISOString().replace(/Z$/, "000Z") : undefined);

export function clientNodeKube(kc: KubeConfig): ControllerKube {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);
  return {
    async listClusters(namespace) {
      const list = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
      })) as {
        items: TalosCluster[];
      };
      return list.items;
    },
    async patchStatus(namespace, name, status) {
      const target = { group: GROUP, version: VERSION, namespace, plural: PLURAL, name };
      // Each given field is replaced whole: a JSON merge patch would merge nested objects, and fields of an earlier
      // value that the new one lacks (lastPlan.errors of a plan since fixed) would stay. JSON Patch `add` replaces
      // an existing member; it needs /status to exist, which it does not before the first write (then nothing can
      // be stale and a merge patch is exact).
      const ops = Object.entries(status).map(([key, value]) => ({ op: "add", path: `/status/${pointer(key)}`, value }));
      try {
        await custom.patchNamespacedCustomObjectStatus({ ...target, body: ops }, jsonPatch);
      } catch (e) {
        if (!(e instanceof ApiException && e.code === 422)) throw e;
        await custom.patchNamespacedCustomObjectStatus({ ...target, body: { status } }, merge);
      }
    },
    async getConfigMap(namespace, name) {
      try {
        return (await core.readNamespacedConfigMap({ namespace, name })).data ?? {};
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
    },
    async putConfigMap(namespace, name, data, owner) {
      const body = {
        metadata: {
          name,
          namespace,
          labels: { "app.kubernetes.io/managed-by": "talform-controller" },
          ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: false }],
        },
        data,
      };
      try {
        await core.replaceNamespacedConfigMap({ namespace, name, body });
      } catch (e) {
        if (!notFound(e)) throw e;
        await core.createNamespacedConfigMap({ namespace, body });
      }
    },
    async getSecret(namespace, name) {
      try {
        const s = await core.readNamespacedSecret({ namespace, name });
        return Object.fromEntries(
          Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
        );
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
    },
    async createEvent(namespace, ev) {
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: ev.name, namespace },
          involvedObject: { ...ev.involved },
          type: ev.type,
          reason: ev.reason,
          message: ev.message,
          firstTimestamp: ev.at,
          lastTimestamp: ev.at,
          count: 1,
          source: { component: "talform-controller", host: ev.instance },
          reportingComponent: "talform.dev/controller",
          reportingInstance: ev.instance,
        },
      });
    },
    async getLease(namespace, name) {
      try {
        const l = await coordination.readNamespacedLease({ namespace, name });
        const date = (v: unknown) => (v ? new Date(v as string) : undefined);
        return {
          name,
          holder: l.spec?.holderIdentity || undefined,
          durationSeconds: l.spec?.leaseDurationSeconds ?? 15,
          acquireTime: date(l.spec?.acquireTime),
          renewTime: date(l.spec?.renewTime),
          transitions: l.spec?.leaseTransitions ?? 0,
          ...(l.metadata?.resourceVersion ? { resourceVersion: l.metadata.resourceVersion } : {}),
        };
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
    },
    async writeLease(namespace, lease: Lease) {
      const body = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: {
          name: lease.name,
          namespace,
          ...(lease.resourceVersion ? { resourceVersion: lease.resourceVersion } : {}),
        },
        spec: {
          ...(lease.holder ? { holderIdentity: lease.holder } : {}),
          leaseDurationSeconds: lease.durationSeconds,
          acquireTime: microTime(lease.acquireTime),
          renewTime: microTime(lease.renewTime),
          leaseTransitions: lease.transitions,
        },
      } as unknown as V1Lease;
      try {
        if (lease.resourceVersion) await coordination.replaceNamespacedLease({ namespace, name: lease.name, body });
        else await coordination.createNamespacedLease({ namespace, body });
        return true;
      } catch (e) {
        if (conflict(e)) return false;
        throw e;
      }
    },
  };
}

const SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** The namespace to work in: $POD_NAMESPACE, the service account's, the kubeconfig context's, else `default`. */
export async function inClusterNamespace(
  env: Readonly<Record<string, string | undefined>>,
  kc: KubeConfig,
): Promise<string> {
  if (env["POD_NAMESPACE"]) return env["POD_NAMESPACE"];
  try {
    return (await readFile(SA_NAMESPACE, "utf8")).trim();
  } catch {
    return kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default";
  }
}
