import { TalformError } from "../diagnostics/index.js";
import {
  encodeTalosconfig,
  parseTalosconfig as parseTalosconfigFile,
  type Talosconfig,
} from "../machineconfig/talosconfig.js";

/**
 * The client side of talosconfig: parsing is src/machineconfig's (the one parser for the format; base64 PEM, the
 * deprecated `target`, strict types), context selection lives here. A file without `context:` is accepted, as by
 * talosctl, so `--context NAME` can pick one.
 */
export type { Talosconfig } from "../machineconfig/talosconfig.js";

/** One context, resolved for the client: endpoints and nodes as lists (empty when unset), PEM text. */
export interface TalosconfigContext {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly nodes: readonly string[];
  /** PEM text (decoded from base64); absent in contexts meant for maintenance-mode use only. */
  readonly ca?: string;
  readonly crt?: string;
  readonly key?: string;
}

const fail = (file: string, message: string, hint?: string): never => {
  throw new TalformError(`${file}: ${message}`, { code: "talosconfig", ...(hint ? { hint } : {}) });
};

export function parseTalosconfig(text: string, file = "talosconfig"): Talosconfig {
  return parseTalosconfigFile(text, file, { requireContext: false });
}

/** The named context, or the current one. */
export function selectContext(cfg: Talosconfig, file: string, name?: string): TalosconfigContext {
  const wanted = name ?? cfg.context;
  if (!wanted)
    return fail(file, "no current context is set", "pass --context NAME or set `context:` in the talosconfig");
  const ctx = cfg.contexts.get(wanted);
  if (!ctx)
    return fail(file, `context "${wanted}" is not defined (known: ${[...cfg.contexts.keys()].join(", ") || "none"})`);
  return {
    name: wanted,
    endpoints: ctx.endpoints,
    nodes: ctx.nodes ?? [],
    ...(ctx.ca ? { ca: ctx.ca } : {}),
    ...(ctx.crt ? { crt: ctx.crt } : {}),
    ...(ctx.key ? { key: ctx.key } : {}),
  };
}

/** Writes a talosconfig document (used by the simulator and tests to hand out client configs), as talosctl does. */
export function renderTalosconfig(
  name: string,
  ctx: { endpoints: readonly string[]; nodes: readonly string[]; ca: string; crt: string; key: string },
): string {
  return encodeTalosconfig({
    context: name,
    contexts: new Map([[name, { endpoints: ctx.endpoints, nodes: ctx.nodes, ca: ctx.ca, crt: ctx.crt, key: ctx.key }]]),
  });
}
