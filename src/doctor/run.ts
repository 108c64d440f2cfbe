import type { TalosClient } from "../talosapi/client.js";
import { toError } from "../talosapi/client.js";
import { diagnose, type LocalState } from "./checks/index.js";
import { collect } from "./collect.js";
import { clientHealthChecks, type HealthCheckResult } from "./health.js";
import type { ClusterObservation, ExpectedNode, Finding } from "./types.js";

export interface Target {
  readonly nodes: readonly string[];
  /** Control-plane addresses when talconfig says; otherwise learnt from each node's machine config. */
  readonly controlPlanes?: readonly string[];
  readonly expected: readonly ExpectedNode[];
}

export interface DoctorResult {
  readonly findings: readonly Finding[];
  readonly observation: ClusterObservation;
}

export async function runDoctor(
  client: TalosClient,
  target: Target,
  local: LocalState,
  env: Readonly<Record<string, string | undefined>>,
  now: Date,
): Promise<DoctorResult> {
  const observation = await collect(client, target.nodes, {
    logs: true,
    kubernetes: true,
    env,
    ...(target.controlPlanes ? { controlPlanes: target.controlPlanes } : {}),
  });
  return { findings: diagnose({ observation, expected: target.expected, local, now }), observation };
}

export interface HealthResult {
  readonly healthy: boolean;
  /** The node-side `ClusterService.HealthCheck` stream: its lines and, when it failed, why. */
  readonly nodeSide: { readonly node?: string; readonly lines: readonly string[]; readonly error?: string };
  readonly checks: readonly HealthCheckResult[];
}

export interface HealthOptions {
  readonly waitTimeoutMs: number;
  readonly pollMs?: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called with each node-side progress line as it arrives. */
  readonly onLine?: (line: string) => void;
}

const controlPlanesOf = (obs: ClusterObservation | undefined, target: Target): string[] => [
  ...(target.controlPlanes ??
    (obs?.nodes ?? []).filter((n) => n.machineType === "controlplane" || n.machineType === "init").map((n) => n.node)),
];

/**
 * `talform health`: the node-side HealthCheck (the node runs Talos's own checks and streams progress) on one control
 * plane, then the client-side checks, retried until they pass or the wait timeout is spent.
 */
export async function runHealth(client: TalosClient, target: Target, o: HealthOptions): Promise<HealthResult> {
  const deadline = Date.now() + o.waitTimeoutMs;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const opts = {
    kubernetes: true,
    env: o.env,
    ...(target.controlPlanes ? { controlPlanes: target.controlPlanes } : {}),
  };
  // Roles come from talconfig when given; otherwise from the nodes' machine configs (one extra round of questions).
  let obs: ClusterObservation | undefined = target.controlPlanes
    ? undefined
    : await collect(client, target.nodes, opts);
  let cps = controlPlanesOf(obs, target);
  let nodes = target.nodes;
  if (cps.length === 0 && obs) {
    // Only workers named: find the control planes through cluster discovery (Members), as Talos's own check does.
    cps = await discoverControlPlanes(client, obs);
    if (cps.length > 0) {
      nodes = [...new Set([...target.nodes, ...cps])];
      obs = await collect(client, nodes, { ...opts, controlPlanes: cps });
    }
  }
  const collectOpts = { ...opts, controlPlanes: cps };
  const candidates = obs ? cps.filter((cp) => obs!.nodes.some((n) => n.node === cp && !n.unreachable)) : cps;
  const lines: string[] = [];
  let via: string | undefined;
  let nodeSideError: string | undefined = "no reachable control-plane node to run the HealthCheck on";
  for (const cp of candidates) {
    via = cp;
    nodeSideError = undefined;
    try {
      const info = { controlPlaneNodes: cps, workerNodes: nodes.filter((n) => !cps.includes(n)) };
      for await (const line of client.healthCheck(cp, info, { waitTimeoutMs: Math.max(1000, deadline - Date.now()) })) {
        lines.push(line);
        o.onLine?.(line);
      }
      break;
    } catch (e) {
      nodeSideError = toError(e).message;
      // A control plane that is down cannot run the check; another one can. A check that failed is the answer.
      if (lines.length > 0 || !/unavailable|ECONNREFUSED|connect|timed? ?out/i.test(nodeSideError)) break;
    }
  }
  obs = await collect(client, nodes, collectOpts);
  let checks = clientHealthChecks(obs, cps);
  let lastProgress = 0;
  while (checks.some((c) => !c.ok) && Date.now() < deadline) {
    // Say what is being waited for (every 5 s): a silent wait of minutes looks like a hang.
    if (Date.now() - lastProgress >= 5000) {
      lastProgress = Date.now();
      const waiting = checks.filter((c) => !c.ok).map((c) => c.name);
      o.onLine?.(
        `waiting for: ${waiting.join(", ")} (${Math.ceil((deadline - Date.now()) / 1000)}s left of --wait-timeout)`,
      );
    }
    await sleep(Math.min(o.pollMs ?? 1000, Math.max(0, deadline - Date.now())));
    obs = await collect(client, nodes, collectOpts);
    checks = clientHealthChecks(obs, cps);
  }
  return {
    healthy: nodeSideError === undefined && checks.every((c) => c.ok),
    nodeSide: {
      ...(via ? { node: via } : {}),
      lines,
      ...(nodeSideError !== undefined ? { error: nodeSideError } : {}),
    },
    checks,
  };
}

/** Control-plane addresses from the `Members` resource (cluster discovery) of the first reachable node. */
async function discoverControlPlanes(client: TalosClient, obs: ClusterObservation): Promise<string[]> {
  const from = obs.nodes.find((n) => !n.unreachable);
  if (!from) return [];
  try {
    const members = await client.listResources(from.node, "cluster", "Members.cluster.talos.dev");
    return members
      .map((m) => m.spec as { machineType?: string; addresses?: string[] } | undefined)
      .filter((m) => m?.machineType === "controlplane" || m?.machineType === "init")
      .map((m) => String(m!.addresses?.[0] ?? ""))
      .filter(Boolean);
  } catch {
    return [];
  }
}
