import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeGroupIntoNode } from "./merge.js";
import type { NodeConfigs, TalconfigNode } from "./schema.js";

const node = (extra: Partial<TalconfigNode>): TalconfigNode => ({ hostname: "n1", ipAddress: "10.0.0.1", ...extra });

test("merge: the node's value wins, else the group's; maps and structs are replaced whole", () => {
  const group: NodeConfigs = {
    nodeLabels: { a: "group", b: "group" },
    nodeAnnotations: { x: "y" },
    schematic: { customization: { extraKernelArgs: ["enable=1"] } },
    machineSpec: { arch: "arm64" },
    disableSearchDomain: true,
  };
  const m = mergeGroupIntoNode(node({ nodeLabels: { a: "node" }, machineSpec: { secureboot: true } }), group);
  assert.deepEqual(m.values.nodeLabels, { a: "node" });
  assert.deepEqual(m.values.nodeAnnotations, { x: "y" });
  assert.deepEqual(m.values.schematic, { customization: { extraKernelArgs: ["enable=1"] } });
  assert.deepEqual(m.values.machineSpec, { secureboot: true });
  assert.equal(m.values.disableSearchDomain, true);
  assert.equal(m.origin.nodeLabels, "node");
  assert.equal(m.origin.nodeAnnotations, "group");
});

test("merge: a key written on the node wins even with a zero value (talform's deliberate difference)", () => {
  const m = mergeGroupIntoNode(node({ disableSearchDomain: false }), { disableSearchDomain: true });
  assert.equal(m.values.disableSearchDomain, false);
});

test("merge: patches group-first, certSANs and extraManifests node-first; override flags drop the group's", () => {
  const group: NodeConfigs = { patches: ["g"], certSANs: ["g.example"], extraManifests: ["g.yaml"] };
  const n = { patches: ["n"], certSANs: ["n.example"], extraManifests: ["n.yaml"] };
  const plain = mergeGroupIntoNode(node(n), group);
  assert.deepEqual(plain.values.patches, ["g", "n"]);
  assert.deepEqual(plain.values.certSANs, ["n.example", "g.example"]);
  assert.deepEqual(plain.values.extraManifests, ["n.yaml", "g.yaml"]);
  const over = mergeGroupIntoNode(
    node({ ...n, overridePatches: true, overrideMachineCertSANs: true, overrideExtraManifests: true }),
    group,
  );
  assert.deepEqual(over.values.patches, ["n"]);
  assert.deepEqual(over.values.certSANs, ["n.example"]);
  assert.deepEqual(over.values.extraManifests, ["n.yaml"]);
  const groupOnly = mergeGroupIntoNode(node({}), group);
  assert.deepEqual(groupOnly.values.patches, ["g"]);
  assert.deepEqual(groupOnly.values.certSANs, ["g.example"]);
});

test("merge: no group leaves the node as it is", () => {
  const m = mergeGroupIntoNode(node({ nameservers: ["1.1.1.1"] }), undefined);
  assert.deepEqual(m.values, { nameservers: ["1.1.1.1"] });
});
