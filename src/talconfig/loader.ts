import { readFile as fsReadFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { sortDiagnostics, type Diagnostic } from "../diagnostics/index.js";
import { CODES } from "./codes.js";
import { loadEnvFiles } from "./env-files.js";
import { checkFileRefs, checkModel, reportDeprecated } from "./model-checks.js";
import { anchorHolderKeys } from "./anchor-holders.js";
import { readText } from "./read-text.js";
import { resolveNodes } from "./resolve-nodes.js";
import { parseWithSchema } from "./schema-issues.js";
import { talconfigSchema } from "./schema.js";
import { knownKeysAt } from "./schema-walk.js";
import { simpleToJS } from "./simple-yaml.js";
import { substituteDocument, substituteSimple, unmaskDocument } from "./substitute-yaml.js";
import type { LoadedTalconfig, LoadTalconfigOptions } from "./types.js";
import { YamlSource } from "./yaml-source.js";

export { CODES } from "./codes.js";
export { MAX_TALCONFIG_BYTES } from "./read-text.js";
export { DEFAULT_ENV_FILES } from "./env-files.js";
export { fileRef } from "./model-checks.js";
export { normalizeTalosVersion } from "./resolve-nodes.js";
export { substituteFileText } from "./substitute-yaml.js";

// Aliases may not expand beyond this many nodes (the yaml package's guard against "billion laughs" documents).
const MAX_ALIASES = 100;

const defaultReadFile = (p: string) => fsReadFile(p, "utf8");

/**
 * Loads talconfig.yaml: reads the env files, parses with positions, substitutes variables, checks the schema and the
 * model rules, and resolves the nodes. Never throws for problems in the user's files: they are diagnostics.
 */
export async function loadTalconfig(options: LoadTalconfigOptions): Promise<LoadedTalconfig> {
  const readFile = options.readFile ?? defaultReadFile;
  const dir = dirname(resolve(options.path));
  const file = options.path;
  const diagnostics: Diagnostic[] = [];
  const env = new Map<string, string>();
  const empty = (envFiles: string[] = []): LoadedTalconfig => ({
    path: file,
    dir,
    config: undefined,
    nodes: [],
    diagnostics: sortDiagnostics(diagnostics),
    env,
    envFiles,
  });

  const text = await readText(file, readFile, diagnostics, true);
  if (text === undefined) return empty();

  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env.set(k, v);
  const envFiles = await loadEnvFiles(options, dir, readFile, env, diagnostics);

  const src = new YamlSource(file, text, { simple: true });
  const substituteEnv = (options.substitute ?? true) ? env : undefined;
  // Scalars whose substitution failed: their schema errors would only repeat the substitution error.
  const failed = new Set<unknown>();
  let data: unknown;
  if (src.simple && substituteSimple(src, substituteEnv)) {
    // The simple reading (no syntax errors, anchors or aliases; substitution succeeded). Should anything need the
    // yaml package's document later, it is brought to the same state (with nothing to report: it reads the same).
    data = simpleToJS(src.simple.root);
    src.whenParsed = (s) => {
      unmaskDocument(s);
      if (substituteEnv) substituteDocument(s, substituteEnv, [], new Set());
    };
  } else {
    src.dropSimple();
    const read = readDocument(src, substituteEnv, diagnostics, failed);
    if (read === undefined) return empty(envFiles);
    data = read;
  }

  const parsed = parseWithSchema(data, src, diagnostics, failed);
  reportDeprecated(parsed ?? data, src, diagnostics);
  checkModel(parsed ?? data, src, diagnostics);
  await checkFileRefs(parsed ?? data, src, dir, readFile, diagnostics);
  if (parsed === undefined) return finish({ ...empty(envFiles), raw: data }, src);
  const nodes = resolveNodes(parsed, src, dir);
  return finish({ path: file, dir, config: parsed, raw: data, nodes, diagnostics, env, envFiles }, src);
}

/** The yaml package's reading of the talconfig: syntax errors, masks, substitution, aliases and anchor holders. */
function readDocument(
  src: YamlSource,
  env: Map<string, string> | undefined,
  diagnostics: Diagnostic[],
  failed: Set<unknown>,
): unknown {
  for (const e of src.doc.errors) {
    diagnostics.push({
      severity: "error",
      code: e.code === "DUPLICATE_KEY" ? CODES.duplicateKey : CODES.yamlSyntax,
      message:
        e.code === "DUPLICATE_KEY"
          ? "duplicate key (YAML map keys must be unique)"
          : `YAML syntax error: ${e.message.split("\n")[0]}`,
      hint:
        e.code === "DUPLICATE_KEY"
          ? "remove or merge the repeated key"
          : e.code === "TAB_AS_INDENT"
            ? "indent with spaces, not tabs"
            : "fix the YAML syntax at this position",
      source: src.positionAt(e.pos[0]),
    });
  }
  if (src.doc.errors.length > 0) return undefined;

  unmaskDocument(src);
  if (env) substituteDocument(src, env, diagnostics, failed);

  let data: unknown;
  try {
    data = src.doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    diagnostics.push({
      severity: "error",
      code: CODES.yamlSyntax,
      message: `cannot read the YAML: ${(e as Error).message}`,
      hint: "expand the YAML aliases (*name); talform refuses documents whose aliases expand excessively",
      source: src.positionOf([]),
    });
    return undefined;
  }
  if (data === null || data === undefined) {
    diagnostics.push({
      severity: "error",
      code: CODES.invalidValue,
      message: "talconfig.yaml has no content",
      hint: "add clusterName, endpoint, kubernetesVersion and nodes",
      source: src.positionOf([]),
    });
    return undefined;
  }

  if (typeof data === "object" && !Array.isArray(data)) {
    for (const key of anchorHolderKeys(src.doc, knownKeysAt(talconfigSchema, []), src, diagnostics))
      delete (data as Record<string, unknown>)[key];
  }
  return data;
}

function finish(loaded: LoadedTalconfig, src: YamlSource): LoadedTalconfig {
  return {
    ...loaded,
    diagnostics: sortDiagnostics(loaded.diagnostics),
    sourceMap: { positionOf: (p) => src.positionOf(p) },
  };
}
