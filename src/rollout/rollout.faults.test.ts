import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { canonicalSchematicYaml, schematicId, type FactoryHttp } from "../factory/index.js";
import type { DesiredCluster, KubeApi } from "../plan/index.js";
import type { NodeFixture } from "../plan/test-support.js";
import { SimImageFactory } from "../sim/index.js";
import { actionsByNode, startSimHarness, type SimHarness } from "./test-support.js";

// Faults around the Image Factory, the pre-pull, a failure after the cordon and Ctrl-C at every step, on one
// control plane and two workers (127.0.63.x). After each failure: no node is left cordoned (asked through the
// simulated Kubernetes API) and no node was touched after it (boot ids, versions, configs).
const BASE = ["siderolabs/iscsi-tools"];
const schematicOf = (extensions: readonly string[]) => ({
  customization: { systemExtensions: { officialExtensions: [...extensions] } },
});
const BASE_ID = schematicId(schematicOf(BASE));
const node = (hostname: string, address: string, controlPlane: boolean): NodeFixture => ({
  hostname,
  address,
  controlPlane,
  schematicId: BASE_ID,
  extensions: BASE,
});
const NODES = [node("cp1", "127.0.63.1", true), node("w1", "127.0.63.11", false), node("w2", "127.0.63.12", false)];
const FIXTURE = {
  endpoint: "https://127.0.63.100:6443",
  talosVersion: "v1.13.9",
  kubernetesVersion: "1.36.3",
  nodes: NODES,
};
const FAST = { rebootTimeoutMs: 2000, healthTimeoutMs: 2000 };

const http: FactoryHttp = async (url, init) => {
  const r = await fetch(url, {
    method: init.method,
    ...(init.body ? { body: init.body } : {}),
    ...(init.headers ? { headers: init.headers } : {}),
  });
  return { status: r.status, statusText: r.statusText, text: () => r.text() };
};

let h: SimHarness;
let factory: SimImageFactory;
let kube: KubeApi;
before(async () => {
  factory = new SimImageFactory();
  await factory.start("127.0.0.1", 0);
  factory.register(schematicOf(BASE)); // the machines booted this schematic's ISO
  h = await startSimHarness(FIXTURE, { imageFactory: factory });
  const d = await desiredWith("w1", BASE);
  const r = await h.apply(await h.plan(d), d, { factoryHttp: http });
  assert.equal(r.ok, true, r.error);
  const api = await h.access.kube();
  assert.ok(api, "the simulated Kubernetes API is not reachable");
  kube = api;
});
after(async () => {
  await h?.stop();
  await factory?.stop();
});

/** What each node runs after the tests so far (a test that converges a node records it here). */
const runs: Record<string, readonly string[]> = {};

/** The desired cluster with `host` running `extensions` (a schematic of its own); the others keep what they run. */
async function desiredWith(
  host: string,
  extensions: readonly string[],
  extra: Partial<NodeFixture> = {},
): Promise<DesiredCluster> {
  const nodes = NODES.map((n) => {
    const ext = n.hostname === host ? extensions : (runs[n.hostname] ?? BASE);
    return { ...n, ...(n.hostname === host ? extra : {}), schematicId: schematicId(schematicOf(ext)), extensions: ext };
  });
  const d = await h.render(nodes);
  return {
    ...d,
    imageFactory: { baseUrl: factory.url, registry: "factory.talos.dev", schematicEndpoint: "/schematics" },
    nodes: d.nodes.map((n) => ({
      ...n,
      schematicYaml: canonicalSchematicYaml(schematicOf(nodes.find((x) => x.hostname === n.hostname)!.extensions!)),
    })),
  };
}

const fleetState = () =>
  Object.fromEntries(
    h.fleet.nodes.map((n) => [
      n.hostname,
      `${n.bootId} ${n.talosVersion} ${n.visibleExtensions().join(",")} ${n.config?.text.length ?? 0}`,
    ]),
  );
async function cordoned(): Promise<string[]> {
  const out: string[] = [];
  for (const n of NODES) if ((await kube.node(n.hostname))?.unschedulable) out.push(n.hostname);
  return out;
}

test("an extension added to one worker: apply registers its schematic (GET 404, POST 201), upgrades that node only", async () => {
  const d = await desiredWith("w1", [...BASE, "siderolabs/util-linux-tools"]);
  const plan = await h.plan(d);
  // The installer image is part of the config too: the upgrade, then the (live) apply of the new install.image.
  assert.deepEqual(actionsByNode(plan), { w1: ["upgrade", "apply-config"] });
  assert.deepEqual(
    plan.prepare.map((p) => [p.type, p.nodes]),
    [["register-schematic", ["w1"]]],
  );
  const seen = factory.requests.length;
  const r = await h.apply(plan, d, { ...FAST, factoryHttp: http });
  assert.equal(r.ok, true, r.error);
  assert.deepEqual(
    factory.requests.slice(seen).map((q) => `${q.method} ${q.path.split("/")[1]} ${q.status}`),
    ["GET schematics 404", "POST schematics 201"],
  );
  assert.deepEqual(h.fleet.node("w1").visibleExtensions().sort(), [...BASE, "siderolabs/util-linux-tools"].sort());
  runs["w1"] = [...BASE, "siderolabs/util-linux-tools"];
  assert.deepEqual(actionsByNode(await h.plan(d)), {});
  assert.deepEqual(await cordoned(), []);
});

test("a factory that refuses the schematic, or is down, stops the rollout before any cordon; nothing is touched", async () => {
  for (const fault of ["refuse=all", "down"] as const) {
    const d = await desiredWith("w2", [...BASE, `siderolabs/${fault === "down" ? "gvisor" : "qemu-guest-agent"}`]);
    const plan = await h.plan(d);
    const before = fleetState();
    h.events.length = 0;
    await factory.fault(fault === "down" ? { kind: "down" } : { kind: "refuse", id: "all" });
    const r = await h.apply(plan, d, { ...FAST, factoryHttp: http });
    await factory.fault({ kind: "clear" });
    assert.equal(r.ok, false, `${fault}: ${JSON.stringify(plan.prepare)} ${JSON.stringify(actionsByNode(plan))}`);
    assert.equal(r.failedNode, "factory");
    assert.match(
      r.error!,
      fault === "down"
        ? /cannot reach the image factory.*no node was touched/
        : /refused POST .*400.*no node was touched/,
    );
    assert.deepEqual(fleetState(), before, `${fault}: a node was touched`);
    assert.deepEqual(await cordoned(), [], fault);
    assert.equal(
      h.events.filter((e) => e.type === "step-start" && e.node !== "factory" && e.step.startsWith("w2/")).length > 0,
      false,
    );
  }
});

test("--offline with a schematic the factory does not serve: the pre-pull fails and the node is not drained", async () => {
  const d = await desiredWith("w2", [...BASE, "siderolabs/zfs"]);
  const { assemblePlan, observeCluster } = await import("../plan/index.js");
  const observed = await observeCluster(d.nodes, h.access);
  const plan = assemblePlan(d, observed, { toolVersion: "test", now: new Date().toISOString(), offline: true });
  assert.deepEqual(plan.prepare, []);
  assert.equal(plan.offline?.skipped.length, 1);
  const before = fleetState();
  h.events.length = 0;
  const r = await h.apply(plan, d, { ...FAST, factoryHttp: http });
  assert.equal(r.ok, false);
  assert.match(r.error!, /cannot pull .*unknown to the image factory.*nothing was drained/);
  assert.deepEqual(
    h.events.filter((e) => e.type === "step-start").map((e) => (e as { step: string }).step),
    ["w2/pre-pull"],
  );
  assert.deepEqual(fleetState(), before);
  assert.deepEqual(await cordoned(), []);
  await h.journal.save({ ...h.journal.current, run: undefined });
});

test("apply fails after the cordon, before the reboot: talform uncordons the node and says so", async () => {
  // machine.env needs a reboot on 1.13 (apply-config mode reboot): the node is drained first.
  const d = await desiredWith("w1", [...BASE, "siderolabs/util-linux-tools"], {
    patch: "  env:\n    GODEBUG: x509sha1=1\n",
  });
  const plan = await h.plan(d);
  assert.deepEqual(actionsByNode(plan), { w1: ["apply-config"] });
  assert.equal(plan.nodes.find((n) => n.hostname === "w1")!.reboots, true);
  const before = fleetState();
  h.fleet.fault("w1", "apply-reject");
  h.events.length = 0;
  const r = await h.apply(plan, d, { ...FAST, factoryHttp: http });
  h.fleet.fault("w1", "clear");
  assert.equal(r.ok, false);
  assert.ok(
    h.events.some((e) => e.type === "step-done" && e.step === "w1/drain"),
    "w1 was not drained",
  );
  assert.ok(
    h.events.some((e) => e.type === "info" && /uncordoned w1: the rollout failed before it rebooted/.test(e.message)),
  );
  assert.deepEqual(await cordoned(), []);
  assert.deepEqual(fleetState(), before);
  assert.equal(h.journal.current.cordoned?.["w1"], undefined);
  // The resumed run drains it again before acting (the drain was undone), and finishes.
  const resumed = await h.apply(plan, d, { ...FAST, factoryHttp: http, resume: true });
  assert.equal(resumed.ok, true, resumed.error);
  assert.ok(
    h.events.some(
      (e) =>
        e.type === "step-done" &&
        e.step === "w1/drain" &&
        h.events.indexOf(e) > h.events.findIndex((x) => x.type === "rollout-start" && x.resumed),
    ),
  );
  assert.deepEqual(await cordoned(), []);
  const back = await desiredWith("w1", runs["w1"] ?? BASE); // without the env change again
  assert.equal((await h.apply(await h.plan(back), back, { ...FAST, factoryHttp: http })).ok, true);
});

test("Ctrl-C (a crash) after every step of an upgrade: --resume finishes it and no node stays cordoned", async () => {
  const sets = [
    [...BASE, "siderolabs/gvisor"],
    BASE,
    [...BASE, "siderolabs/qemu-guest-agent"],
    BASE,
    [...BASE, "siderolabs/gvisor"],
    BASE,
  ];
  const steps = ["factory/register", "w2/pre-pull", "w2/drain", "w2/1-upgrade", "w2/2-apply-config", "w2/verify"];
  for (const [i, stop] of steps.entries()) {
    const d = await desiredWith("w2", sets[i]!);
    const plan = await h.plan(d);
    assert.deepEqual(actionsByNode(plan), { w2: ["upgrade", "apply-config"] }, stop);
    const first = await h
      .apply(plan, d, {
        ...FAST,
        factoryHttp: http,
        afterStep: (id) => {
          if (id.startsWith(stop)) throw new Error(`interrupted after ${id}`);
        },
      })
      .then(
        () => "finished",
        (e: Error) => e.message,
      );
    // A schematic registered before is GET 200: its step is done without a POST and there is nothing to interrupt.
    if (first === "finished") assert.equal(stop, "factory/register", "a run was not interrupted");
    else {
      assert.match(first, new RegExp(`interrupted after ${stop}`));
      const r = await h.apply(plan, d, { ...FAST, factoryHttp: http, resume: true });
      assert.equal(r.ok, true, `${stop}: ${r.error}`);
    }
    assert.deepEqual(actionsByNode(await h.plan(d)), {}, stop);
    assert.deepEqual(await cordoned(), [], stop);
    assert.deepEqual(h.journal.current.cordoned ?? {}, {}, stop);
    runs["w2"] = sets[i]!;
  }
});
