import type { CliContext } from "../context.js";

/**
 * Without -n, kubeconfig goes to the first endpoint, as talosctl does, instead of
 * failing because the talosconfig context lists every node. Undefined when -n was given or there is one node anyway.
 */
export function endpointNode(
  ctx: CliContext,
  opts: { nodes?: readonly string[] },
  client: { readonly nodes: readonly string[]; readonly endpoints: readonly string[] },
): string | undefined {
  if (opts.nodes !== undefined || client.nodes.length <= 1) return undefined;
  const node = client.endpoints[0];
  if (node) ctx.stderr.write(`using the endpoint ${node} (pass -n to choose another control plane)\n`);
  return node;
}
