// Talos < 1.12 sends a MachineConfig resource's config text as its YAML spec verbatim; >= 1.12 sends one YAML string
// and the `talos.dev/yaml-spec` annotation. Plan, apply and its verification must read both: a fleet on either side
// installs, converges, applies a label change and converges again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TALOS_MINORS } from "../contract/index.js";
import { actionsByNode, converge, labelledNodes, startInstalledHarness } from "../rollout/test-support.js";

// Addresses 127.0.93.x are reserved for this file; each case has its own /26 (.1–.2, .65–.66).
const CASES = [
  { minor: "v1.11", base: 0, encoding: "the config text" },
  { minor: "v1.12", base: 64, encoding: "one YAML string" },
] as const;

for (const c of CASES) {
  test(`Talos ${c.minor}: the MachineConfig spec arrives as ${c.encoding}; plan and apply read it`, async () => {
    const facts = TALOS_MINORS.find((m) => m.minor === c.minor)!;
    const at = (host: number) => `127.0.93.${c.base + host}`;
    const nodes = [
      { hostname: "cp1", address: at(1), controlPlane: true },
      { hostname: "w1", address: at(2), controlPlane: false },
    ];
    const fixture = {
      endpoint: `https://${at(50)}:6443`,
      talosVersion: facts.latestPatch!,
      kubernetesVersion: facts.defaultKubernetesVersion,
      nodes,
    };
    const h = await startInstalledHarness(fixture);
    try {
      const desired = await h.render(nodes);
      const r = await h.access
        .secure(at(1))
        .getResource(at(1), "config", "MachineConfigs.config.talos.dev", "v1alpha1");
      const text = desired.nodes.find((n) => n.hostname === "cp1")!.configText;
      assert.equal(r.spec, text);
      if (c.minor === "v1.11") {
        assert.deepEqual(r.annotations, {});
        assert.equal(r.yamlSpec, text);
      } else {
        assert.equal(r.annotations["talos.dev/yaml-spec"], "1");
        assert.match(r.yamlSpec, /^\|/);
      }
      assert.deepEqual(actionsByNode(await h.plan(desired)), {});
      const labelled = await h.render(labelledNodes(nodes, "db"));
      assert.deepEqual(actionsByNode(await h.plan(labelled)), { cp1: ["apply-config"], w1: ["apply-config"] });
      await converge(h, labelled);
    } finally {
      await h.stop();
    }
  });
}
