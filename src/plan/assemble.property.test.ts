import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { assemblePlan } from "./assemble.js";
import { observedFrom, renderDesired, type NodeFixture } from "./test-support.js";

const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "10.1.0.1", controlPlane: true },
  { hostname: "w1", address: "10.1.0.11", controlPlane: false },
  { hostname: "w2", address: "10.1.0.12", controlPlane: false },
  { hostname: "w3", address: "10.1.0.13", controlPlane: false },
];
const base = { endpoint: "https://10.1.0.100:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.36.3" };
const opts = { toolVersion: "t", now: "n" };

test("property: exactly the nodes whose labels change get one live apply-config; a converged cluster plans nothing", async () => {
  const labels = fc.array(fc.constantFrom("a", "b", "c"), { minLength: NODES.length, maxLength: NODES.length });
  await fc.assert(
    fc.asyncProperty(labels, labels, async (from, to) => {
      const d0 = await renderDesired({ ...base, nodes: NODES.map((n, i) => ({ ...n, labels: { tier: from[i]! } })) });
      const d1 = await renderDesired({ ...base, nodes: NODES.map((n, i) => ({ ...n, labels: { tier: to[i]! } })) });
      assert.equal(assemblePlan(d1, observedFrom(d1), opts).summary.changes, 0);
      const p = assemblePlan(d1, observedFrom(d0), opts);
      const changed = NODES.filter((_, i) => from[i] !== to[i]).map((n) => n.hostname);
      assert.deepEqual(
        p.nodes.filter((n) => n.actions.length > 0).map((n) => n.hostname),
        changed,
      );
      for (const n of p.nodes)
        for (const a of n.actions) assert.ok(a.type === "apply-config" && a.mode === "no-reboot" && !n.reboots);
      assert.deepEqual(p, assemblePlan(d1, observedFrom(d0), opts), "assemblePlan is not deterministic");
    }),
    { numRuns: 25 },
  );
});
