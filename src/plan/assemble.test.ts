import { test } from "node:test";
import assert from "node:assert/strict";
import { assemblePlan } from "./assemble.js";
import { parsePlanJson } from "./plan-format.js";
import { formatPlan } from "./format.js";
import { upgradePath } from "./upgrade-path.js";
import { observedFrom, renderDesired, type NodeFixture } from "./test-support.js";
import type { DesiredCluster, ObservedCluster, Plan } from "./types.js";

const GPU_SCHEMATIC = "b".repeat(64);
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "10.0.0.11", controlPlane: true },
  { hostname: "cp2", address: "10.0.0.12", controlPlane: true },
  { hostname: "cp3", address: "10.0.0.13", controlPlane: true },
  { hostname: "w1", address: "10.0.0.21", controlPlane: false, labels: { role: "general" } },
  { hostname: "w2", address: "10.0.0.22", controlPlane: false },
  {
    hostname: "gpu1",
    address: "10.0.0.31",
    controlPlane: false,
    schematicId: GPU_SCHEMATIC,
    extensions: ["siderolabs/nonfree-kmod-nvidia-lts"],
  },
];
const base = { endpoint: "https://10.0.0.10:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.36.3" };
const OPTS = { toolVersion: "0.1.0", now: "2026-01-01T00:00:00.000Z" };
const plan = (d: DesiredCluster, o: ObservedCluster, extra = {}) => assemblePlan(d, o, { ...OPTS, ...extra });
const actions = (p: Plan) =>
  Object.fromEntries(
    p.nodes.filter((n) => n.actions.length > 0).map((n) => [n.hostname, n.actions.map((a) => a.type)]),
  );

test("a converged cluster plans no changes", async () => {
  const d = await renderDesired({ ...base, nodes: NODES });
  const p = plan(d, observedFrom(d));
  assert.deepEqual(actions(p), {});
  assert.equal(p.summary.changes, 0);
  assert.deepEqual(p.errors, []);
  assert.match(formatPlan(p), /No changes/);
});

test("fresh nodes in maintenance: install everywhere, bootstrap once on the first control plane", async () => {
  const d = await renderDesired({ ...base, nodes: NODES });
  const maint = Object.fromEntries(
    NODES.map((n) => [
      n.hostname,
      { maintenance: true, stage: "maintenance", etcd: { member: false, healthy: false, members: 0 } },
    ]),
  );
  const o = observedFrom(d, maint);
  const p = plan(d, { ...o, etcdBootstrapped: false });
  assert.deepEqual(actions(p), {
    cp1: ["install", "bootstrap"],
    cp2: ["install"],
    cp3: ["install"],
    w1: ["install"],
    w2: ["install"],
    gpu1: ["install"],
  });
  assert.deepEqual(
    p.nodes.map((n) => n.hostname),
    ["cp1", "cp2", "cp3", "w1", "w2", "gpu1"],
  );
});

test("per-node decisions: label → apply-config without reboot, extension → upgrade, k8s bump → upgrade-k8s", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const table: [string, (n: NodeFixture) => NodeFixture, Record<string, string[]>, (p: Plan) => void][] = [
    [
      "label",
      (n) => (n.hostname === "w1" ? { ...n, labels: { role: "db" } } : n),
      { w1: ["apply-config"] },
      (p) => {
        const a = p.nodes.find((n) => n.hostname === "w1")!.actions[0]!;
        assert.equal(a.type === "apply-config" && a.mode, "no-reboot");
        assert.deepEqual(p.nodes.find((n) => n.hostname === "w1")!.diff, [
          { document: "v1alpha1", path: "machine.nodeLabels.role", op: "change", before: "general", after: "db" },
        ]);
      },
    ],
    [
      "extension",
      (n) =>
        n.hostname === "gpu1"
          ? { ...n, extensions: ["siderolabs/nonfree-kmod-nvidia-lts", "siderolabs/nvidia-container-toolkit-lts"] }
          : n,
      { gpu1: ["upgrade"] },
      (p) => {
        const a = p.nodes.find((n) => n.hostname === "gpu1")!.actions[0]!;
        assert.equal(a.type === "upgrade" && a.to, "v1.13.9");
        assert.match(a.reason, /\+siderolabs\/nvidia-container-toolkit-lts/);
      },
    ],
    [
      "kubernetes",
      (n) => ({ ...n, kubernetesVersion: "1.36.4" }),
      {},
      (p) => {
        // One cluster-level action, not one per node.
        assert.deepEqual(
          [p.kubernetes?.type, p.kubernetes?.from, p.kubernetes?.to, p.kubernetes?.hops],
          ["upgrade-k8s", "1.36.3", "1.36.4", ["1.36.4"]],
        );
        assert.equal(p.summary.changes, 1);
      },
    ],
  ];
  for (const [name, change, want, check] of table) {
    const d1 = await renderDesired({ ...base, nodes: NODES.map(change) });
    const p = plan(d1, observedFrom(d0));
    assert.deepEqual(actions(p), want, name);
    assert.deepEqual(p.errors, [], name);
    check(p);
  }
});

test("a Talos minor bump upgrades through the latest patch of every minor, then applies the new contract's config", async () => {
  const d0 = await renderDesired({ ...base, talosVersion: "v1.12.6", kubernetesVersion: "1.35.4", nodes: NODES });
  const d1 = await renderDesired({ ...base, talosVersion: "v1.14.1", kubernetesVersion: "1.35.4", nodes: NODES });
  const p = plan(d1, observedFrom(d0));
  const cp1 = p.nodes[0]!;
  assert.deepEqual(
    cp1.actions.map((a) => (a.type === "upgrade" ? `upgrade ${a.to}` : a.type)),
    ["upgrade v1.13.9", "upgrade v1.14.1", "apply-config"],
  );
  const hop = cp1.actions[0]!;
  assert.equal(hop.type === "upgrade" && hop.image, "ghcr.io/siderolabs/installer:v1.13.9");
  assert.ok(cp1.reboots);
  assert.deepEqual(p.errors, []);
});

test("reboot classification follows the node's Talos version: 1.13 apply reboots itself, 1.14 gets an explicit reboot", async () => {
  const env = "  env:\n    HTTP_PROXY: http://proxy:3128\n";
  for (const [version, k8s, want, mode] of [
    ["v1.13.9", "1.36.3", ["apply-config"], "reboot"],
    ["v1.14.1", "1.37.0", ["apply-config", "reboot"], "no-reboot"],
  ] as const) {
    const d0 = await renderDesired({ ...base, talosVersion: version, kubernetesVersion: k8s, nodes: NODES });
    const d1 = await renderDesired({
      ...base,
      talosVersion: version,
      kubernetesVersion: k8s,
      nodes: NODES.map((n) => (n.hostname === "w2" ? { ...n, patch: env } : n)),
    });
    const p = plan(d1, observedFrom(d0));
    assert.deepEqual(actions(p), { w2: want }, version);
    const a = p.nodes.find((n) => n.hostname === "w2")!.actions[0]!;
    assert.equal(a.type === "apply-config" && a.mode, mode, version);
    assert.ok(p.nodes.find((n) => n.hostname === "w2")!.reboots);
  }
});

test("guards: patched component/installer images, cross-minor downgrades and unreachable nodes are plan errors", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const patched = await renderDesired({
    ...base,
    nodes: NODES.map((n) =>
      n.hostname === "w2" ? { ...n, patch: "  kubelet:\n    image: ghcr.io/siderolabs/kubelet:v1.36.9\n" } : n,
    ),
  });
  assert.deepEqual(
    plan(patched, observedFrom(d0)).errors.map((e) => `${e.node}:${e.code}`),
    ["w2:k8s-image", "w2:k8s-images"],
  );
  const installer = await renderDesired({
    ...base,
    nodes: NODES.map((n) =>
      n.hostname === "w1" ? { ...n, patch: "  install:\n    image: ghcr.io/siderolabs/installer:v1.12.6\n" } : n,
    ),
  });
  assert.deepEqual(
    plan(installer, observedFrom(d0)).errors.map((e) => `${e.node}:${e.code}`),
    ["w1:installer-image"],
  );
  const newer = observedFrom(d0, { w2: { talosVersion: "v1.14.1" } });
  assert.deepEqual(
    plan(d0, newer).errors.map((e) => `${e.node}:${e.code}`),
    ["w2:upgrade-path"],
  );
  const down = observedFrom(d0, { cp2: { reachable: false, error: "connection refused" } });
  const p = plan(d0, down);
  assert.deepEqual(
    p.errors.map((e) => `${e.node}:${e.code}`),
    ["cp2:unreachable"],
  );
  assert.match(p.errors[0]!.message, /connection refused/);
});

test("Kubernetes guards: several minors go through the latest patch of each, no downgrades, within Talos's window", async () => {
  const d0 = await renderDesired({ ...base, kubernetesVersion: "1.34.2", nodes: NODES });
  const table: [string, string | undefined, readonly string[] | undefined][] = [
    ["1.36.3", undefined, ["1.35.4", "1.36.3"]],
    ["1.35.4", undefined, ["1.35.4"]],
    ["1.33.1", "-:k8s-upgrade-path", undefined],
  ];
  for (const [to, code, hops] of table) {
    const d1 = await renderDesired({ ...base, kubernetesVersion: to, nodes: NODES });
    const p = plan(d1, observedFrom(d0));
    const errs = p.errors.map((e) => `${e.node ?? "-"}:${e.code}`);
    if (code) assert.ok(errs.includes(code), `${to}: ${errs.join(", ")}`);
    else assert.deepEqual(errs, [], to);
    assert.deepEqual(p.kubernetes?.hops, hops, to);
  }
  const outside = await renderDesired({ ...base, kubernetesVersion: "1.30.2", nodes: NODES });
  assert.match(
    plan(outside, observedFrom(outside)).errors[0]!.message,
    /Talos v1\.13\.9 does not support Kubernetes 1\.30\.2 \(supported: 1\.31–1\.36\)/,
  );
});

test("a pending staged config is replaced by an apply-config, and blocks an upgrade whose reboot would activate it", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const o = observedFrom(d0, { w2: { stagedConfigDigest: "sha256:feed" } });
  const p = plan(d0, o);
  assert.deepEqual(actions(p), { w2: ["apply-config"] });
  assert.match(p.nodes.find((n) => n.hostname === "w2")!.actions[0]!.reason, /staged config waits/);
  const d1 = await renderDesired({ ...base, talosVersion: "v1.14.1", kubernetesVersion: "1.36.3", nodes: NODES });
  assert.deepEqual(
    plan(d1, o).errors.map((e) => `${e.node}:${e.code}`),
    ["w2:staged-config"],
  );
});

test("drift: a running config that is not what talform last applied is reported", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const o = observedFrom(d0);
  const p = plan(d0, o, {
    lastApplied: { w1: "sha256:0000", w2: o.nodes.find((n) => n.hostname === "w2")!.configDigest! },
  });
  assert.deepEqual(
    p.nodes.filter((n) => n.drift).map((n) => n.hostname),
    ["w1"],
  );
  assert.match(formatPlan(p), /w1: drift/);
});

test("diffs never show secrets; the plan JSON round-trips and refuses unknown format versions", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const w1 = d0.nodes.find((n) => n.hostname === "w1")!;
  const token = /token: ([a-z0-9.]+)/.exec(w1.configText)![1]!;
  const rotated = {
    ...d0,
    nodes: d0.nodes.map((n) =>
      n.hostname === "w1" ? { ...n, configText: n.configText.replaceAll(token, "zzzzzz.zzzzzzzzzzzzzzzz") } : n,
    ),
  };
  const p = plan(rotated, observedFrom(d0));
  const json = JSON.stringify(p);
  assert.ok(!json.includes(token) && !json.includes("zzzzzz.zzzzzzzzzzzzzzzz"), "token leaked into the plan");
  assert.ok(!/PRIVATE KEY|LS0tLS1CRUdJTiBFQyBQUklWQVRF/.test(json));
  assert.match(json, /\(sensitive\)/);
  assert.deepEqual(parsePlanJson(json), JSON.parse(json));
  assert.throws(() => parsePlanJson(JSON.stringify({ ...p, formatVersion: 2 })), /format version 2 is not supported/);
  assert.throws(
    () =>
      parsePlanJson(JSON.stringify({ ...p, nodes: [{ ...p.nodes[0], actions: [{ type: "explode", reason: "" }] }] })),
    /invalid plan at nodes\.0\.actions\.0/,
  );
});

test("upgradePath", () => {
  const table: [string, string, ReturnType<typeof upgradePath>][] = [
    ["v1.13.2", "v1.13.9", { hops: ["v1.13.9"] }],
    ["v1.10.3", "v1.13.9", { hops: ["v1.11.6", "v1.12.11", "v1.13.9"] }],
    ["v1.13.9", "v1.13.9", { hops: [] }],
    ["v1.13.9", "v1.13.2", { hops: ["v1.13.2"] }],
  ];
  for (const [from, to, want] of table) assert.deepEqual(upgradePath(from, to), want, `${from}→${to}`);
  assert.match((upgradePath("v1.14.1", "v1.12.6") as { error: string }).error, /downgrading/);
  assert.deepEqual(upgradePath("v1.8.0", "v1.11.0"), { hops: ["v1.9.6", "v1.10.9", "v1.11.0"] });
  // 1.15 has a contract but no release to stop at on the way to 1.16.
  assert.match((upgradePath("v1.14.1", "v1.16.0") as { error: string }).error, /no known release of Talos v1\.15/);
});
