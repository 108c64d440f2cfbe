import { parseDocument } from "yaml";
import { TalformError } from "../diagnostics/index.js";

/**
 * A minimal, read-only talosconfig reader (the client's needs only). Format (Talos `pkg/machinery/client/config`):
 * `context: NAME` and `contexts: {NAME: {endpoints, nodes, ca, crt, key}}` with base64-encoded PEM text.
 */
export interface TalosconfigContext {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly nodes: readonly string[];
  /** PEM text (decoded from base64); absent in contexts meant for maintenance-mode use only. */
  readonly ca?: string;
  readonly crt?: string;
  readonly key?: string;
}

export interface Talosconfig {
  readonly context?: string;
  readonly contexts: Readonly<Record<string, TalosconfigContext>>;
}

const fail = (file: string, message: string, hint?: string): never => {
  throw new TalformError(`${file}: ${message}`, { code: "talosconfig", ...(hint ? { hint } : {}) });
};

function stringList(v: unknown, file: string, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) return fail(file, `${where} must be a list of strings`);
  return v as string[];
}

function pem(v: unknown, file: string, where: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") return fail(file, `${where} must be a base64 string`);
  const text = Buffer.from(v, "base64").toString("utf8");
  if (!text.includes("-----BEGIN ")) return fail(file, `${where} is not base64-encoded PEM`);
  return text;
}

export function parseTalosconfig(text: string, file = "talosconfig"): Talosconfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) fail(file, doc.errors[0]!.message);
  const root = doc.toJS() as unknown;
  if (typeof root !== "object" || root === null || Array.isArray(root)) return fail(file, "expected a mapping with `context` and `contexts`");
  const r = root as Record<string, unknown>;
  const rawContexts = r["contexts"] ?? {};
  if (typeof rawContexts !== "object" || rawContexts === null || Array.isArray(rawContexts)) return fail(file, "`contexts` must be a mapping");
  const contexts: Record<string, TalosconfigContext> = {};
  for (const [name, raw] of Object.entries(rawContexts as Record<string, unknown>)) {
    const c = (raw ?? {}) as Record<string, unknown>;
    const ca = pem(c["ca"], file, `contexts.${name}.ca`);
    const crt = pem(c["crt"], file, `contexts.${name}.crt`);
    const key = pem(c["key"], file, `contexts.${name}.key`);
    contexts[name] = {
      name,
      endpoints: stringList(c["endpoints"], file, `contexts.${name}.endpoints`),
      nodes: stringList(c["nodes"], file, `contexts.${name}.nodes`),
      ...(ca ? { ca } : {}),
      ...(crt ? { crt } : {}),
      ...(key ? { key } : {}),
    };
  }
  const context = r["context"];
  if (context !== undefined && typeof context !== "string") fail(file, "`context` must be a string");
  return { ...(typeof context === "string" ? { context } : {}), contexts };
}

/** The named context, or the current one. */
export function selectContext(cfg: Talosconfig, file: string, name?: string): TalosconfigContext {
  const wanted = name ?? cfg.context;
  if (!wanted) return fail(file, "no current context is set", "pass --context NAME or set `context:` in the talosconfig");
  const ctx = cfg.contexts[wanted];
  if (!ctx) return fail(file, `context "${wanted}" is not defined (known: ${Object.keys(cfg.contexts).join(", ") || "none"})`);
  return ctx;
}

/** Writes a talosconfig document (used by the simulator and tests to hand out client configs). */
export function renderTalosconfig(name: string, ctx: { endpoints: readonly string[]; nodes: readonly string[]; ca: string; crt: string; key: string }): string {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  return [
    `context: ${name}`,
    "contexts:",
    `  ${name}:`,
    `    endpoints: [${ctx.endpoints.join(", ")}]`,
    `    nodes: [${ctx.nodes.join(", ")}]`,
    `    ca: ${b64(ctx.ca)}`,
    `    crt: ${b64(ctx.crt)}`,
    `    key: ${b64(ctx.key)}`,
    "",
  ].join("\n");
}
