import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { stringify } from "yaml";
import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { CliContext } from "./context.js";
import { TalosClient, type NodeResult } from "../talosapi/client.js";
import { parseTalosconfig, selectContext } from "../talosapi/talosconfig.js";
import type { NodeCommandOptions } from "./node-options.js";

/** The talosconfig path by precedence: flag, ./clusterconfig/talosconfig, $TALOSCONFIG, ~/.talos/config. */
export function resolveTalosconfigPath(ctx: CliContext, flag?: string): string | undefined {
  if (flag) return isAbsolute(flag) ? flag : resolve(ctx.cwd, flag);
  const local = join(ctx.cwd, "clusterconfig", "talosconfig");
  if (existsSync(local)) return local;
  const fromEnv = ctx.env["TALOSCONFIG"];
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(ctx.cwd, fromEnv);
  const home = ctx.env["HOME"];
  if (home && existsSync(join(home, ".talos", "config"))) return join(home, ".talos", "config");
  return undefined;
}

export async function clientFromOptions(ctx: CliContext, o: NodeCommandOptions): Promise<TalosClient> {
  if (o.insecure) {
    const nodes = o.nodes ?? [];
    if (nodes.length === 0)
      throw new TalformError("--insecure needs the node addresses: pass -n/--nodes", {
        code: "usage",
        hint: "e.g. talform apply-config --insecure -n 127.0.10.1 --file clusterconfig/node.yaml",
      });
    return new TalosClient({
      endpoints: [],
      nodes,
      credentials: { kind: "maintenance", ...(o.certFingerprint ? { fingerprint: o.certFingerprint } : {}) },
      env: ctx.env,
    });
  }
  const path = resolveTalosconfigPath(ctx, o.talosconfig);
  if (!path) {
    throw new TalformError("no talosconfig found", {
      code: "talosconfig",
      hint: "generate one (talform genconfig writes ./clusterconfig/talosconfig), pass --talosconfig, or set TALOSCONFIG",
    });
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new TalformError(`cannot read talosconfig ${path}: ${(e as Error).message}`, { code: "talosconfig" });
  }
  const c = selectContext(parseTalosconfig(text, path), path, o.context);
  if (!c.ca || !c.crt || !c.key) {
    throw new TalformError(`${path}: context "${c.name}" has no ca/crt/key`, {
      code: "talosconfig",
      hint: "use --insecure for nodes in maintenance mode",
    });
  }
  const endpoints = o.endpoints ?? c.endpoints;
  const nodes = o.nodes ?? (c.nodes.length > 0 ? c.nodes : endpoints);
  if (endpoints.length === 0)
    throw new TalformError(`${path}: context "${c.name}" has no endpoints`, {
      code: "talosconfig",
      hint: "pass -e/--endpoints",
    });
  if (nodes.length === 0) throw new TalformError("no nodes to talk to", { code: "usage", hint: "pass -n/--nodes" });
  return new TalosClient({
    endpoints,
    nodes,
    credentials: { kind: "mtls", ca: c.ca, crt: c.crt, key: c.key },
    env: ctx.env,
  });
}

export function outputFormat(o: NodeCommandOptions): "table" | "json" | "yaml" {
  return o.json ? "json" : (o.output ?? "table");
}

/** Renders rows as an aligned table (talosctl style), or JSON/YAML. */
export function render(
  ctx: CliContext,
  o: NodeCommandOptions,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  data: unknown,
): void {
  const format = outputFormat(o);
  if (format === "json") {
    ctx.stdout.write(
      JSON.stringify(
        data,
        (_k, v: unknown) =>
          typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
        2,
      ) + "\n",
    );
    return;
  }
  if (format === "yaml") {
    ctx.stdout.write(
      stringify(JSON.parse(JSON.stringify(data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))),
    );
    return;
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("   ")
      .trimEnd();
  ctx.stdout.write([line(headers), ...rows.map(line)].join("\n") + "\n");
}

/** Prints per-node errors to stderr and sets exit code 1 when any node failed. Returns the successful results. */
export function reportNodeErrors<T>(ctx: CliContext, results: readonly NodeResult<T>[]): { node: string; value: T }[] {
  const ok: { node: string; value: T }[] = [];
  for (const r of results) {
    if (r.error) {
      ctx.stderr.write(`error: ${r.error.message}\n`);
      ctx.exitCode = 1;
    } else ok.push({ node: r.node, value: r.value as T });
  }
  return ok;
}

/** Runs `fn` with a client and always closes it. */
export async function withClient<T>(
  ctx: CliContext,
  o: NodeCommandOptions,
  fn: (client: TalosClient) => Promise<T>,
): Promise<T> {
  const client = await clientFromOptions(ctx, o);
  try {
    return await fn(client);
  } catch (e) {
    // Network and node failures are the user's to act on (wrong address, node down, not authorized); programming
    // errors (TypeError, …) stay internal errors.
    if (e instanceof TalformError || e instanceof TypeError || e instanceof ReferenceError || !(e instanceof Error))
      throw e;
    throw new TalformError(e.message, {
      code: "talos-api",
      cause: e,
      hint: "check the node address, that it is up, and the talosconfig (endpoints, CA, roles)",
    });
  } finally {
    client.close();
  }
}

/** One node only (bootstrap, kubeconfig …), like talosctl's `FailIfMultiNodes`. */
export function singleNode(client: TalosClient, what: string): string {
  if (client.nodes.length !== 1) {
    throw new TalformError(
      `${what} runs against exactly one node, got ${client.nodes.length} (${client.nodes.join(", ")})`,
      { code: "usage", exitCode: ExitCode.usage, hint: "pass -n/--nodes with a single control-plane address" },
    );
  }
  return client.nodes[0]!;
}
