import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { Diagnostic } from "../diagnostics/index.js";
import { loadTalconfig } from "./loader.js";
import { loadTalformSettings, validateTalconfig, type PolicyContext } from "./policy/index.js";
import type { LoadedTalconfig, SopsDecryptor } from "./types.js";

/** Synchronous file access for policy rules, on the real file system. */
export function nodeFileAccess(): PolicyContext["files"] {
  return {
    exists: (p) => existsSync(p),
    read: (p) => {
      try {
        return statSync(p).isFile() ? readFileSync(p, "utf8") : undefined;
      } catch {
        return undefined;
      }
    },
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}

export interface ValidateOptions {
  readonly path: string;
  readonly envFiles?: readonly string[];
  readonly substitute?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly decryptor?: SopsDecryptor;
  /** Rule codes disabled on the command line, on top of `.talform.yaml`. */
  readonly disable?: readonly string[];
  readonly knownExtensions?: ReadonlySet<string>;
  readonly sopsCreationRuleFor?: PolicyContext["sopsCreationRuleFor"];
  readonly files?: PolicyContext["files"];
}

/** `talform validate` as a library call: the model findings, the settings findings and the policy findings. */
export async function runValidate(
  options: ValidateOptions,
): Promise<{ loaded: LoadedTalconfig; diagnostics: Diagnostic[] }> {
  const loaded = await loadTalconfig({
    path: options.path,
    ...(options.envFiles ? { envFiles: options.envFiles } : {}),
    ...(options.substitute !== undefined ? { substitute: options.substitute } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.decryptor ? { decryptor: options.decryptor } : {}),
  });
  const files = options.files ?? nodeFileAccess();
  const settings = loadTalformSettings(loaded.dir, files.read);
  const disabledRules = new Set([...settings.disabledRules, ...(options.disable ?? [])]);
  const policy = validateTalconfig(loaded, {
    talconfigDir: loaded.dir,
    files,
    disabledRules,
    ...(options.knownExtensions ? { knownExtensions: options.knownExtensions } : {}),
    ...(options.sopsCreationRuleFor ? { sopsCreationRuleFor: options.sopsCreationRuleFor } : {}),
  });
  return { loaded, diagnostics: [...loaded.diagnostics, ...settings.diagnostics, ...policy] };
}
