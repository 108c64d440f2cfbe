import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  VersionApi,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { startSimHarness, type SimHarness } from "../rollout/test-support.js";

// The simulated Kubernetes API against a real client: @kubernetes/client-node (the official JavaScript client),
// through the admin kubeconfig the simulated Talos API hands out. 1 control plane + 1 worker on 127.0.66.x.
const FIXTURE = {
  endpoint: "https://127.0.66.100:6443",
  talosVersion: "v1.13.9",
  kubernetesVersion: "1.31.14",
  nodes: [
    { hostname: "cp1", address: "127.0.66.1", controlPlane: true },
    { hostname: "w1", address: "127.0.66.11", controlPlane: false, labels: { role: "db" } },
  ],
};

let h: SimHarness;
let kc: KubeConfig;
before(async () => {
  h = await startSimHarness(FIXTURE);
  const desired = await h.render(FIXTURE.nodes);
  const r = await h.apply(await h.plan(desired), desired);
  assert.equal(r.ok, true, r.error);
  kc = new KubeConfig();
  kc.loadFromString(await h.access.secure("127.0.66.1").kubeconfig("127.0.66.1"));
});
after(async () => {
  await h?.stop();
});

const status = async (
  p: Promise<unknown>,
): Promise<{ code: number; body: { kind?: string; reason?: string; message?: string; code?: number } }> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException)
      return { code: e.code, body: JSON.parse(String(e.body)) as { kind?: string; reason?: string } };
    throw e;
  }
  assert.fail("the request succeeded");
};

test("client-node: /version is the control plane's kube-apiserver version", async () => {
  const v = await kc.makeApiClient(VersionApi).getCode();
  assert.equal(v.gitVersion, "v1.31.14");
  assert.equal(v.minor, "31");
});

test("client-node: nodes list with versions, Ready, roles and the config's labels", async () => {
  const nodes = await kc.makeApiClient(CoreV1Api).listNode();
  assert.deepEqual(
    nodes.items.map((n) => n.metadata?.name),
    ["cp1", "w1"],
  );
  for (const n of nodes.items) {
    assert.equal(n.status?.nodeInfo?.kubeletVersion, "v1.31.14");
    assert.equal(n.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.equal(n.status?.nodeInfo?.osImage, "Talos (v1.13.9)");
  }
  assert.equal(nodes.items[0]!.metadata?.labels?.["node-role.kubernetes.io/control-plane"], "");
  assert.equal(nodes.items[1]!.metadata?.labels?.["role"], "db");
});

test("client-node: cordon by every patch content type, and uncordon", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const opts = (type: string) => setHeaderOptions("Content-Type", type);
  let n = await core.patchNode(
    { name: "w1", body: [{ op: "add", path: "/spec/unschedulable", value: true }] },
    opts(PatchStrategy.JsonPatch),
  );
  assert.equal(n.spec?.unschedulable, true);
  n = await core.patchNode({ name: "w1", body: { spec: { unschedulable: null } } }, opts(PatchStrategy.MergePatch));
  assert.equal(n.spec?.unschedulable, undefined);
  await core.patchNode(
    { name: "w1", body: { spec: { unschedulable: true } } },
    opts(PatchStrategy.StrategicMergePatch),
  );
  assert.equal((await core.readNode({ name: "w1" })).spec?.unschedulable, true);
  await core.patchNode(
    { name: "w1", body: { spec: { unschedulable: false } } },
    opts(PatchStrategy.StrategicMergePatch),
  );
  assert.equal((await core.readNode({ name: "w1" })).spec?.unschedulable, false);
  const bad = await status(
    core.patchNode(
      { name: "w1", body: [{ op: "test", path: "/spec/unschedulable", value: true }] },
      opts(PatchStrategy.JsonPatch),
    ),
  );
  assert.equal(bad.code, 422);
  assert.equal(bad.body.reason, "Invalid");
});

test("client-node: kube-system static pods carry talos.dev/config-version and the config's images", async () => {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "kube-system" });
  const byName = Object.fromEntries(pods.items.map((p) => [p.metadata!.name!, p]));
  for (const c of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
    const p = byName[`${c}-cp1`];
    assert.ok(p, `${c}-cp1 is missing (pods: ${Object.keys(byName).join(", ")})`);
    assert.equal(p.spec?.containers[0]?.image, `registry.k8s.io/${c}:v1.31.14`);
    assert.equal(p.metadata?.annotations?.["talos.dev/config-version"], "1");
    assert.equal(p.status?.conditions?.find((x) => x.type === "Ready")?.status, "True");
    assert.equal(p.spec?.nodeName, "cp1");
  }
  assert.equal(byName["kube-apiserver-w1"], undefined, "a worker runs no control-plane pods");
  const proxies = pods.items.filter((p) => p.metadata?.labels?.["k8s-app"] === "kube-proxy");
  assert.deepEqual(proxies.map((p) => p.spec?.nodeName).sort(), ["cp1", "w1"]);
});

test("client-node: bootstrap manifests and their inventory (Talos 1.13 keeps one)", async () => {
  const apps = kc.makeApiClient(AppsV1Api);
  const ds = await apps.readNamespacedDaemonSet({ namespace: "kube-system", name: "kube-proxy" });
  assert.equal(ds.spec?.template.spec?.containers[0]?.image, "registry.k8s.io/kube-proxy:v1.31.14");
  const inv = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap({ namespace: "kube-system", name: "talos-bootstrap-manifests-inventory" });
  assert.ok(Object.keys(inv.data ?? {}).includes("kube-system_kube-proxy_apps_DaemonSet"), JSON.stringify(inv.data));
});

test("client-node: namespaced create / get / list / patch / delete with real status codes", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: "default",
    body: { metadata: { name: "settings" }, data: { a: "1" } },
  });
  const dup = await status(
    core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "settings" } } }),
  );
  assert.equal(dup.code, 409);
  assert.equal(dup.body.reason, "AlreadyExists");
  const missingNs = await status(
    core.createNamespacedConfigMap({ namespace: "nope", body: { metadata: { name: "x" } } }),
  );
  assert.equal(missingNs.code, 404);
  const patched = await core.patchNamespacedConfigMap(
    { namespace: "default", name: "settings", body: { data: { b: "2" } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  assert.deepEqual(patched.data, { a: "1", b: "2" });
  assert.deepEqual(
    (await core.listNamespacedConfigMap({ namespace: "default" })).items.map((c) => c.metadata?.name),
    ["settings"],
  );
  const gone = await status(core.readNamespacedConfigMap({ namespace: "default", name: "other" }));
  assert.deepEqual(
    [gone.code, gone.body.kind, gone.body.reason, gone.body.message],
    [404, "Status", "NotFound", 'configmaps "other" not found'],
  );
  const unsupported = await status(
    core.patchNamespacedConfigMap(
      { namespace: "default", name: "settings", body: {} },
      setHeaderOptions("Content-Type", "text/plain"),
    ),
  );
  assert.equal(unsupported.code, 415);
  await core.deleteNamespacedConfigMap({ namespace: "default", name: "settings" });
  assert.equal((await status(core.readNamespacedConfigMap({ namespace: "default", name: "settings" }))).code, 404);
});

test("client-node: an object seeded in a deprecated API version is served there until the minor that removes it", async () => {
  h.fleet.fault("cluster", "deprecated-api=podschedulingcontexts.v1alpha3.resource.k8s.io/default/legacy-claim");
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = (await custom.listNamespacedCustomObject({
    group: "resource.k8s.io",
    version: "v1alpha3",
    namespace: "default",
    plural: "podschedulingcontexts",
  })) as { items: { metadata: { name: string } }[] };
  assert.deepEqual(
    list.items.map((i) => i.metadata.name),
    ["legacy-claim"],
  );
  assert.throws(() => h.fleet.fault("cluster", "deprecated-api=nothing.v1.example.com/x"), /RESOURCE\.VERSION\.GROUP/);
});
