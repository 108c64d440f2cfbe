import assert from "node:assert/strict";
import { test } from "node:test";
import { observedRevision } from "./assemble.js";
import { discoverExtraNodes, planRemovals } from "./membership.js";
import type { DesiredCluster, ObservedCluster, ObservedNode } from "./types.js";

const ADDRESS: Record<string, string> = { cp1: "10.0.0.1", cp2: "10.0.0.2", cp3: "10.0.0.3", w1: "10.0.0.9" };
const desired = (names: string[]): DesiredCluster => ({
  clusterName: "t",
  nodes: names.map((h) => ({
    hostname: h,
    address: ADDRESS[h]!,
    controlPlane: h.startsWith("cp"),
    talosVersion: "v1.13.9",
    installImage: "x",
    extensions: [],
    kubernetesVersion: "1.36.3",
    configText: "",
  })),
});
const running = (h: string, address: string, extra: Partial<ObservedNode> = {}): ObservedNode => ({
  hostname: h,
  address,
  reachable: true,
  maintenance: false,
  talosVersion: "v1.13.9",
  bootId: `b-${h}`,
  ...extra,
});
const cluster = (
  health: Record<string, boolean>,
  nodes: ObservedNode[],
  kube = Object.keys(health),
): ObservedCluster => ({
  nodes,
  etcdBootstrapped: true,
  membership: {
    etcdMembers: Object.entries(health).map(([h, healthy], i) => ({
      id: `${i + 1}`.padStart(16, "0"),
      hostname: h,
      address: nodes.find((n) => n.hostname === h)?.address ?? h,
      healthy,
    })),
    kubernetesNodes: kube.map((name) => ({ name, address: nodes.find((n) => n.hostname === name)?.address ?? name })),
  },
});

test("planRemovals: remove for members and Nodes the talconfig dropped, guarded by quorum", () => {
  const all = [
    running("cp1", "10.0.0.1"),
    running("cp2", "10.0.0.2"),
    running("cp3", "10.0.0.3"),
    running("w1", "10.0.0.9"),
  ];
  const cases: {
    name: string;
    want: string[];
    health: Record<string, boolean>;
    nodes?: ObservedNode[];
    kube?: string[];
    errors?: RegExp;
    warning?: RegExp;
  }[] = [
    {
      name: "healthy cp3 leaves",
      want: ["cp1", "cp2", "w1"],
      health: { cp1: true, cp2: true, cp3: true },
      warning: /shrinks to 2/,
    },
    { name: "a worker leaves", want: ["cp1", "cp2", "cp3"], health: { cp1: true, cp2: true, cp3: true } },
    {
      name: "cp3 while cp2 is down",
      want: ["cp1", "cp2", "w1"],
      health: { cp1: true, cp2: false, cp3: true },
      errors: /only 1 are healthy.*cp2 is down/,
    },
    {
      name: "every control plane",
      want: ["w1"],
      health: { cp1: true, cp2: true, cp3: true },
      errors: /every control plane/,
    },
    { name: "nothing dropped", want: ["cp1", "cp2", "cp3", "w1"], health: { cp1: true, cp2: true, cp3: true } },
  ];
  for (const c of cases) {
    const r = planRemovals(
      desired(c.want),
      cluster(c.health, c.nodes ?? all, c.kube ?? ["cp1", "cp2", "cp3", "w1"]),
      observedRevision,
    );
    const expected = all.map((n) => n.hostname).filter((h) => !c.want.includes(h));
    assert.deepEqual(
      r.nodes.map((n) => n.hostname),
      expected,
      c.name,
    );
    for (const n of r.nodes) assert.equal(n.actions[0]!.type, "remove");
    if (c.errors) assert.match(r.errors.map((e) => e.message).join("\n"), c.errors, c.name);
    else assert.deepEqual(r.errors, [], c.name);
    if (c.warning) assert.match(r.warnings.map((w) => w.message).join("\n"), c.warning, c.name);
  }
});

test("planRemovals: a lost node (maintenance mode) is removed by member id, not reset; unknown membership is an error", () => {
  const nodes = [
    running("cp1", "10.0.0.1"),
    running("cp2", "10.0.0.2"),
    { hostname: "cp3", address: "10.0.0.3", reachable: true, maintenance: true },
  ];
  const r = planRemovals(
    desired(["cp1", "cp2"]),
    cluster({ cp1: true, cp2: true, cp3: false }, nodes),
    observedRevision,
  );
  const a = r.nodes[0]!.actions[0]!;
  assert.deepEqual(a.type === "remove" && [a.reset, a.kubernetesNode, a.etcdMemberId], [
    false,
    true,
    "0000000000000003",
  ]);
  assert.match(a.reason, /remove member 0000000000000003.*maintenance mode: not reset/);
  const unknown = planRemovals(
    desired(["cp1"]),
    { nodes, etcdBootstrapped: true, membership: { etcdMembers: [], etcdMembersError: "no leader" } },
    observedRevision,
  );
  assert.equal(unknown.errors[0]?.code, "etcd-members");
});

test("discoverExtraNodes: members and Nodes the targets do not name, by hostname or address", () => {
  const targets = [{ hostname: "cp1", address: "10.0.0.1", controlPlane: true }];
  const extra = discoverExtraNodes(targets, {
    etcdMembers: [
      { id: "1", hostname: "cp1", address: "10.0.0.1", healthy: true },
      { id: "2", hostname: "cp2", address: "10.0.0.2", healthy: true },
    ],
    kubernetesNodes: [{ name: "cp2", address: "10.0.0.2" }, { name: "w1", address: "10.0.0.9" }, { name: "ghost" }],
  });
  assert.deepEqual(extra, [
    { hostname: "cp2", address: "10.0.0.2", controlPlane: true },
    { hostname: "w1", address: "10.0.0.9", controlPlane: false },
  ]);
});
