import { test } from "node:test";
import assert from "node:assert/strict";
import type { NodeFixture } from "../plan/test-support.js";
import { startSimHarness } from "./test-support.js";

// The bootstrap manifests step of upgrade-k8s: server-side apply with the inventory and pruning (Talos 1.13, on
// 127.0.70.x) and the legacy sync (Talos 1.12, on 127.0.71.x).
const inline = (name: string) =>
  `cluster:\n  inlineManifests:\n    - name: ${name}\n      contents: |\n        apiVersion: v1\n        kind: ConfigMap\n        metadata:\n          name: ${name}\n          namespace: kube-system\n        data:\n          k: v\n`;

async function converge(
  h: Awaited<ReturnType<typeof startSimHarness>>,
  nodes: NodeFixture[],
  kubernetesVersion?: string,
) {
  const desired = await h.render(nodes, kubernetesVersion ? { kubernetesVersion } : {});
  const plan = await h.plan(desired);
  assert.deepEqual(plan.errors, []);
  const r = await h.apply(plan, desired);
  assert.equal(r.ok, true, r.error);
  return plan;
}

test("Talos 1.13: server-side apply updates kube-proxy, adds the new inline manifest, prunes the removed one", async () => {
  const cp = (patch: string): NodeFixture => ({ hostname: "cp1", address: "127.0.70.1", controlPlane: true, patch });
  const w: NodeFixture = { hostname: "w1", address: "127.0.70.11", controlPlane: false };
  const h = await startSimHarness({
    endpoint: "https://127.0.70.100:6443",
    talosVersion: "v1.13.9",
    kubernetesVersion: "1.35.4",
    nodes: [cp(inline("old-settings")), w],
  });
  try {
    await converge(h, [cp(inline("old-settings")), w]);
    const kube = (await h.access.kube())!;
    const cm = (name: string) => kube.call("GET", `/api/v1/namespaces/kube-system/configmaps/${name}`);
    assert.equal((await cm("old-settings")).status, 200, "the inline manifest was applied at bootstrap");
    const plan = await converge(h, [cp(inline("new-settings")), w], "1.36.3");
    assert.equal(plan.kubernetes!.steps.at(-1)!.sync, "server-side-apply");
    assert.equal((await cm("old-settings")).status, 404, "not pruned");
    const created = await cm("new-settings");
    assert.equal(created.status, 200);
    assert.equal(
      (created.json as { metadata: { managedFields?: { manager: string }[] } }).metadata.managedFields?.[0]?.manager,
      "talos",
    );
    const inventory = (await cm("talos-bootstrap-manifests-inventory")).json as { data: Record<string, string> };
    assert.deepEqual(Object.keys(inventory.data).sort(), [
      "kube-system_coredns_apps_Deployment",
      "kube-system_kube-proxy_apps_DaemonSet",
      "kube-system_new-settings__ConfigMap",
    ]);
    const ds = await kube.call("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
    assert.match(JSON.stringify(ds.json), /kube-proxy:v1\.36\.3/);
  } finally {
    await h.stop();
  }
});

test("Talos 1.12: the legacy sync updates kube-proxy without an inventory", async () => {
  const nodes: NodeFixture[] = [
    { hostname: "cp1", address: "127.0.71.1", controlPlane: true },
    { hostname: "w1", address: "127.0.71.11", controlPlane: false },
  ];
  const h = await startSimHarness({
    endpoint: "https://127.0.71.100:6443",
    talosVersion: "v1.12.11",
    kubernetesVersion: "1.34.1",
    nodes,
  });
  try {
    await converge(h, nodes);
    const plan = await converge(h, nodes, "1.35.4");
    assert.equal(plan.kubernetes!.steps.at(-1)!.sync, "legacy");
    const kube = (await h.access.kube())!;
    assert.equal(
      (await kube.call("GET", "/api/v1/namespaces/kube-system/configmaps/talos-bootstrap-manifests-inventory")).status,
      404,
    );
    const ds = await kube.call("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy");
    assert.match(JSON.stringify(ds.json), /kube-proxy:v1\.35\.4/);
    assert.deepEqual([...new Set((await kube.nodes()).map((n) => n.kubeletVersion))], ["v1.35.4"]);
  } finally {
    await h.stop();
  }
});
