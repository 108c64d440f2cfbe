import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { TalformError } from "../diagnostics/index.js";
export { parseDuration } from "../util/duration.js";
import type { CliContext } from "./context.js";
import { createSopsDecryptor } from "../sops/index.js";
import { loadTalconfig, type LoadedTalconfig, type SopsDecryptor } from "../talconfig/index.js";
import { expectedNodes } from "../doctor/expect.js";
import type { Target } from "../doctor/run.js";

export interface TargetOptions {
  config?: string;
  nodes?: string[];
}

/**
 * Which nodes to look at: `-c talconfig.yaml` (or ./talconfig.yaml when present) gives every node with its role and
 * expectations; `-n` narrows to those hostnames/addresses (or names nodes outright without a talconfig); with neither,
 * the talosconfig context's nodes.
 */
export async function resolveTarget(
  ctx: CliContext,
  o: TargetOptions,
): Promise<{ target: Target | undefined; talconfig?: LoadedTalconfig }> {
  const path = o.config
    ? resolve(ctx.cwd, o.config)
    : existsSync(resolve(ctx.cwd, "talconfig.yaml"))
      ? resolve(ctx.cwd, "talconfig.yaml")
      : undefined;
  if (!path) return { target: o.nodes ? { nodes: o.nodes, expected: [] } : undefined };
  const talconfig = await loadTalconfig({ path, env: ctx.env, decryptor: createSopsDecryptor({ ...ctx.env }) });
  const errors = talconfig.diagnostics.filter((d) => d.severity === "error");
  if (!talconfig.config || errors.length > 0) {
    throw new TalformError(`${o.config ?? "talconfig.yaml"} has errors; doctor needs a valid talconfig`, {
      code: "talconfig",
      diagnostics: errors,
      hint: `run talform validate -c ${o.config ?? "talconfig.yaml"}`,
    });
  }
  const all = expectedNodes(talconfig);
  let expected = all;
  if (o.nodes) {
    const unknown = o.nodes.filter((n) => !expected.some((e) => e.hostname === n || e.address === n));
    expected = expected.filter((e) => o.nodes!.includes(e.hostname) || o.nodes!.includes(e.address));
    if (unknown.length > 0 && expected.length === 0) return { target: { nodes: o.nodes, expected: [] }, talconfig };
  }
  return {
    target: {
      nodes: expected.map((e) => e.address),
      controlPlanes: all.filter((e) => e.controlPlane).map((e) => e.address),
      expected,
    },
    talconfig,
  };
}

/**
 * genconfig's render of every node (in memory: nothing is written), keyed by hostname. Any failure (no secrets file,
 * no age key, a patch error) becomes a note and doctor falls back to the files in clusterconfig/.
 */
export async function renderForDoctor(
  ctx: CliContext,
  talconfig: LoadedTalconfig,
  decryptor: SopsDecryptor,
  secretsFile?: string,
): Promise<{ renderNode?: (hostname: string) => Promise<string>; note?: string }> {
  const { renderCluster } = await import("../genconfig/index.js");
  try {
    const result = await renderCluster({
      configPath: talconfig.path,
      outDir: "clusterconfig",
      cwd: talconfig.dir,
      env: ctx.env,
      decryptor,
      ...(secretsFile ? { secretsFile: resolve(ctx.cwd, secretsFile) } : {}),
    });
    const byHost = new Map(result.generated.configs.filter((c) => c.hostname).map((c) => [c.hostname!, c.text]));
    return {
      renderNode: async (hostname) => {
        const text = byHost.get(hostname);
        if (text === undefined) throw new Error(`genconfig rendered no config for ${hostname}`);
        return text;
      },
    };
  } catch (e) {
    return {
      note: `configs not rendered (${(e as Error).message}); comparing with the files in clusterconfig/ instead`,
    };
  }
}
