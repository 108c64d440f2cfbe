import { readFile as fsReadFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isScalar, visit, type Scalar } from "yaml";
import type { z } from "zod";
import { sortDiagnostics, type Diagnostic, type SourcePosition } from "../diagnostics/index.js";
import { DEFAULT_TALOS_VERSION } from "../contract/index.js";
import { substituteEnv } from "./envsubst.js";
import { looksSopsEncrypted, parseEnvFile } from "./env-files.js";
import { closest, isSemVer, splitIpAddresses } from "./formats.js";
import { mergeGroupIntoNode } from "./merge.js";
import { DEPRECATED_KEYS, talconfigSchema, type Talconfig } from "./schema.js";
import { knownKeysAt } from "./schema-walk.js";
import type { LoadedTalconfig, LoadTalconfigOptions, PatchRef, ResolvedNode } from "./types.js";
import { formatPath, YamlSource, type DocPath } from "./yaml-source.js";

/** Model finding codes (policy rules have named codes instead; see docs/validate.md). */
export const CODES = {
  yamlSyntax: "TF1001",
  duplicateKey: "TF1002",
  unknownKey: "TF1003",
  invalidValue: "TF1004",
  missingKey: "TF1005",
  duplicateNode: "TF1007",
  deprecatedKey: "TF1008",
  envUnset: "TF1010",
  envFile: "TF1011",
  unreadableFile: "TF1012",
  missingFileRef: "TF1013",
} as const;

/** Files bigger than this are refused: a talconfig is a few kilobytes, and YAML parsing is superlinear at worst. */
export const MAX_TALCONFIG_BYTES = 4 * 1024 * 1024;
const MAX_ALIASES = 100;
export const DEFAULT_ENV_FILES = ["talenv.yaml", "talenv.sops.yaml", "talenv.yml", "talenv.sops.yml"];

const defaultReadFile = (p: string) => fsReadFile(p, "utf8");

export async function loadTalconfig(options: LoadTalconfigOptions): Promise<LoadedTalconfig> {
  const readFile = options.readFile ?? defaultReadFile;
  const dir = dirname(resolve(options.path));
  const file = options.path;
  const diagnostics: Diagnostic[] = [];
  const env = new Map<string, string>();
  const empty = (envFiles: string[] = []): LoadedTalconfig => ({ path: file, dir, config: undefined, nodes: [], diagnostics: sortDiagnostics(diagnostics), env, envFiles });

  const text = await readText(file, readFile, diagnostics, true);
  if (text === undefined) return empty();

  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env.set(k, v);
  const envFiles = await loadEnvFiles(options, dir, readFile, env, diagnostics);

  const src = new YamlSource(file, text);
  for (const e of src.doc.errors) {
    diagnostics.push({
      severity: "error",
      code: e.code === "DUPLICATE_KEY" ? CODES.duplicateKey : CODES.yamlSyntax,
      message: e.code === "DUPLICATE_KEY" ? "duplicate key (YAML map keys must be unique)" : `YAML syntax error: ${e.message.split("\n")[0]}`,
      hint: e.code === "DUPLICATE_KEY" ? "remove or merge the repeated key" : e.code === "TAB_AS_INDENT" ? "indent with spaces, not tabs" : "fix the YAML syntax at this position",
      source: src.positionAt(e.pos[0]),
    });
  }
  if (src.doc.errors.length > 0) return empty(envFiles);

  // Scalars whose substitution failed: their schema errors would only repeat the substitution error.
  const failed = new Set<unknown>();
  if (options.substitute ?? true) substituteDocument(src, env, diagnostics, failed);

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
    return empty(envFiles);
  }
  if (data === null || data === undefined) {
    diagnostics.push({ severity: "error", code: CODES.invalidValue, message: "talconfig.yaml has no content", hint: "add clusterName, endpoint, kubernetesVersion and nodes", source: src.positionOf([]) });
    return empty(envFiles);
  }

  const parsed = parseWithSchema(data, src, diagnostics, failed);
  reportDeprecated(parsed ?? data, src, diagnostics);
  checkModel(parsed ?? data, src, diagnostics);
  await checkFileRefs(parsed ?? data, src, dir, readFile, diagnostics);
  if (parsed === undefined) return finish({ ...empty(envFiles), raw: data }, src);
  const nodes = resolveNodes(parsed, src, dir);
  return finish({ path: file, dir, config: parsed, raw: data, nodes, diagnostics, env, envFiles }, src);
}

function finish(loaded: LoadedTalconfig, src: YamlSource): LoadedTalconfig {
  return { ...loaded, diagnostics: sortDiagnostics(loaded.diagnostics), sourceMap: { positionOf: (p) => src.positionOf(p) } };
}

async function readText(file: string, readFile: (p: string) => Promise<string>, diagnostics: Diagnostic[], required: boolean, optionalEmpty = false): Promise<string | undefined> {
  const at: SourcePosition = { file, line: 1, col: 1 };
  let text: string;
  try {
    text = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (!required && code === "ENOENT") return undefined;
    diagnostics.push({
      severity: "error",
      code: CODES.unreadableFile,
      message: code === "ENOENT" ? `file not found: ${file}` : code === "EISDIR" ? `${file} is a directory, not a file` : `cannot read ${file}: ${(e as Error).message}`,
      hint: code === "ENOENT" ? "check the path (talform validate -c <talconfig.yaml>)" : "check the file's permissions",
      source: at,
    });
    return undefined;
  }
  if (text.length > MAX_TALCONFIG_BYTES) {
    diagnostics.push({ severity: "error", code: CODES.unreadableFile, message: `${file} is too large (${text.length} bytes; the limit is ${MAX_TALCONFIG_BYTES})`, hint: "is this really a talconfig.yaml?", source: at });
    return undefined;
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0 || text.includes("\uFFFD")) {
    diagnostics.push({ severity: "error", code: CODES.unreadableFile, message: `${file} is not UTF-8 text (binary content)`, hint: "point talform at the YAML file", source: at });
    return undefined;
  }
  if (required && !optionalEmpty && text.trim() === "") {
    diagnostics.push({ severity: "error", code: CODES.invalidValue, message: `${file} is empty`, hint: "add clusterName, endpoint, kubernetesVersion and nodes", source: at });
    return undefined;
  }
  return text;
}

async function loadEnvFiles(
  options: LoadTalconfigOptions,
  dir: string,
  readFile: (p: string) => Promise<string>,
  env: Map<string, string>,
  diagnostics: Diagnostic[],
): Promise<string[]> {
  const explicit = options.envFiles !== undefined;
  const files = explicit ? options.envFiles! : DEFAULT_ENV_FILES.map((f) => resolve(dir, f));
  const read: string[] = [];
  for (const file of files) {
    let text = await readText(file, readFile, diagnostics, explicit, true);
    if (text === undefined) continue;
    read.push(file);
    const encrypted = options.decryptor ? options.decryptor.isEncrypted(text) : looksSopsEncrypted(text);
    if (encrypted) {
      if (!options.decryptor) {
        diagnostics.push({
          severity: "error",
          code: CODES.envFile,
          message: `env file ${file} is SOPS-encrypted and this build has no SOPS support`,
          hint: "SOPS support is required to read it: use a talform build with SOPS, or pass a decrypted env file with -e",
          source: { file, line: 1, col: 1 },
        });
        continue;
      }
      try {
        text = await options.decryptor.decrypt(text, file);
      } catch (e) {
        diagnostics.push({ severity: "error", code: CODES.envFile, message: `cannot decrypt env file ${file}: ${(e as Error).message}`, hint: "check that your SOPS key (e.g. SOPS_AGE_KEY_FILE) can decrypt it", source: { file, line: 1, col: 1 } });
        continue;
      }
      // Decrypted YAML still carries no `sops:` map in practice; drop it if a decryptor left it in.
      text = text.replace(/^sops:\n(?:[ \t].*\n?)*/m, "");
    }
    const { entries, problems } = parseEnvFile(text);
    for (const p of problems) diagnostics.push({ severity: "error", code: CODES.envFile, message: p.message, hint: "write one KEY=value or KEY: value per line", source: { file, line: p.line, col: 1 } });
    for (const e of entries) env.set(e.key, e.value);
  }
  return read;
}

/** Substitutes every string scalar in place. Plain scalars are re-typed after substitution, as talhelper (which substitutes bytes) would. */
function substituteDocument(src: YamlSource, env: Map<string, string>, diagnostics: Diagnostic[], failed: Set<unknown>): void {
  visit(src.doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== "string" || !node.value.includes("$")) return;
      const { value, problems } = substituteEnv(node.value, env);
      if (problems.length > 0) failed.add(node);
      for (const p of problems) {
        const start = node.range?.[0] ?? 0;
        const end = node.range?.[1] ?? start;
        // Locate the reference in the raw source of this scalar (block scalars span several lines).
        const found = src.text.slice(start, end).indexOf(p.reference);
        diagnostics.push({
          severity: "error",
          code: CODES.envUnset,
          message: p.variable ? `${p.message} (used as ${p.reference})` : p.message,
          hint: p.variable ? `set ${p.variable} in the environment or a talenv.yaml (-e file), give a default with \${${p.variable}:-value}, or write $$ for a literal $` : "close the ${...} reference",
          source: src.positionAt(found >= 0 ? start + found : start),
        });
      }
      if (value === node.value) return;
      if (node.type === "PLAIN" || node.type === undefined) {
        const retyped = retypePlain(value);
        node.value = retyped;
      } else node.value = value;
    },
  });
}

function retypePlain(value: string): unknown {
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^[-+]?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

function parseWithSchema(data: unknown, src: YamlSource, diagnostics: Diagnostic[], failed: Set<unknown>): Talconfig | undefined {
  let result = talconfigSchema.safeParse(data);
  // talhelper decodes with yaml.v3 into Go strings, so `talosVersion: 1.13` or `ipAddress: 10` are strings there.
  // Give string fields the scalar's source text when YAML typed it as a number or bool, then re-check.
  if (!result.success) {
    let patched = false;
    for (const issue of result.error.issues) {
      if (issue.code !== "invalid_type" || issue.expected !== "string") continue;
      const node = src.nodeAt(issue.path as DocPath);
      if (isScalar(node) && (typeof node.value === "number" || typeof node.value === "boolean") && node.source !== undefined) {
        if (setAt(data, issue.path as DocPath, node.source)) patched = true;
      }
    }
    if (patched) result = talconfigSchema.safeParse(data);
  }
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    if (failed.has(src.nodeAt(issue.path as DocPath))) continue;
    diagnostics.push(...issueToDiagnostics(issue, src, data));
  }
  return undefined;
}

function setAt(root: unknown, path: DocPath, value: unknown): boolean {
  let cur = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) {
    const next = cur?.[seg];
    if (typeof next !== "object" || next === null) return false;
    cur = next as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]!] = value;
  return true;
}

function nodeNameFor(path: DocPath, data: unknown): string | undefined {
  if (path[0] !== "nodes" || typeof path[1] !== "number") return undefined;
  const n = (data as { nodes?: unknown[] }).nodes?.[path[1]] as { hostname?: unknown } | undefined;
  return typeof n?.hostname === "string" ? n.hostname : undefined;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(root: unknown, path: DocPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function issueToDiagnostics(issue: z.core.$ZodIssue, src: YamlSource, data: unknown): Diagnostic[] {
  const path = issue.path as DocPath;
  const node = nodeNameFor(path, data);
  const base = { severity: "error" as const, ...(node ? { node } : {}) };
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(talconfigSchema, path);
    return issue.keys.map((key) => {
      const suggestion = closest(key, known);
      const full = [...path, key];
      return {
        ...base,
        code: CODES.unknownKey,
        message: `unknown key "${key}"${suggestion ? ` — did you mean "${suggestion}"?` : ""}`,
        hint: suggestion ? `rename it to ${suggestion}` : `remove it; keys allowed here: ${known.join(", ")}`,
        path: formatPath(full),
        source: src.positionOf(full, true),
      };
    });
  }
  const actual = valueAt(data, path);
  if (issue.code === "invalid_type" && actual === undefined) {
    const key = path[path.length - 1];
    return [{ ...base, code: CODES.missingKey, message: `${String(key)} is required`, hint: `add ${formatPath(path)}`, path: formatPath(path), source: src.positionOf(path) }];
  }
  let message: string;
  if (issue.code === "invalid_type") message = `expected ${issue.expected === "object" ? "a map" : issue.expected === "array" ? "a list" : issue.expected}, got ${describe(actual)}`;
  else if (issue.code === "invalid_value") message = `${describe(actual)} is not allowed; expected one of: ${issue.values.map((v) => String(v)).join(", ")}`;
  else if (issue.code === "invalid_union") message = `${describe(actual)} is not a valid value here`;
  else if (issue.code === "custom") message = `${describe(actual)} ${issue.message}`;
  else message = issue.message;
  return [{ ...base, code: CODES.invalidValue, message, hint: `fix ${formatPath(path) || "the document"}`, path: formatPath(path), source: src.positionOf(path) }];
}

function reportDeprecated(data: unknown, src: YamlSource, diagnostics: Diagnostic[]): void {
  if (typeof data !== "object" || data === null) return;
  const d = data as Record<string, unknown>;
  const containers: DocPath[] = [[], ["controlPlane"], ["worker"]];
  if (Array.isArray(d.nodes)) d.nodes.forEach((_, i) => containers.push(["nodes", i]));
  for (const c of containers) {
    const obj = valueAt(data, c);
    if (typeof obj !== "object" || obj === null) continue;
    for (const [key, instead] of Object.entries(DEPRECATED_KEYS)) {
      if (!Object.hasOwn(obj, key)) continue;
      if (key === "allowSchedulingOnMasters" || key === "additionalMachineCertSans" ? c.length > 0 : c.length === 0) continue;
      const p = [...c, key];
      const node = nodeNameFor(p, data);
      diagnostics.push({ severity: "warning", code: CODES.deprecatedKey, message: `${key} is deprecated`, hint: instead, path: formatPath(p), source: src.positionOf(p, true), ...(node ? { node } : {}) });
    }
  }
}

// Model checks beyond the schema. They read the raw data defensively so they also run when the schema found
// errors elsewhere (all findings at once).
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Loose) : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function checkModel(data: unknown, src: YamlSource, diagnostics: Diagnostic[]): void {
  const config = obj(data) ?? {};
  const err = (path: DocPath, code: string, message: string, hint: string) => {
    const node = nodeNameFor(path, config);
    diagnostics.push({ severity: "error", code, message, hint, path: formatPath(path), source: src.positionOf(path), ...(node ? { node } : {}) });
  };
  const talosVersion = text(config.talosVersion);
  if (talosVersion !== undefined && !isSemVer(talosVersion)) {
    err(["talosVersion"], CODES.invalidValue, `talosVersion "${talosVersion}" is not a version`, `write a Talos release like ${DEFAULT_TALOS_VERSION}`);
  }
  const kubernetesVersion = text(config.kubernetesVersion);
  if (kubernetesVersion !== undefined && !isSemVer(kubernetesVersion)) {
    err(["kubernetesVersion"], CODES.invalidValue, `kubernetesVersion "${kubernetesVersion}" is not a version`, "write a Kubernetes release like v1.35.0");
  }
  const hostnames = new Map<string, number>();
  const ips = new Map<string, number>();
  list(config.nodes).forEach((raw, i) => {
    const n = obj(raw);
    if (!n) return;
    if (n.installDisk === undefined && n.installDiskSelector === undefined) {
      err(["nodes", i, "installDisk"], CODES.missingKey, "installDisk or installDiskSelector is required", "add installDisk: /dev/sda (or an installDiskSelector)");
    }
    if (n.installDisk !== undefined && n.installDiskSelector !== undefined) {
      err(["nodes", i, "installDiskSelector"], CODES.invalidValue, "installDisk and installDiskSelector are both set", "keep one of them");
    }
    const hostname = text(n.hostname);
    if (hostname !== undefined) {
      const prev = hostnames.get(hostname);
      if (prev !== undefined && n.ignoreHostname !== true) err(["nodes", i, "hostname"], CODES.duplicateNode, `hostname "${hostname}" is also used by nodes[${prev}]`, "give every node its own hostname");
      else hostnames.set(hostname, i);
    }
    for (const ip of splitIpAddresses(text(n.ipAddress) ?? "")) {
      const p = ips.get(ip);
      if (p !== undefined) err(["nodes", i, "ipAddress"], CODES.duplicateNode, `ipAddress ${ip} is also used by nodes[${p}]`, "give every node its own address");
      else ips.set(ip, i);
    }
  });
}

/** `@file` references (patches, machineFiles, inlineManifests, extraManifests) must point at files that exist. */
async function checkFileRefs(data: unknown, src: YamlSource, dir: string, readFile: (p: string) => Promise<string>, diagnostics: Diagnostic[]): Promise<void> {
  const config = obj(data) ?? {};
  const refs: { path: DocPath; file: string }[] = [];
  const add = (path: DocPath, value: unknown, implicitAt = false) => {
    if (typeof value !== "string") return;
    const f = fileRef(value, implicitAt);
    if (f) refs.push({ path, file: f });
  };
  list(config.patches).forEach((p, i) => add(["patches", i], p));
  list(config.inlineManifests).forEach((m, i) => add(["inlineManifests", i, "contents"], obj(m)?.contents));
  const groups: [DocPath, unknown][] = [[["controlPlane"], config.controlPlane], [["worker"], config.worker]];
  list(config.nodes).forEach((n, i) => groups.push([["nodes", i], n]));
  for (const [base, raw] of groups) {
    const g = obj(raw);
    if (!g) continue;
    list(g.patches).forEach((p, i) => add([...base, "patches", i], p));
    list(g.machineFiles).forEach((f, i) => add([...base, "machineFiles", i, "content"], obj(f)?.content));
    list(g.extraManifests).forEach((m, i) => add([...base, "extraManifests", i], m, true));
  }
  for (const r of refs) {
    const abs = resolve(dir, r.file);
    try {
      await readFile(abs);
    } catch {
      const node = nodeNameFor(r.path, config);
      diagnostics.push({
        severity: "error",
        code: CODES.missingFileRef,
        message: `referenced file ${r.file} does not exist (resolved to ${abs})`,
        hint: "@ paths are relative to the folder of talconfig.yaml",
        path: formatPath(r.path),
        source: src.positionOf(r.path),
        ...(node ? { node } : {}),
      });
    }
  }
}

/** The path of an `@file` entry, or undefined for inline content. `extraManifests` entries are paths even without `@`. */
export function fileRef(text: string, implicitAt = false): string | undefined {
  const t = text.trim();
  if (t.startsWith("@")) {
    const p = t.slice(1).trim();
    return p === "" || p.includes("\n") ? undefined : p;
  }
  return implicitAt && t !== "" && !t.includes("\n") ? t : undefined;
}

function resolveNodes(config: Talconfig, src: YamlSource, dir: string): ResolvedNode[] {
  const talosVersion = normalizeTalosVersion(config.talosVersion ?? DEFAULT_TALOS_VERSION);
  const kubernetesVersion = config.kubernetesVersion.replace(/^v/, "");
  const patchRef = (scope: PatchRef["scope"], path: DocPath, text: string): PatchRef => {
    const f = fileRef(text);
    return { scope, text, path: formatPath(path), source: src.positionOf(path), ...(f ? { file: isAbsolute(f) ? f : resolve(dir, f) } : {}) };
  };
  return config.nodes.map((n, i) => {
    const controlPlane = n.controlPlane === true;
    const groupKey = controlPlane ? "controlPlane" : "worker";
    const group = config[groupKey];
    const merged = mergeGroupIntoNode(n, group);
    const groupPatches = n.overridePatches ? [] : (group?.patches ?? []).map((p, j) => patchRef("group", [groupKey, "patches", j], p));
    const nodePatches = (n.patches ?? []).map((p, j) => patchRef("node", ["nodes", i, "patches", j], p));
    const globalPatches = (config.patches ?? []).map((p, j) => patchRef("global", ["patches", j], p));
    const { patches: _p, ...values } = merged.values;
    return {
      ...values,
      index: i,
      hostname: n.hostname,
      ipAddress: n.ipAddress,
      ipAddresses: splitIpAddresses(n.ipAddress),
      controlPlane,
      role: controlPlane ? "controlplane" : "worker",
      ...(n.installDisk !== undefined ? { installDisk: n.installDisk } : {}),
      ...(n.installDiskSelector !== undefined ? { installDiskSelector: n.installDiskSelector } : {}),
      ignoreHostname: n.ignoreHostname === true,
      talosVersion,
      kubernetesVersion,
      patches: [...groupPatches, ...nodePatches, ...globalPatches],
      origin: merged.origin,
      source: src.positionOf(["nodes", i]),
    } satisfies ResolvedNode;
  });
}

/** talhelper adds a missing `v` prefix. */
export function normalizeTalosVersion(v: string): string {
  return v.startsWith("v") ? v : `v${v}`;
}

/**
 * Substitutes `${VAR}` references in a file talconfig.yaml points at (a patch file after templating, or `@file`
 * content of machineFiles/inlineManifests without `skipEnvsubst`), with the env of the talconfig. talhelper strips
 * YAML comments first; talform leaves whole-line `#` comments untouched instead (so it also works for non-YAML files).
 */
export function substituteFileText(text: string, file: string, env: ReadonlyMap<string, string>): { text: string; diagnostics: Diagnostic[] } {
  const vars = new Map(env);
  const diagnostics: Diagnostic[] = [];
  const lines = text.split("\n");
  const out = lines.map((line, i) => {
    if (/^\s*#/.test(line) || !line.includes("$")) return line;
    const { value, problems } = substituteEnv(line, vars);
    for (const p of problems) {
      diagnostics.push({
        severity: "error",
        code: CODES.envUnset,
        message: p.variable ? `${p.message} (used as ${p.reference})` : p.message,
        hint: p.variable ? `set ${p.variable} in the environment or a talenv.yaml, or write $$ for a literal $` : "close the ${...} reference",
        source: { file, line: i + 1, col: p.offset + 1 },
      });
    }
    return value;
  });
  return { text: out.join("\n"), diagnostics };
}
