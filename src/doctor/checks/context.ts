import type { ClusterObservation, ExpectedNode, NodeObservation } from "../types.js";

/** Local files doctor compares with the cluster (all optional: a check without its input is skipped). */
export interface LocalState {
  /** The talconfig path as the user gave it (for fix commands). */
  readonly talconfigPath?: string;
  /** Rendered machine config per hostname: from genconfig's renderer, or `clusterconfig/<file>` from disk. */
  readonly renderedConfigs?: ReadonlyMap<string, { readonly text: string; readonly file: string }>;
  /** Generated files older than the inputs they were rendered from (`file`, `newer input`). */
  readonly staleFiles?: readonly { readonly file: string; readonly newerInput: string }[];
  /** The talosconfig in use: path, client certificate and CA (PEM). */
  readonly talosconfig?: { readonly path: string; readonly crt?: string; readonly ca?: string };
  /** The OS CA certificate of the local secrets bundle. */
  readonly secrets?: { readonly file: string; readonly osCaCrt: string };
  /** Inputs doctor could not use (e.g. an encrypted secrets file without an age key), printed as notes. */
  readonly notes?: readonly string[];
}

export interface CheckContext {
  readonly observation: ClusterObservation;
  /** From talconfig, when one is given. */
  readonly expected: readonly ExpectedNode[];
  readonly local: LocalState;
  readonly now: Date;
}

/** The expected entry of an observed node (by address, then hostname). */
export function expectedFor(ctx: CheckContext, n: NodeObservation): ExpectedNode | undefined {
  return (
    ctx.expected.find((e) => e.address === n.node) ??
    ctx.expected.find((e) => n.hostname !== undefined && e.hostname === n.hostname)
  );
}

/** How a finding names a node: `cp1 (10.0.0.11)` when the hostname is known. */
export function nodeLabel(n: NodeObservation, e?: ExpectedNode): string {
  const host = n.hostname ?? e?.hostname;
  return host && host !== n.node ? `${host} (${n.node})` : n.node;
}

export const reachable = (ctx: CheckContext): NodeObservation[] => ctx.observation.nodes.filter((n) => !n.unreachable);

/** `-c talconfig.yaml` for fix commands when the user gave one. */
export function cFlag(ctx: CheckContext): string {
  return ctx.local.talconfigPath ? ` -c ${ctx.local.talconfigPath}` : "";
}
