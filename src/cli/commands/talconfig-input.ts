import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { TalformError, type Diagnostic } from "../../diagnostics/index.js";
import type { LoadedTalconfig, SopsCreationRuleView, SopsDecryptor } from "../../talconfig/index.js";
import type { TalconfigFactoryView } from "../../factory/index.js";
import type { CliContext } from "../context.js";

/**
 * Loading a talconfig for the commands that generate from it (genurl, gencommand, schematic show, sim up): env files,
 * SOPS decryption, substitution, then the factory view. Shared so every command reads talconfig.yaml the same way.
 */

export interface TalconfigInputOptions {
  readonly config: string;
  /** Env files as given on the command line (relative to the cwd); empty = talhelper's defaults beside the talconfig. */
  readonly envFile?: readonly string[];
  readonly substitute?: boolean;
}

/** The SOPS decryptor for talenv.sops.yaml and secrets, bound to the command's environment (SOPS_AGE_KEY_FILE, …). */
export async function sopsDecryptor(ctx: CliContext): Promise<SopsDecryptor> {
  const { createSopsDecryptor } = await import("../../sops/index.js");
  return createSopsDecryptor(ctx.env);
}

/**
 * The `.sops.yaml` creation rule lookup for the secrets policy rules, with sops's own semantics (found by walking up
 * from the talconfig's folder, RE2 path regexes). Undefined when there is no `.sops.yaml`: the policy reports that.
 */
export async function sopsCreationRuleLookup(
  talconfigDir: string,
): Promise<((path: string) => SopsCreationRuleView | null) | undefined> {
  const { findSopsConfig, creationRuleFor } = await import("../../sops/index.js");
  const config = await findSopsConfig(talconfigDir, { readFile: (p) => readFile(p, "utf8") }).catch(() => undefined);
  // A rule with keys talform cannot use (pgp, kms, …) makes `creationRuleFor` throw; the policy's own reader of
  // .sops.yaml only looks at the selectors, so let it handle such configs.
  if (!config || config.creationRules.some((r) => r.unsupported)) return undefined;
  return (path) => {
    try {
      return creationRuleFor(config, path) ?? null;
    } catch {
      return null; // an invalid path_regex: sops cannot match it either
    }
  };
}

/** Recipients in the `.sops.yaml` that governs `talconfigDir` that are not age public keys (e.g. an example's placeholder). */
export async function sopsRecipientFindings(talconfigDir: string): Promise<Diagnostic[]> {
  const { findSopsConfig, sopsRecipientDiagnostics } = await import("../../sops/index.js");
  const texts = new Map<string, string>();
  const read = async (p: string) => {
    const text = await readFile(p, "utf8");
    texts.set(p, text);
    return text;
  };
  const config = await findSopsConfig(talconfigDir, { readFile: read }).catch(() => undefined);
  if (!config) return [];
  return sopsRecipientDiagnostics(texts.get(config.path) ?? "", config.path);
}

/** Loads talconfig.yaml; throws a `TalformError` carrying the loader's errors when it has any. */
export async function loadTalconfigForCommand(ctx: CliContext, opts: TalconfigInputOptions): Promise<LoadedTalconfig> {
  const { loadTalconfig } = await import("../../talconfig/index.js");
  const loaded = await loadTalconfig({
    path: resolve(ctx.cwd, opts.config),
    env: ctx.env,
    ...(opts.substitute === false ? { substitute: false } : {}),
    ...(opts.envFile && opts.envFile.length > 0 ? { envFiles: opts.envFile.map((f) => resolve(ctx.cwd, f)) } : {}),
    decryptor: await sopsDecryptor(ctx),
  });
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || loaded.config === undefined) {
    throw new TalformError(`${opts.config} is not valid`, {
      diagnostics:
        errors.length > 0
          ? errors
          : [
              {
                severity: "error",
                code: "talconfig",
                message: `${opts.config} is not a valid talconfig`,
                hint: "run `talform validate` for details",
              },
            ],
    });
  }
  return loaded;
}

/** The talconfig's nodes and image factory settings as the factory functions take them. */
export async function loadFactoryView(
  ctx: CliContext,
  opts: TalconfigInputOptions,
): Promise<{ loaded: LoadedTalconfig; view: TalconfigFactoryView }> {
  const loaded = await loadTalconfigForCommand(ctx, opts);
  const { factoryViewFromTalconfig, substitutedTalconfigText } = await import("../../factory/index.js");
  const text = await readFile(loaded.path, "utf8");
  return {
    loaded,
    view: factoryViewFromTalconfig(loaded, substitutedTalconfigText(loaded, text, opts.substitute !== false)),
  };
}
