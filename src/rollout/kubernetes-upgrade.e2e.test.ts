import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Plan } from "../plan/index.js";
import type { NodeFixture } from "../plan/test-support.js";
import { startSimHarness, type SimHarness } from "./test-support.js";

// upgrade-k8s end to end on a simulated 3 control planes + 2 workers (127.0.68.x, API 127.0.68.100), Talos 1.13.
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "127.0.68.1", controlPlane: true },
  { hostname: "cp2", address: "127.0.68.2", controlPlane: true },
  { hostname: "cp3", address: "127.0.68.3", controlPlane: true },
  { hostname: "w1", address: "127.0.68.11", controlPlane: false },
  { hostname: "w2", address: "127.0.68.12", controlPlane: false },
];
const FIXTURE = {
  endpoint: "https://127.0.68.100:6443",
  talosVersion: "v1.13.9",
  kubernetesVersion: "1.31.14",
  nodes: NODES,
};
const CPS = ["cp1", "cp2", "cp3"];

let h: SimHarness;
before(async () => {
  h = await startSimHarness(FIXTURE);
  const desired = await h.render(NODES);
  const r = await h.apply(await h.plan(desired), desired);
  assert.equal(r.ok, true, r.error);
});
after(async () => {
  await h?.stop();
});

/** The sub-step ids of one hop, in Talos's order. */
function hopSteps(v: string): string[] {
  const p = `k8s/v${v}`;
  return [
    `${p}/pre-pull`,
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler"].flatMap((c) => CPS.map((n) => `${p}/${c}/${n}`)),
    ...CPS.map((n) => `${p}/kube-proxy/${n}`),
    ...[...CPS, "w1", "w2"].map((n) => `${p}/kubelet/${n}`),
    `${p}/manifests`,
  ];
}

const kube = async () => (await h.access.kube())!;
const image = (host: string, component: string) => {
  const text = h.fleet.node(host).config!.text;
  const key = {
    "kube-apiserver": "apiServer",
    "kube-controller-manager": "controllerManager",
    "kube-scheduler": "scheduler",
    "kube-proxy": "proxy",
  }[component]!;
  return new RegExp(`${key}:\\n(?:\\s+.*\\n)*?\\s+image: (\\S+)`).exec(text)?.[1];
};
// The control plane's static pods (kube-system also holds kube-proxy's and CoreDNS's pods, which carry other versions).
const podImages = async () => {
  const r = await (await kube()).call("GET", "/api/v1/namespaces/kube-system/pods");
  return Object.fromEntries(
    (r.json as { items: { metadata: { name: string }; spec: { containers: { image: string }[] } }[] }).items
      .filter((p) => /^kube-(apiserver|controller-manager|scheduler)-/.test(p.metadata.name))
      .map((p) => [p.metadata.name, p.spec.containers[0]!.image]),
  );
};
const kubelets = async () => Object.fromEntries((await (await kube()).nodes()).map((n) => [n.name, n.kubeletVersion]));

async function planFor(
  version: string,
  skipChecks = false,
): Promise<{ plan: Plan; desired: Awaited<ReturnType<SimHarness["render"]>> }> {
  const desired = await h.render(NODES, { kubernetesVersion: version });
  const plan = await h.plan(desired);
  return { plan: skipChecks ? await h.planWith(desired, { skipChecks: true }) : plan, desired };
}

test("a removed API in use blocks the upgrade before any change, naming the object; --skip-checks reports it", async () => {
  h.fleet.fault("cluster", "deprecated-api=podschedulingcontexts.v1alpha3.resource.k8s.io/default/legacy-claim");
  const configs = h.fleet.nodes.map((n) => n.config!.text);
  const { plan, desired } = await planFor("1.32.9");
  const blocked = plan.errors.find((e) => e.code === "k8s-removed-api");
  assert.ok(blocked, JSON.stringify(plan.errors));
  assert.match(
    blocked.message,
    /podschedulingcontexts\.v1alpha3\.resource\.k8s\.io default\/legacy-claim: served from an API version Kubernetes 1\.32\.9 removes/,
  );
  await assert.rejects(h.apply(plan, desired), /cannot be applied: .*legacy-claim/);
  assert.deepEqual(
    h.fleet.nodes.map((n) => n.config!.text),
    configs,
    "a node's config changed",
  );
  const skipped = await h.planWith(desired, { skipChecks: true });
  assert.deepEqual(skipped.errors, []);
  assert.match(skipped.kubernetes!.skippedChecks!.join("\n"), /legacy-claim/);
  const del = await (
    await kube()
  ).call("DELETE", "/apis/resource.k8s.io/v1alpha3/namespaces/default/podschedulingcontexts/legacy-claim");
  assert.equal(del.status, 200);
});

test("a minor bump: plan lists the sub-steps in Talos's order; a component that never gets Ready stops there", async () => {
  const { plan, desired } = await planFor("1.32.9");
  assert.deepEqual(plan.errors, []);
  assert.deepEqual(
    plan.kubernetes!.steps.map((s) => s.id),
    hopSteps("1.32.9"),
  );
  assert.deepEqual(
    plan.nodes.map((n) => n.actions.length),
    [0, 0, 0, 0, 0],
    "no per-node actions: upgrade-k8s is one cluster action",
  );
  h.fleet.fault("cp2", "component-not-ready=kube-apiserver");
  h.events.length = 0;
  const r = await h.apply(plan, desired, { healthTimeoutMs: 600 });
  assert.equal(r.ok, false);
  assert.match(r.error!, /kube-apiserver-cp2 with the new config to be Ready/);
  assert.equal(image("cp1", "kube-apiserver"), "registry.k8s.io/kube-apiserver:v1.32.9");
  assert.equal(image("cp2", "kube-apiserver"), "registry.k8s.io/kube-apiserver:v1.32.9");
  assert.equal(
    image("cp3", "kube-apiserver"),
    "registry.k8s.io/kube-apiserver:v1.31.14",
    "cp3 was touched after cp2 failed",
  );
  assert.equal(image("cp1", "kube-controller-manager"), "registry.k8s.io/kube-controller-manager:v1.31.14");

  // Fixed: the resumed run continues at the failed step and finishes the upgrade.
  h.fleet.fault("cp2", "clear");
  h.events.length = 0;
  const resumed = await h.apply(plan, desired, { resume: true });
  assert.equal(resumed.ok, true, resumed.error);
  const skippedIds = h.events.flatMap((e) => (e.type === "step-skip" ? [e.step] : []));
  assert.deepEqual(skippedIds, ["k8s/v1.32.9/pre-pull", "k8s/v1.32.9/kube-apiserver/cp1"]);
  assert.deepEqual(await kubelets(), { cp1: "v1.32.9", cp2: "v1.32.9", cp3: "v1.32.9", w1: "v1.32.9", w2: "v1.32.9" });
  const pods = await podImages();
  assert.equal(Object.keys(pods).length, 9, "three static pods on each of the three control planes");
  for (const [name, img] of Object.entries(pods)) assert.match(img, /:v1\.32\.9$/, `${name} runs ${img}`);
  const ds = await (await kube()).call("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
  assert.match(JSON.stringify(ds.json), /kube-proxy:v1\.32\.9/);
  const again = await h.plan(desired);
  assert.equal(again.kubernetes, undefined);
  assert.equal(again.summary.changes, 0);
});

test("Ctrl-C between sub-steps: apply --resume skips the finished ones and completes", async () => {
  const { plan, desired } = await planFor("1.33.6");
  const stopAt = "k8s/v1.33.6/kube-scheduler/cp1";
  await assert.rejects(
    h.apply(plan, desired, {
      afterStep: (id) => {
        if (id === stopAt) throw new Error("interrupted (simulated Ctrl-C)");
      },
    }),
    /simulated Ctrl-C/,
  );
  assert.equal(image("cp2", "kube-scheduler"), "registry.k8s.io/kube-scheduler:v1.32.9");
  h.events.length = 0;
  const r = await h.apply(plan, desired, { resume: true });
  assert.equal(r.ok, true, r.error);
  const ran = h.events.flatMap((e) => (e.type === "step-start" ? [e.step] : []));
  assert.deepEqual(ran, hopSteps("1.33.6").slice(hopSteps("1.33.6").indexOf(stopAt) + 1));
  assert.deepEqual(new Set(Object.values(await kubelets())), new Set(["v1.33.6"]));
});

test("a kubelet that comes back on the old version fails its step; nodes after it keep theirs", async () => {
  const { plan, desired } = await planFor("1.34.1");
  h.fleet.fault("w1", "kubelet-old-version");
  const r = await h.apply(plan, desired, { healthTimeoutMs: 600 });
  assert.equal(r.ok, false);
  assert.equal(r.failedNode, "w1");
  assert.match(r.error!, /the kubelet reports v1\.33\.6, expected v1\.34\.1/);
  const k = await kubelets();
  assert.deepEqual([k["cp3"], k["w1"], k["w2"]], ["v1.34.1", "v1.33.6", "v1.33.6"]);
  h.fleet.fault("w1", "clear");
});

test("two minors at once go through the latest patch of the minor between", async () => {
  const desired = await h.render(NODES, { kubernetesVersion: "1.36.3" });
  const plan = await h.plan(desired);
  assert.deepEqual(plan.errors, []);
  // w1 still runs 1.33.6 (its kubelet step failed above): the upgrade continues from the oldest version.
  assert.deepEqual(plan.kubernetes!.hops, ["1.34.1", "1.35.4", "1.36.3"]);
  assert.deepEqual(
    plan.kubernetes!.steps.map((s) => s.id),
    [...hopSteps("1.34.1"), ...hopSteps("1.35.4"), ...hopSteps("1.36.3")],
  );
  const r = await h.apply(plan, desired);
  assert.equal(r.ok, true, r.error);
  assert.deepEqual(new Set(Object.values(await kubelets())), new Set(["v1.36.3"]));
  assert.equal((await h.plan(desired)).summary.changes, 0);
});
