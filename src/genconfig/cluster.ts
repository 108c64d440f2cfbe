import { createHash } from "node:crypto";
import { contractFor, SUPPORTED_TALOS_RANGE } from "../contract/index.js";
import { TalformError, type Diagnostic } from "../diagnostics/index.js";
import { installerImageUrl, type FactoryNodeInput } from "../factory/index.js";
import {
  decodeMachineConfig,
  decodeMachineDocuments,
  generateTalosconfig,
  hasIndentationIndicator,
  parseTalosconfig,
  validateMachineConfig,
  type Talosconfig,
  type YamlMap,
} from "../machineconfig/index.js";
import type { PkiEnv } from "../pki/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";
import {
  kubernetesVersionFindings,
  outputFilename,
  type LoadedTalconfig,
  type ResolvedNode,
} from "../talconfig/index.js";
import { attributeToPatches } from "./patch-attribution.js";
import { renderNode, type TalosMode } from "./render-node.js";

export interface GenerateClusterInput {
  readonly loaded: LoadedTalconfig;
  readonly bundle: SecretsBundle;
  readonly mode?: TalosMode;
  /** Decrypted text of a file talconfig refers to (`@file`); throws when missing. */
  readonly readFile: (absPath: string) => string;
  /** The installer image of a node; default: talhelper's offline Image Factory URL (or `talosImageURL:<version>`). */
  readonly installImage?: (node: ResolvedNode) => string;
  /** The current talosconfig text: its admin certificate is kept while valid for more than 30 days. */
  readonly existingTalosconfig?: string;
  readonly regenerateCert?: boolean;
  readonly crtTtlMs?: number;
  readonly pkiEnv?: PkiEnv;
}

export interface GeneratedFile {
  /** File name inside the output folder. */
  readonly name: string;
  readonly text: string;
  /** The node it belongs to (machine configs). */
  readonly hostname?: string;
  /**
   * The documents `text` encodes, when it parses back to exactly them (every machine config but one with go-yaml's
   * indentation-indicator quirk): what a reader of the rendered config can use instead of parsing its text.
   */
  readonly documents?: readonly YamlMap[];
}

export interface GeneratedCluster {
  readonly configs: readonly GeneratedFile[];
  readonly talosconfig: GeneratedFile & { readonly certificateIssued: boolean };
  /** Warnings of the validation of the rendered configs. */
  readonly warnings: readonly Diagnostic[];
}

/** talhelper's default installer: `talosImageURL:<version>`, else the Image Factory URL of the node's schematic (offline ID). */
export function defaultInstallImage(loaded: LoadedTalconfig): (node: ResolvedNode) => string {
  // Nodes mostly share a schematic; its ID (canonical YAML + SHA-256) is computed once per distinct set of inputs.
  // Failures are not kept, so each node reports its own.
  const urls = new Map<string, string>();
  return (node) => {
    const key = JSON.stringify([node.talosImageURL, node.talosVersion, node.machineSpec, node.schematic]);
    let url = urls.get(key);
    if (url === undefined) {
      // The talconfig schema types overlay options as `unknown`; they are parsed YAML, which is what the factory hashes.
      url = installerImageUrl(node as unknown as FactoryNodeInput, loaded.config?.imageFactory ?? {});
      urls.set(key, url);
    }
    return url;
  };
}

/**
 * Renders every node and the talosconfig in memory. All-or-nothing: every node is rendered and validated (strict
 * per-version decode + Talos's validation for `mode`); if any fails, a TalformError lists every failure and nothing is
 * returned to be written.
 */
export async function generateCluster(input: GenerateClusterInput): Promise<GeneratedCluster> {
  const { loaded } = input;
  const config = loaded.config;
  if (!config || loaded.diagnostics.some((d) => d.severity === "error")) {
    throw new TalformError("talconfig has errors; run `talform validate` and fix them first", {
      code: "genconfig",
      diagnostics: loaded.diagnostics.filter((d) => d.severity === "error"),
    });
  }
  const incompatible = kubernetesVersionFindings(loaded);
  if (incompatible.length > 0)
    throw new TalformError(incompatible[0]!.message, { code: "genconfig", diagnostics: incompatible });
  const mode = input.mode ?? "metal";
  const installImage = input.installImage ?? defaultInstallImage(loaded);
  const failures: Diagnostic[] = [];
  // The talconfig's own warnings (a deprecated key, installDisk beside a selector, an anchor-holder key) say what the
  // rendered configs will do, so genconfig reports them as talhelper does.
  const warnings: Diagnostic[] = loaded.diagnostics.filter((d) => d.severity === "warning");
  const configs: GeneratedFile[] = [];
  const names = new Map<string, string>();
  for (const node of loaded.nodes) {
    try {
      const contract = contractFor(node.talosVersion);
      if (!contract)
        throw new TalformError(`Talos ${node.talosVersion} is not supported`, {
          code: "talos-version",
          hint: `use Talos ${SUPPORTED_TALOS_RANGE}`,
        });
      const name = outputFilename(node.filenameTmpl, { ...node, clusterName: config.clusterName });
      const other = names.get(name);
      if (other)
        throw new TalformError(`output file ${name} is also the file of node ${other}`, {
          code: "filename-template",
          hint: "make filenameTmpl include {{ .Hostname }}",
        });
      names.set(name, node.hostname);
      const rendered = renderNode(node, {
        config,
        bundle: input.bundle,
        contract,
        installImage,
        readFile: input.readFile,
        env: loaded.env,
        dir: loaded.dir,
        mode,
      });
      // The strict decode runs on the rendered documents, whose text parses back to them (see
      // hasIndentationIndicator for the one go-yaml encoding that does not). The text is decoded only then, or when
      // the documents have errors, so the diagnostics carry line numbers in the file as written.
      const roundtrips = !hasIndentationIndicator(rendered.text);
      const inMemory = roundtrips ? decodeMachineDocuments(rendered.documents, contract) : undefined;
      const decoded =
        inMemory && inMemory.errors.length === 0 ? inMemory : decodeMachineConfig(rendered.text, contract, name);
      const findings = [
        ...decoded.errors,
        ...validateMachineConfig(rendered.documents, contract, { mode, file: name }),
      ];
      for (const f of findings)
        (f.severity === "error" ? failures : warnings).push({
          ...attributeToPatches(f, rendered.patches),
          node: node.hostname,
        });
      configs.push({
        name,
        text: rendered.text,
        hostname: node.hostname,
        ...(roundtrips ? { documents: rendered.documents } : {}),
      });
    } catch (e) {
      if (!(e instanceof TalformError)) throw e;
      const ds =
        e.diagnostics.length > 0
          ? e.diagnostics
          : [{ severity: "error" as const, code: "genconfig", message: e.message }];
      for (const d of ds)
        failures.push({
          ...d,
          node: node.hostname,
          message: d.message.startsWith(`node ${node.hostname}`) ? d.message : `node ${node.hostname}: ${d.message}`,
        });
    }
  }
  if (failures.length > 0) {
    throw new TalformError(
      `genconfig failed for ${new Set(failures.map((f) => f.node)).size} node(s); nothing was written`,
      { code: "genconfig", diagnostics: failures },
    );
  }

  let existing: Talosconfig | undefined;
  if (input.existingTalosconfig !== undefined) {
    try {
      existing = parseTalosconfig(input.existingTalosconfig);
    } catch {
      existing = undefined; // an unreadable talosconfig is replaced
    }
  }
  const endpoints = loaded.nodes.filter((n) => n.controlPlane).flatMap((n) => n.ipAddresses);
  const tc = await generateTalosconfig(
    {
      bundle: input.bundle,
      clusterName: config.clusterName,
      endpoints,
      nodes: loaded.nodes.flatMap((n) => n.ipAddresses),
      ...(input.crtTtlMs !== undefined ? { ttlMs: input.crtTtlMs } : {}),
      ...(existing ? { existing } : {}),
      ...(input.regenerateCert ? { regenerate: true } : {}),
    },
    ...(input.pkiEnv ? [input.pkiEnv] : []),
  );
  return {
    configs,
    talosconfig: { name: "talosconfig", text: tc.text, certificateIssued: tc.certificateIssued },
    warnings,
  };
}

// ---- fingerprint -------------------------------------------------------------------------------------------------

export const FINGERPRINT_FILE = ".talform-inputs.json";

export interface InputFingerprint {
  readonly talformVersion: string;
  readonly mode: string;
  /** sha256 of every input file's bytes, by path relative to the talconfig folder (secrets: the file as stored). */
  readonly inputs: Readonly<Record<string, string>>;
}

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

export function encodeFingerprint(f: InputFingerprint): string {
  const inputs = Object.fromEntries(Object.entries(f.inputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify({ talformVersion: f.talformVersion, mode: f.mode, inputs }, null, 2)}\n`;
}

/** What changed between a recorded fingerprint and the current one (empty: clusterconfig is up to date). */
export function fingerprintChanges(recorded: InputFingerprint, current: InputFingerprint): string[] {
  const out: string[] = [];
  if (recorded.talformVersion !== current.talformVersion)
    out.push(`talform ${recorded.talformVersion} → ${current.talformVersion}`);
  if (recorded.mode !== current.mode) out.push(`mode ${recorded.mode} → ${current.mode}`);
  for (const [path, digest] of Object.entries(current.inputs)) {
    if (!(path in recorded.inputs)) out.push(`${path} is new`);
    else if (recorded.inputs[path] !== digest) out.push(`${path} changed`);
  }
  for (const path of Object.keys(recorded.inputs)) if (!(path in current.inputs)) out.push(`${path} is gone`);
  return out;
}
