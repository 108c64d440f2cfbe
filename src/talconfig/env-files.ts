import { resolve } from "node:path";
import YAML from "yaml";
import type { Diagnostic } from "../diagnostics/index.js";
import { CODES } from "./codes.js";
import { readText } from "./read-text.js";
import type { LoadTalconfigOptions } from "./types.js";

/** talhelper's default env files, looked up beside talconfig.yaml. */
export const DEFAULT_ENV_FILES = ["talenv.yaml", "talenv.sops.yaml", "talenv.yml", "talenv.sops.yml"];

/**
 * Env files (`talenv.yaml`, `-e file`): `KEY=value` or `KEY: value` lines, as talhelper reads them with godotenv.
 * `---` document markers are dropped (talhelper issue #220). Hand-written: dotenv packages reject the `KEY: value`
 * form talhelper users rely on.
 */

export interface EnvLine {
  readonly key: string;
  readonly value: string;
  /** 1-based line of the definition. */
  readonly line: number;
}

export interface EnvParseProblem {
  readonly line: number;
  readonly message: string;
}

export function parseEnvFile(text: string): { entries: EnvLine[]; problems: EnvParseProblem[] } {
  const entries: EnvLine[] = [];
  const problems: EnvParseProblem[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed === "---" || trimmed === "...") continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=|:(?=\s|$))\s*(.*)$/.exec(trimmed);
    if (!m) {
      problems.push({ line: n + 1, message: `cannot read line ${n + 1}: expected KEY=value or KEY: value` });
      continue;
    }
    entries.push({ key: m[1]!, value: parseValue(m[2]!), line: n + 1 });
  }
  return { entries, problems };
}

function parseValue(text: string): string {
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    return end < 0 ? text.slice(1) : text.slice(1, end);
  }
  if (text.startsWith('"')) {
    let out = "";
    for (let i = 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === "\\" && i + 1 < text.length) {
        const e = text[++i]!;
        out += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e;
      } else if (c === '"') break;
      else out += c;
    }
    return out;
  }
  const hash = text.search(/\s#/);
  return (hash < 0 ? text : text.slice(0, hash)).trim();
}

/** SOPS metadata detection for env files when no decryptor is available: a top-level `sops` map or `sops_*=` lines. */
export function looksSopsEncrypted(text: string): boolean {
  if (/^sops_(mac|version|lastmodified)=/m.test(text)) return true;
  try {
    const doc = YAML.parse(text, { maxAliasCount: 10, uniqueKeys: false, logLevel: "silent" }) as unknown;
    return (
      typeof doc === "object" &&
      doc !== null &&
      !Array.isArray(doc) &&
      "sops" in doc &&
      typeof (doc as { sops: unknown }).sops === "object"
    );
  } catch {
    return false;
  }
}

/** Reads the env files into `env` (later files override earlier ones and the injected env); returns the files read. */
export async function loadEnvFiles(
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
        diagnostics.push({
          severity: "error",
          code: CODES.envFile,
          message: `cannot decrypt env file ${file}: ${(e as Error).message}`,
          hint: "check that your SOPS key (e.g. SOPS_AGE_KEY_FILE) can decrypt it",
          source: { file, line: 1, col: 1 },
        });
        continue;
      }
      // Decrypted YAML still carries no `sops:` map in practice; drop it if a decryptor left it in.
      text = text.replace(/^sops:\n(?:[ \t].*\n?)*/m, "");
    }
    const { entries, problems } = parseEnvFile(text);
    for (const p of problems)
      diagnostics.push({
        severity: "error",
        code: CODES.envFile,
        message: p.message,
        hint: "write one KEY=value or KEY: value per line",
        source: { file, line: p.line, col: 1 },
      });
    for (const e of entries) env.set(e.key, e.value);
  }
  return read;
}
