import type { Finding } from "../types.js";
import { configNotApplied, kubernetesNodeDrift, staleClusterconfig } from "./config.js";
import type { CheckContext } from "./context.js";
import { clientCertificate, secretsIdentity } from "./credentials.js";
import { gpuSetup, missingExtensions } from "./extensions.js";
import { network } from "./network.js";
import { failingServices, kubernetesApi } from "./services.js";
import { versionSkew } from "./versions.js";

export type { CheckContext, LocalState } from "./context.js";
export { configDifferences } from "./config.js";
export { LOGGED_SERVICES, LOG_LINES, serviceFailing } from "./services.js";

/** Every doctor check, in report order (the seed's guide: config, GPU/extensions, network, services, then the rest). */
export const CHECKS: readonly { readonly name: string; readonly run: (ctx: CheckContext) => Finding[] }[] = [
  { name: "config not applied", run: configNotApplied },
  { name: "clusterconfig stale", run: staleClusterconfig },
  { name: "kubernetes node labels/taints", run: kubernetesNodeDrift },
  { name: "system extensions", run: missingExtensions },
  { name: "GPU", run: gpuSetup },
  { name: "network and time", run: network },
  { name: "services", run: failingServices },
  { name: "kubernetes", run: kubernetesApi },
  { name: "talosconfig certificate", run: clientCertificate },
  { name: "secrets identity", run: secretsIdentity },
  { name: "version skew", run: versionSkew },
];

/** Unreachable nodes first (nothing else can be said about them), then every check's findings. */
export function diagnose(ctx: CheckContext): Finding[] {
  const unreachable: Finding[] = ctx.observation.nodes
    .filter((n) => n.unreachable)
    .map((n) => ({
      code: "node-unreachable",
      severity: "error",
      node: n.node,
      symptom: `${n.node}: the Talos API (apid, port 50000) does not answer`,
      evidence: [n.unreachable!],
      fix: `check that the node is powered on and reachable (\`talform version -n ${n.node}\`); a node in maintenance mode needs \`talform apply-config --insecure -n ${n.node} --file <config>\``,
    }));
  return [...unreachable, ...CHECKS.flatMap((c) => c.run(ctx))];
}
