import { existsSync } from "node:fs";
import { readFile as fsReadFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { TalformError, type Diagnostic } from "../diagnostics/index.js";
import type { PkiEnv } from "../pki/index.js";
import { parseSecretsBundle } from "../secrets/bundle.js";
import { hasSopsMetadata, secretsFileWarnings } from "../secrets/file-shape.js";
import { loadTalconfig, substituteFileText, type LoadedTalconfig, type SopsDecryptor } from "../talconfig/index.js";
import { TALFORM_VERSION } from "../version.js";
import {
  encodeFingerprint,
  FINGERPRINT_FILE,
  fingerprintChanges,
  generateCluster,
  sha256,
  type GeneratedCluster,
  type InputFingerprint,
} from "./cluster.js";
import { documentDiffs, gitignoreText, writeAllOrNothing, type OutputFile } from "./output.js";
import type { TalosMode } from "./render-node.js";

/** talhelper's secrets file names, in the order talform looks for them (the first that exists is used). */
export const DEFAULT_SECRETS_FILES = ["talsecret.sops.yaml", "talsecret.yaml", "talsecret.sops.yml", "talsecret.yml"];

export interface RunGenconfigOptions {
  readonly configPath: string;
  readonly outDir: string;
  /** Secrets file; default: the first of DEFAULT_SECRETS_FILES in `cwd`. */
  readonly secretsFile?: string;
  readonly envFiles?: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly decryptor?: SopsDecryptor;
  readonly mode?: TalosMode;
  readonly dryRun?: boolean;
  readonly gitignore?: boolean;
  readonly regenerateCert?: boolean;
  readonly crtTtlMs?: number;
  readonly pkiEnv?: PkiEnv;
}

export interface RunGenconfigResult {
  readonly generated: GeneratedCluster;
  /** Lines to print (what was written, or the dry-run diff). */
  readonly report: string;
  readonly written: readonly string[];
}

async function readDecrypted(path: string, decryptor: SopsDecryptor | undefined, what: string): Promise<string> {
  let text: string;
  try {
    text = await fsReadFile(path, "utf8");
  } catch {
    throw new TalformError(`${what} ${path} does not exist`, {
      code: "file-missing",
      hint: "check the path (relative paths are resolved against the talconfig folder)",
    });
  }
  if (decryptor) return decryptor.isEncrypted(text) ? decryptor.decrypt(text, path) : text;
  if (hasSopsMetadata(text)) {
    throw new TalformError(`${what} ${path} is SOPS-encrypted and no SOPS decryptor is available`, {
      code: "sops",
      hint: "decrypt it with sops first, or use a talform build with SOPS support",
    });
  }
  return text;
}

/** Every file the talconfig refers to (`@file` patches, machineFiles, inlineManifests; extraManifests paths), absolute. */
function referencedFiles(loaded: LoadedTalconfig): string[] {
  const out = new Set<string>();
  const at = (s: string | undefined) => {
    if (s?.startsWith("@")) out.add(isAbsolute(s.slice(1)) ? s.slice(1) : resolve(loaded.dir, s.slice(1)));
  };
  for (const node of loaded.nodes) {
    for (const p of node.patches) if (p.file) out.add(p.file);
    for (const f of node.machineFiles ?? []) at(f.content);
    for (const m of node.extraManifests ?? []) at(m.startsWith("@") ? m : `@${m}`); // talhelper adds the missing @
  }
  for (const m of loaded.config?.inlineManifests ?? []) at(m.contents);
  return [...out];
}

function findSecretsFile(opts: RunGenconfigOptions): string {
  if (opts.secretsFile) return resolve(opts.cwd, opts.secretsFile);
  const firstIn = (dir: string) =>
    DEFAULT_SECRETS_FILES.map((name) => resolve(dir, name)).find((path) => existsSync(path));
  const found = firstIn(opts.cwd);
  if (found) return found;
  // As with talhelper, the default is looked up in the current folder, not beside the talconfig: an explicit
  // `-c other/talconfig.yaml` whose bundle sits beside it gets the exact -s to pass rather than a bare "not found".
  const configDir = dirname(resolve(opts.cwd, opts.configPath));
  const besideConfig = configDir === resolve(opts.cwd) ? undefined : firstIn(configDir);
  const shown = (path: string) => relative(opts.cwd, path);
  throw new TalformError(
    `no secrets file found in the current folder (looked for ${DEFAULT_SECRETS_FILES.join(", ")})`,
    {
      code: "secrets-missing",
      hint: besideConfig
        ? `${shown(besideConfig)} is beside the talconfig: pass -s ${shown(besideConfig)}, or run from ${shown(configDir)} (the default is looked up in the current folder, as talhelper does)`
        : "create one with `talform gensecret --out talsecret.sops.yaml` (encrypted by your .sops.yaml rule), or pass -s <file>; talform never generates throwaway secrets",
    },
  );
}

/** The inputs' fingerprint: talform version, mode and the sha256 of every file genconfig read. */
export async function inputFingerprint(
  loaded: LoadedTalconfig,
  files: readonly string[],
  mode: string,
): Promise<InputFingerprint> {
  const inputs: Record<string, string> = {};
  for (const f of [resolve(loaded.path), ...loaded.envFiles.map((e) => resolve(e)), ...files]) {
    const rel = relative(loaded.dir, f);
    inputs[rel.startsWith("..") ? f : rel] = sha256(await fsReadFile(f));
  }
  return { talformVersion: TALFORM_VERSION, mode, inputs };
}

export interface RenderClusterOptions extends Omit<RunGenconfigOptions, "dryRun" | "gitignore"> {
  /** The talconfig, when the caller has loaded it already (it must have no errors). */
  readonly loaded?: LoadedTalconfig;
}

export interface RenderedCluster {
  readonly loaded: LoadedTalconfig;
  readonly generated: GeneratedCluster;
  readonly secretsPath: string;
  /** Every `@file` the talconfig refers to, as absolute paths. */
  readonly files: readonly string[];
  /** The output folder, absolute. */
  readonly outDir: string;
}

/** Loads and renders the cluster's configs in memory (the existing talosconfig's admin certificate is kept). */
export async function renderCluster(opts: RenderClusterOptions): Promise<RenderedCluster> {
  const mode = opts.mode ?? "metal";
  const loaded =
    opts.loaded ??
    (await loadTalconfig({
      path: opts.configPath,
      env: opts.env,
      ...(opts.decryptor ? { decryptor: opts.decryptor } : {}),
      ...(opts.envFiles && opts.envFiles.length > 0 ? { envFiles: opts.envFiles } : {}),
    }));
  const errors = loaded.diagnostics.filter((d) => d.severity === "error");
  if (!loaded.config || errors.length > 0) {
    throw new TalformError(`${basename(opts.configPath)} has errors; nothing was generated`, {
      code: "genconfig",
      diagnostics: errors,
    });
  }
  const secretsPath = findSecretsFile(opts);
  const secretsText = await readDecrypted(secretsPath, opts.decryptor, "secrets file");
  // Judged on the file as it is on disk: a truncated SOPS file is an error, a plaintext bundle a warning.
  const secretsWarnings = secretsFileWarnings((await readIfExists(secretsPath)) ?? "", secretsPath);
  const substituted = substituteFileText(secretsText, secretsPath, loaded.env);
  const subErr = substituted.diagnostics.find((d: Diagnostic) => d.severity === "error");
  if (subErr) throw new TalformError(subErr.message, { code: "envsubst" });
  const bundle = parseSecretsBundle(substituted.text, basename(secretsPath));

  const files = referencedFiles(loaded);
  const contents = new Map<string, string>();
  for (const f of files) contents.set(f, await readDecrypted(f, opts.decryptor, "file"));
  const readFile = (p: string): string => {
    const t = contents.get(p);
    if (t === undefined) throw new TalformError(`file ${p} was not loaded`, { code: "file-missing" });
    return t;
  };

  const outDir = resolve(opts.cwd, opts.outDir);
  const existingTalosconfig = await readIfExists(join(outDir, "talosconfig"));
  const generated = await generateCluster({
    loaded,
    bundle,
    mode,
    readFile,
    ...(existingTalosconfig !== undefined ? { existingTalosconfig } : {}),
    ...(opts.regenerateCert ? { regenerateCert: true } : {}),
    ...(opts.crtTtlMs !== undefined ? { crtTtlMs: opts.crtTtlMs } : {}),
    ...(opts.pkiEnv ? { pkiEnv: opts.pkiEnv } : {}),
  });
  return {
    loaded,
    generated: { ...generated, warnings: [...secretsWarnings, ...generated.warnings] },
    secretsPath,
    files,
    outDir,
  };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await fsReadFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Loads, renders and writes (or diffs) the cluster's configs. Nothing is written unless every node renders. */
export async function runGenconfig(opts: RunGenconfigOptions): Promise<RunGenconfigResult> {
  const { loaded, generated, secretsPath, files, outDir } = await renderCluster(opts);
  const existing = (name: string): Promise<string | undefined> => readIfExists(join(outDir, name));
  const display = (name: string) => relative(opts.cwd, join(outDir, name)) || name;

  if (opts.dryRun) {
    const out: string[] = [];
    for (const c of generated.configs) {
      const diffs = documentDiffs(await existing(c.name), c.text);
      if (diffs.length === 0) {
        out.push(`no changes found on ${display(c.name)}`);
        continue;
      }
      out.push(`--- ${display(c.name)} (node ${c.hostname})`);
      for (const d of diffs) out.push(`@@ ${d.id}`, ...d.lines);
    }
    return { generated, report: `${out.join("\n")}\n`, written: [] };
  }

  const fingerprint = await inputFingerprint(loaded, [...files, secretsPath], opts.mode ?? "metal");
  const outputs: OutputFile[] = [
    ...generated.configs.map((c) => ({ name: c.name, text: c.text, mode: 0o600 })),
    { name: "talosconfig", text: generated.talosconfig.text, mode: 0o600 },
    { name: FINGERPRINT_FILE, text: encodeFingerprint(fingerprint), mode: 0o600 },
  ];
  if (opts.gitignore !== false)
    outputs.push({
      name: ".gitignore",
      text: gitignoreText(await existing(".gitignore"), [...generated.configs.map((c) => c.name), "talosconfig"]),
      mode: 0o644,
    });
  await writeAllOrNothing(outDir, outputs);
  const lines = [
    ...generated.configs.map((c) => `generated config for ${c.hostname} in ${display(c.name)}`),
    `generated client config in ${display("talosconfig")}${generated.talosconfig.certificateIssued ? "" : " (kept the existing admin certificate)"}`,
    ...(opts.gitignore !== false ? [`generated .gitignore file in ${display(".gitignore")}`] : []),
  ];
  return { generated, report: `${lines.join("\n")}\n`, written: outputs.map((o) => o.name) };
}

/** For `validate`: is the clusterconfig older than its inputs? Returns the changes ("" list: fresh; undefined: never generated). */
export async function clusterconfigStaleness(loaded: LoadedTalconfig, outDir: string): Promise<string[] | undefined> {
  let recorded: InputFingerprint;
  try {
    recorded = JSON.parse(await fsReadFile(join(outDir, FINGERPRINT_FILE), "utf8")) as InputFingerprint;
  } catch {
    return undefined;
  }
  const current: Record<string, string> = {};
  for (const path of Object.keys(recorded.inputs)) {
    try {
      current[path] = sha256(await fsReadFile(isAbsolute(path) ? path : resolve(loaded.dir, path)));
    } catch {
      // gone: reported by fingerprintChanges
    }
  }
  const main = relative(loaded.dir, resolve(loaded.path));
  current[main] = sha256(await fsReadFile(loaded.path));
  return fingerprintChanges(recorded, { talformVersion: TALFORM_VERSION, mode: recorded.mode, inputs: current });
}
