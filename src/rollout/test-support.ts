// Test-only: a simulated cluster for rollout tests — fleet, admin access, and plan/apply helpers.
import { makeTestBundle } from "../machineconfig/test-support.js";
import {
  assemblePlan,
  createClusterAccess,
  observeCluster,
  type ClusterAccess,
  type DesiredCluster,
  type Plan,
} from "../plan/index.js";
import { renderDesired, type ClusterFixture, type NodeFixture } from "../plan/test-support.js";
import { makeClientCert } from "../sim/certs.js";
import { startFleet, type Fleet, type FleetOptions } from "../sim/index.js";
import type { RolloutEvent } from "./events.js";
import { executePlan, type ExecuteOptions, type RolloutResult } from "./executor.js";
import { memoryJournal, type JournalStore, type RolloutJournal } from "./journal.js";

export const ENV = { TALFORM_LOOPBACK_ONLY: "1" };

export interface SimHarness {
  readonly fleet: Fleet;
  readonly access: ClusterAccess;
  readonly journal: JournalStore & { current: RolloutJournal };
  readonly events: RolloutEvent[];
  render(nodes: readonly NodeFixture[], over?: Partial<ClusterFixture>): Promise<DesiredCluster>;
  plan(desired: DesiredCluster): Promise<Plan>;
  planWith(desired: DesiredCluster, opts: { skipChecks?: boolean }): Promise<Plan>;
  apply(plan: Plan, desired: DesiredCluster, opts?: Partial<ExecuteOptions>): Promise<RolloutResult>;
  stop(): Promise<void>;
}

/**
 * Starts simulated nodes for `fixture` (each node's sim version/extensions are its fixture values), in maintenance
 * mode, with the Kubernetes API on the fixture's (loopback) endpoint.
 */
export async function startSimHarness(
  fixture: ClusterFixture,
  opts: {
    timeScale?: number;
    schematics?: Record<string, readonly string[]>;
    imageFactory?: FleetOptions["imageFactory"];
    imagePull?: FleetOptions["imagePull"];
  } = {},
): Promise<SimHarness> {
  const bundle = fixture.bundle ?? (await makeTestBundle());
  const schematics: Record<string, readonly string[]> = { ...opts.schematics };
  for (const n of fixture.nodes) if (n.schematicId) schematics[n.schematicId] ??= n.extensions ?? [];
  const fleet = await startFleet(
    {
      clusterName: fixture.clusterName ?? "demo",
      osCA: bundle.certs.os,
      kubernetesEndpoint: fixture.endpoint,
      schematics,
      nodes: fixture.nodes.map((n) => ({
        hostname: n.hostname,
        address: n.address,
        controlPlane: n.controlPlane,
        talosVersion: n.talosVersion ?? fixture.talosVersion,
        ...(n.schematicId ? { schematicId: n.schematicId } : {}),
        extensions: [...(n.extensions ?? [])],
      })),
    },
    {
      timeScale: opts.timeScale ?? 0.005,
      seed: 7,
      ...(opts.imageFactory ? { imageFactory: opts.imageFactory } : {}),
      ...(opts.imagePull ? { imagePull: opts.imagePull } : {}),
    },
  );
  const admin = await makeClientCert(bundle.certs.os, ["os:admin"]);
  const access = createClusterAccess({
    credentials: { ca: bundle.certs.os.crt, crt: admin.crt, key: admin.key },
    controlPlanes: fixture.nodes.filter((n) => n.controlPlane).map((n) => n.address),
    env: ENV,
    timeoutMs: 5000,
  });
  const journal = memoryJournal();
  const events: RolloutEvent[] = [];
  const targets = fixture.nodes.map((n) => ({
    hostname: n.hostname,
    address: n.address,
    controlPlane: n.controlPlane,
  }));
  const planWith = async (desired: DesiredCluster, opts: { skipChecks?: boolean }) => {
    const observed = await observeCluster(targets, access);
    return assemblePlan(desired, observed, {
      toolVersion: "test",
      now: new Date().toISOString(),
      lastApplied: (await journal.load()).applied,
      ...opts,
    });
  };
  return {
    fleet,
    access,
    journal,
    events,
    render: (nodes, over = {}) => renderDesired({ ...fixture, ...over, bundle, nodes }),
    plan: (desired) => planWith(desired, {}),
    planWith,
    apply: (plan, desired, o = {}) =>
      executePlan(plan, desired, {
        access,
        journal,
        report: (e) => events.push(e),
        pollMs: 5,
        rebootTimeoutMs: 5000,
        healthTimeoutMs: 5000,
        ...o,
      }),
    async stop() {
      access.close();
      await fleet.stop();
    },
  };
}

export function actionsByNode(plan: Plan): Record<string, string[]> {
  return Object.fromEntries(
    plan.nodes.filter((n) => n.actions.length > 0).map((n) => [n.hostname, n.actions.map((a) => a.type)]),
  );
}

/** Records, at every simulated stage change, how many control planes are down and whether etcd has quorum. */
export function watchInvariants(fleet: Fleet): {
  maxControlPlanesDown: number;
  quorumLost: string[];
  stop: () => void;
} {
  const state = { maxControlPlanesDown: 0, quorumLost: [] as string[], stop: () => {} };
  state.stop = fleet.watch((e) => {
    const down = fleet.nodes.filter((n) => n.controlPlane && n.config && n.stage !== "running").length;
    state.maxControlPlanesDown = Math.max(state.maxControlPlanesDown, down);
    if (!e.etcd.quorum)
      state.quorumLost.push(
        `${e.node.hostname} ${e.stage}: healthy ${e.etcd.healthy.join(",")} of ${e.etcd.members.join(",")}`,
      );
  });
  return state;
}

/** 3 control planes (127.0.S.1–3) + 2 workers (127.0.S.11–12) on Talos v1.13.8: the safety tests' cluster. */
export function threeAndTwo(subnet: number): ClusterFixture & { nodes: NodeFixture[] } {
  const at = (host: number) => `127.0.${subnet}.${host}`;
  return {
    endpoint: `https://${at(100)}:6443`,
    talosVersion: "v1.13.8",
    kubernetesVersion: "1.36.3",
    nodes: [
      { hostname: "cp1", address: at(1), controlPlane: true },
      { hostname: "cp2", address: at(2), controlPlane: true },
      { hostname: "cp3", address: at(3), controlPlane: true },
      { hostname: "w1", address: at(11), controlPlane: false },
      { hostname: "w2", address: at(12), controlPlane: false },
    ],
  };
}

/** `startSimHarness` with every node installed from maintenance mode by one apply. */
export async function startInstalledHarness(fixture: ClusterFixture): Promise<SimHarness> {
  const h = await startSimHarness(fixture);
  const d = await h.render(fixture.nodes);
  const r = await h.apply(await h.plan(d), d);
  if (!r.ok) {
    await h.stop();
    throw new Error(`installing the simulated cluster failed: ${r.error}`);
  }
  return h;
}

/** The nodes with one label, `role`, each: a config change on every node. */
export const labelledNodes = (nodes: readonly NodeFixture[], role: string): NodeFixture[] =>
  nodes.map((n) => ({ ...n, labels: { role } }));

/** Plans and applies `desired`; afterwards a new plan has nothing left to do. */
export async function converge(h: SimHarness, desired: DesiredCluster): Promise<void> {
  const r = await h.apply(await h.plan(desired), desired);
  if (!r.ok) throw new Error(`apply failed: ${r.error}`);
  const left = actionsByNode(await h.plan(desired));
  if (Object.keys(left).length > 0) throw new Error(`not converged: ${JSON.stringify(left)}`);
}
