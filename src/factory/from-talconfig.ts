import { isAlias, isMap, isNode, parseDocument, visit, type Document, type Node as YamlAstNode } from "yaml";
import { TalformError, type Diagnostic } from "../diagnostics/index.js";
import type { LoadedTalconfig, ResolvedNode } from "../talconfig/index.js";
import { outputFilename, substituteFileText } from "../talconfig/index.js";
import type { GencommandInput, GencommandNode } from "./gencommand.js";
import type { GenurlNode } from "./genurl.js";
import { schematicFromYamlNode, type Schematic } from "./schematic.js";
import type { ImageFactorySettings, MachineSpec } from "./urls.js";
import { schematicDiagnostics } from "./validate.js";

/**
 * The bridge from a loaded talconfig (src/talconfig) to the factory's inputs: per node its merged schematics, machine
 * spec, installer override and output filename, plus the cluster's `imageFactory` settings.
 *
 * Schematics are decoded from the YAML AST (not from the schema's plain values) so that scalars keep their source
 * text, as the factory's Go decoder sees them: `1.0` in an overlay option stays `1.0`, which changes the ID.
 */

/** One node as the factory commands see it. */
export interface TalconfigFactoryNode extends GenurlNode {
  readonly controlPlane: boolean;
  /** The node's machine config file name (talhelper `filenameTmpl`, default `<clusterName>-<hostname>.yaml`). */
  readonly filename: string;
  /** Document path of the schematic that applies (`nodes[1].schematic` or `worker.schematic`), when there is one. */
  readonly schematicPath?: string;
  readonly imageSchematicPath?: string;
}

export interface TalconfigFactoryView {
  readonly clusterName: string;
  /** Without a `v` prefix. */
  readonly kubernetesVersion: string;
  readonly settings: ImageFactorySettings;
  readonly nodes: readonly TalconfigFactoryNode[];
}

/**
 * The talconfig text as the schematic decoder must read it: with `${VAR}` references substituted from the env the
 * loader used (byte-level, as talhelper substitutes the whole file). Problems were already reported by the loader.
 */
export function substitutedTalconfigText(loaded: LoadedTalconfig, text: string, substitute = true): string {
  return substitute ? substituteFileText(text, loaded.path, loaded.env).text : text;
}

/** Where the node's value of a merged key is written: on the node, or in its group. */
function mergedKeyPath(node: ResolvedNode, key: "schematic" | "imageSchematic"): (string | number)[] | undefined {
  const origin = node.origin[key];
  if (origin === undefined || node[key] === undefined) return undefined;
  return origin === "node" ? ["nodes", node.index, key] : [node.controlPlane ? "controlPlane" : "worker", key];
}

const formatDocPath = (p: readonly (string | number)[]): string =>
  p.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

/** `nodes[1].schematic.customization.extraKernelArgs[0]` → `["nodes", 1, "schematic", …, 0]` (for the source map). */
function parseDocPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

/**
 * Decodes one schematic of the talconfig from its YAML node. A schematic the factory would reject becomes a located
 * `TalformError` (its message names the field).
 */
/**
 * talhelper decodes the talconfig with yaml.v3, which expands aliases, so `schematic: *common` (or an alias inside a
 * schematic) is the anchored value; the schematic decoder works on a copy with every alias replaced by its target.
 */
function withAliasesResolved(doc: Document, node: unknown): unknown {
  if (!isNode(node)) return node;
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (!target) return node;
  const copy = target.clone() as YamlAstNode;
  visit(copy, {
    Alias(_key, alias) {
      return alias.resolve(doc)?.clone() as YamlAstNode | undefined;
    },
  });
  return copy;
}

function decodeSchematic(doc: Document, path: (string | number)[], loaded: LoadedTalconfig): Schematic {
  const where = formatDocPath(path);
  try {
    return schematicFromYamlNode(withAliasesResolved(doc, doc.getIn(path, true)), where);
  } catch (e) {
    if (!(e instanceof TalformError)) throw e;
    const source = loaded.sourceMap?.positionOf(path);
    throw new TalformError(e.message, {
      diagnostics: e.diagnostics.map((d): Diagnostic => ({ ...d, path: where, ...(source ? { source } : {}) })),
    });
  }
}

/**
 * The factory view of a loaded talconfig. `text` is the talconfig after substitution (`substitutedTalconfigText`).
 * Throws a `TalformError` when the talconfig has errors (they are the loader's diagnostics).
 */
export function factoryViewFromTalconfig(loaded: LoadedTalconfig, text: string): TalconfigFactoryView {
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (loaded.config === undefined || errors.length > 0) {
    throw new TalformError(
      `${loaded.path} has ${errors.length} error${errors.length === 1 ? "" : "s"}; run \`talform validate\` for details`,
      {
        diagnostics:
          errors.length > 0
            ? errors
            : [{ severity: "error", code: "talconfig", message: `${loaded.path} is not a valid talconfig` }],
      },
    );
  }
  const config = loaded.config;
  const doc = parseDocument(text, { uniqueKeys: false });
  if (!isMap(doc.contents))
    throw new TalformError(`${loaded.path}: the substituted talconfig is not a mapping`, { code: "talconfig" });
  const nodes = loaded.nodes.map((n): TalconfigFactoryNode => {
    const schematicPath = mergedKeyPath(n, "schematic");
    const imageSchematicPath = mergedKeyPath(n, "imageSchematic");
    return {
      hostname: n.hostname,
      ipAddress: n.ipAddress,
      controlPlane: n.controlPlane,
      talosVersion: n.talosVersion,
      filename: outputFilename(n.filenameTmpl, { ...n, clusterName: config.clusterName }),
      ...(schematicPath
        ? { schematic: decodeSchematic(doc, schematicPath, loaded), schematicPath: formatDocPath(schematicPath) }
        : {}),
      ...(imageSchematicPath
        ? {
            imageSchematic: decodeSchematic(doc, imageSchematicPath, loaded),
            imageSchematicPath: formatDocPath(imageSchematicPath),
          }
        : {}),
      ...(n.talosImageURL ? { talosImageURL: n.talosImageURL } : {}),
      ...(n.machineSpec ? { machineSpec: n.machineSpec as MachineSpec } : {}),
    };
  });
  return {
    clusterName: config.clusterName,
    kubernetesVersion: config.kubernetesVersion.replace(/^v/, ""),
    settings: config.imageFactory ?? {},
    nodes,
  };
}

/**
 * Findings about the schematics of a talconfig for `talform validate`: a schematic the factory would reject (an
 * error: genurl and upgrades would fail) and `schematicDiagnostics` warnings, located in talconfig.yaml. A group
 * schematic is checked once, not once per node. `unknown-extension` is left to the `extension-name` policy rule
 * (which gets the same catalogue), so a name is reported once.
 */
export function talconfigSchematicDiagnostics(loaded: LoadedTalconfig, text: string): Diagnostic[] {
  if (loaded.config === undefined) return [];
  const doc = parseDocument(text, { uniqueKeys: false });
  const registryURL = loaded.config.imageFactory?.registryURL;
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const n of loaded.nodes) {
    for (const key of ["schematic", "imageSchematic"] as const) {
      const path = mergedKeyPath(n, key);
      if (!path) continue;
      const where = formatDocPath(path);
      if (seen.has(where)) continue;
      seen.add(where);
      const node = path[0] === "nodes" ? n.hostname : undefined;
      let schematic: Schematic;
      try {
        schematic = decodeSchematic(doc, path, loaded);
      } catch (e) {
        if (!(e instanceof TalformError)) throw e;
        out.push(
          ...e.diagnostics.map((d): Diagnostic => ({ ...d, code: "schematic-invalid", ...(node ? { node } : {}) })),
        );
        continue;
      }
      for (const d of schematicDiagnostics(schematic, {
        talosVersion: n.talosVersion,
        ...(registryURL ? { registryURL } : {}),
        ...(node ? { node } : {}),
        path: where,
      })) {
        if (d.code === "unknown-extension") continue;
        const source = d.path !== undefined ? loaded.sourceMap?.positionOf(parseDocPath(d.path)) : undefined;
        out.push({ ...d, ...(source ? { source } : {}) });
      }
    }
  }
  return out;
}

/** `gencommand` input from the factory view; `installerUrls` by hostname (needed for `upgrade`). */
export function gencommandInputFromView(
  view: TalconfigFactoryView,
  opts: { outDir: string; extraFlags?: readonly string[]; installerUrls?: ReadonlyMap<string, string> },
): GencommandInput {
  return {
    clusterName: view.clusterName,
    kubernetesVersion: view.kubernetesVersion,
    outDir: opts.outDir,
    extraFlags: opts.extraFlags ?? [],
    nodes: view.nodes.map((n): GencommandNode => {
      const url = opts.installerUrls?.get(n.hostname);
      return {
        hostname: n.hostname,
        ipAddress: n.ipAddress,
        controlPlane: n.controlPlane,
        filename: n.filename,
        ...(url === undefined ? {} : { installerUrl: url }),
      };
    }),
  };
}
