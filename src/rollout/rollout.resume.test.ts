import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ApplyMode } from "../talosapi/index.js";
import {
  actionsByNode,
  converge,
  labelledNodes,
  startInstalledHarness,
  threeAndTwo,
  type SimHarness,
} from "./test-support.js";

// Interrupted and hand-touched rollouts, on 3 control planes + 2 workers (addresses 127.0.64.x). A file of its own
// (once part of rollout.safety.test.ts), so the two long sequences run beside the other safety tests.
const FIXTURE = threeAndTwo(64);
const NODES = FIXTURE.nodes;
const FAST = { rebootTimeoutMs: 1500, healthTimeoutMs: 1500 };

let h: SimHarness;
before(async () => {
  h = await startInstalledHarness(FIXTURE);
});
after(async () => {
  await h?.stop();
});

const labelled = (role: string) => labelledNodes(NODES, role);

test("killing apply at every step boundary and resuming reaches the same end state without redoing work", async () => {
  // Every node moves to another patch release and gets a label: upgrade + apply-config with drains, checks and gates.
  const desired = await h.render(labelled("e"), { talosVersion: "v1.13.9" });
  const plan = await h.plan(desired);
  assert.equal(
    Object.values(actionsByNode(plan))
      .flat()
      .filter((a) => a === "upgrade").length,
    5,
  );
  const upgrades: string[] = [];
  const stopWatch = h.fleet.watch(
    (e) => (e.stage === "upgrading" || e.stage === "rebooting") && upgrades.push(e.node.hostname),
  );
  h.events.length = 0;
  let resume = false;
  let kills = 0;
  for (;;) {
    let done = 0;
    try {
      const r = await h.apply(plan, desired, {
        ...FAST,
        resume,
        gate: async () => undefined,
        afterStep: () => {
          if (++done === 1) throw new Error("killed");
        },
      });
      assert.equal(r.ok, true, r.error);
      break;
    } catch (e) {
      assert.equal((e as Error).message, "killed");
      kills++;
      resume = true;
    }
  }
  stopWatch();
  const starts = h.events.filter((e) => e.type === "step-start").map((e) => (e as { step: string }).step);
  assert.equal(kills, starts.length, "one kill after every step");
  assert.equal(new Set(starts).size, starts.length, "a finished step was run again");
  assert.deepEqual(
    upgrades.sort(),
    ["cp1", "cp2", "cp3", "w1", "w2"],
    "a node rebooted more than once (an upgrade was redone)",
  );
  assert.deepEqual(actionsByNode(await h.plan(desired)), {});
});

test("a config staged by hand is seen (persistent ≠ active) and replaced by apply, before any reboot could activate it", async () => {
  // The release the previous test left the fleet on: converging only relabels (no upgrade round, ~8 s of this file).
  const desired = await h.render(labelled("g"), { talosVersion: "v1.13.9" });
  await converge(h, desired);
  const w2 = h.access.secure("127.0.64.12");
  const other = (await h.render(labelled("staged"), { talosVersion: "v1.13.9" })).nodes.find(
    (n) => n.hostname === "w2",
  )!.configText;
  const [r] = await w2.applyConfiguration(Buffer.from(other), { mode: ApplyMode.STAGED }, ["127.0.64.12"]);
  assert.equal(r?.error, undefined);
  const plan = await h.plan(desired);
  assert.deepEqual(actionsByNode(plan), { w2: ["apply-config"] });
  assert.match(plan.nodes.find((n) => n.hostname === "w2")!.actions[0]!.reason, /staged config/);
  await converge(h, desired);
  assert.equal(h.fleet.node("w2").stagedConfig, undefined);
});
