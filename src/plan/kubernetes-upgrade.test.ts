import { test } from "node:test";
import assert from "node:assert/strict";
import { assemblePlan } from "./assemble.js";
import { observedFrom, renderDesired, type NodeFixture } from "./test-support.js";

const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "10.0.0.11", controlPlane: true },
  { hostname: "w1", address: "10.0.0.21", controlPlane: false },
];
const base = { endpoint: "https://10.0.0.10:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.32.9", nodes: NODES };
const plan = (d: Awaited<ReturnType<typeof renderDesired>>, o: ReturnType<typeof observedFrom>, skipChecks = false) =>
  assemblePlan(d, o, { toolVersion: "test", now: "2026-01-01T00:00:00Z", skipChecks });

test("pre-upgrade checks: removed flags, feature gates and admission plugins in extraArgs block with their place", async () => {
  const d0 = await renderDesired({ ...base, nodes: NODES });
  const table: [string, NodeFixture[], RegExp][] = [
    [
      "apiserver flag",
      [
        { ...NODES[0]!, patch: "cluster:\n  apiServer:\n    extraArgs:\n      cloud-config: /etc/cloud.conf\n" },
        NODES[1]!,
      ],
      /cp1: cluster\.apiServer\.extraArgs\.cloud-config: the flag is removed in Kubernetes 1\.33\.6 \(1\.32\.9 → 1\.33\.6\)/,
    ],
    [
      "feature gate",
      [
        {
          ...NODES[0]!,
          patch: "cluster:\n  controllerManager:\n    extraArgs:\n      feature-gates: CPUManager=true,Other=false\n",
        },
        NODES[1]!,
      ],
      /cp1: cluster\.controllerManager\.extraArgs\.feature-gates: CPUManager is removed in Kubernetes 1\.33\.6/,
    ],
  ];
  for (const [name, nodes, message] of table) {
    const d1 = await renderDesired({ ...base, kubernetesVersion: "1.33.6", nodes });
    const p = plan(d1, observedFrom(d0));
    assert.match(p.errors.map((e) => e.message).join("\n"), message, name);
    const skipped = plan(d1, observedFrom(d0), true);
    assert.deepEqual(skipped.errors, [], name);
    assert.match(skipped.kubernetes!.skippedChecks!.join("\n"), message, name);
  }
  // kubelet flags count on workers too; the check is per minor step (1.33 → 1.34 removes kubelet --cloud-config).
  const d33 = await renderDesired({ ...base, kubernetesVersion: "1.33.6", nodes: NODES });
  const kubeletFlag = await renderDesired({
    ...base,
    kubernetesVersion: "1.34.1",
    nodes: [NODES[0]!, { ...NODES[1]!, patch: "  kubelet:\n    extraArgs:\n      cloud-config: x\n" }],
  });
  assert.match(
    plan(kubeletFlag, observedFrom(d33))
      .errors.map((e) => e.message)
      .join("\n"),
    /w1: machine\.kubelet\.extraArgs\.cloud-config: the flag is removed in Kubernetes 1\.34\.1/,
  );
});

test("removed API objects found by observation block the step of the minor that removes them", async () => {
  const d0 = await renderDesired({ ...base, kubernetesVersion: "1.31.14", nodes: NODES });
  const d1 = await renderDesired({ ...base, nodes: NODES });
  const o = {
    ...observedFrom(d0),
    kubernetesObjects: { "podschedulingcontexts.v1alpha3.resource.k8s.io": ["default/claim"] },
  };
  assert.deepEqual(
    plan(d1, o).errors.map((e) => e.code),
    ["k8s-removed-api"],
  );
  // The same object does not matter for a patch upgrade of 1.31 (nothing is removed within a minor).
  const patch = await renderDesired({ ...base, kubernetesVersion: "1.31.15", nodes: NODES });
  assert.deepEqual(plan(patch, o).errors, []);
});

test("Talos first, then Kubernetes: the plan refuses when the new Talos cannot run the Kubernetes the cluster runs now", async () => {
  const d0 = await renderDesired({ ...base, talosVersion: "v1.13.9", kubernetesVersion: "1.31.14", nodes: NODES });
  const d1 = await renderDesired({ ...base, talosVersion: "v1.14.1", kubernetesVersion: "1.32.9", nodes: NODES });
  const p = plan(d1, observedFrom(d0));
  assert.match(
    p.errors[0]!.message,
    /Talos v1\.14\.1 does not support Kubernetes 1\.31\.14 .* goes first .* upgrade Kubernetes first \(keep talosVersion\), then Talos/,
  );
  // Within both windows: the Talos upgrades are per-node actions, the Kubernetes upgrade one cluster action after them.
  const d2 = await renderDesired({ ...base, talosVersion: "v1.14.1", kubernetesVersion: "1.33.6", nodes: NODES });
  const running = await renderDesired({ ...base, talosVersion: "v1.13.9", kubernetesVersion: "1.32.9", nodes: NODES });
  const ok = plan(d2, observedFrom(running));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(
    ok.nodes.map((n) => n.actions.map((a) => a.type)),
    [["upgrade"], ["upgrade"]],
  );
  assert.deepEqual([ok.kubernetes?.from, ok.kubernetes?.to], ["1.32.9", "1.33.6"]);
});
