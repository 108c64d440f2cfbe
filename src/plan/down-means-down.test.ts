import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalSchematicYaml, schematicId } from "../factory/index.js";
import { clientHealthChecks, formatHealth } from "../doctor/health.js";
import { assemblePlan } from "./assemble.js";
import { formatPlan } from "./format.js";
import { parsePlanJson } from "./plan-format.js";
import { observedFrom, renderDesired, type NodeFixture } from "./test-support.js";

// Down means down: an unreachable node is never "no changes" and an unrun health check is never OK. And the
// register-schematic steps a plan carries, serialised and read back as data.
const NODES: NodeFixture[] = [
  { hostname: "cp1", address: "10.0.0.11", controlPlane: true },
  { hostname: "w1", address: "10.0.0.21", controlPlane: false },
  { hostname: "w2", address: "10.0.0.22", controlPlane: false },
];
const base = { endpoint: "https://10.0.0.10:6443", talosVersion: "v1.13.9", kubernetesVersion: "1.36.3" };
const OPTS = { toolVersion: "0.1.0", now: "2026-01-01T00:00:00.000Z" };
const down = { reachable: false, error: "connect ECONNREFUSED" };

test("plan: unreachable nodes are unknown and the summary says incomplete, never 'No changes'", async () => {
  const d = await renderDesired({ ...base, nodes: NODES });
  const cases: { name: string; over: Record<string, typeof down>; unknown: number }[] = [
    { name: "all down", over: { cp1: down, w1: down, w2: down }, unknown: 3 },
    { name: "one down", over: { w2: down }, unknown: 1 },
  ];
  for (const c of cases) {
    const text = formatPlan(assemblePlan(d, observedFrom(d, c.over), OPTS));
    assert.doesNotMatch(text, /No changes/, c.name);
    assert.match(text, new RegExp(`Plan incomplete: ${c.unknown} of 3 node\\(s\\) could not be observed`), c.name);
    assert.equal(text.match(/unreachable +unknown \(not observed\)/g)?.length, c.unknown, c.name);
  }
});

test("health: with every node unreachable no check is OK; per-node checks are UNKNOWN, not OK", () => {
  const obs = { nodes: ["10.0.0.11", "10.0.0.21"].map((node) => ({ node, unreachable: "connect ECONNREFUSED" })) };
  const results = clientHealthChecks(obs, ["10.0.0.11"]);
  assert.deepEqual(
    results.filter((r) => r.ok),
    [],
  );
  const text = formatHealth(results);
  assert.doesNotMatch(text, /^OK/m);
  for (const name of ["services up", "boot finished", "time synced"])
    assert.match(text, new RegExp(`^UNKNOWN  ${name}: 10\\.0\\.0\\.11: not checked \\(unreachable\\)`, "m"));
  for (const name of ["apid reachable on every node", "etcd healthy", "Kubernetes nodes Ready"])
    assert.match(text, new RegExp(`^FAIL  ${name}`, "m"));
});

test("plan: a factory installer gets a register-schematic step, serialised with the plan; --offline records it skipped", async () => {
  const schematic = { customization: { systemExtensions: { officialExtensions: ["siderolabs/util-linux-tools"] } } };
  const id = schematicId(schematic);
  const d0 = await renderDesired({
    ...base,
    nodes: NODES.map((n) =>
      n.hostname === "w1" ? { ...n, schematicId: id, extensions: ["siderolabs/util-linux-tools"] } : n,
    ),
  });
  const observed = observedFrom(await renderDesired({ ...base, nodes: NODES }));
  const d = {
    ...d0,
    imageFactory: {
      baseUrl: "https://factory.talos.dev",
      registry: "factory.talos.dev",
      schematicEndpoint: "/schematics",
    },
    nodes: d0.nodes.map((n) => (n.hostname === "w1" ? { ...n, schematicYaml: canonicalSchematicYaml(schematic) } : n)),
  };
  const p = assemblePlan(d, observed, OPTS);
  assert.deepEqual(
    p.prepare.map((r) => [r.type, r.schematicId, r.nodes, r.factory]),
    [["register-schematic", id, ["w1"], "https://factory.talos.dev"]],
  );
  assert.deepEqual(parsePlanJson(JSON.stringify(p)).prepare, p.prepare);
  assert.match(
    formatPlan(p),
    new RegExp(`register-schematic ${id.slice(0, 12)}… at https://factory.talos.dev: w1 installs`),
  );
  const offline = assemblePlan(d, observed, { ...OPTS, offline: true });
  assert.deepEqual(offline.prepare, []);
  assert.deepEqual(offline.offline, { skipped: [id] });
  assert.match(formatPlan(offline), /offline: not registering 1 schematic\(s\)/);
  // Older plans without `prepare` still read (as none).
  const { prepare: _, ...old } = p;
  assert.deepEqual(parsePlanJson(JSON.stringify(old)).prepare, []);
});
