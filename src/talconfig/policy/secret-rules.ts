/** The secrets bundle beside talconfig.yaml: SOPS-encrypted, with a .sops.yaml rule that encrypts every secret key. */
import YAML from "yaml";
import { join } from "node:path";
import { sopsRuleFromFile } from "./sops-rules.js";
import type { Diagnostic, SourcePosition } from "../../diagnostics/index.js";
import type { PolicyContext, PolicyRule } from "./types.js";

const SECRET_FILE_RE = /^talsecret.*\.(ya?ml|json)$/;
const PROBED_SECRET_FILES = ["talsecret.yaml", "talsecret.sops.yaml", "talsecret.yml", "talsecret.sops.yml"];

function secretFiles(ctx: PolicyContext): string[] {
  const names = ctx.files.list
    ? ctx.files.list(ctx.talconfigDir).filter((f) => SECRET_FILE_RE.test(f))
    : PROBED_SECRET_FILES.filter((f) => ctx.files.exists(join(ctx.talconfigDir, f)));
  return [...names].sort();
}

function isSopsEncryptedYaml(text: string): boolean {
  try {
    const doc = YAML.parse(text, { maxAliasCount: 100, logLevel: "silent" }) as unknown;
    const sops = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).sops : undefined;
    return (
      typeof sops === "object" && sops !== null && ("mac" in sops || "lastmodified" in sops) && text.includes("ENC[")
    );
  } catch {
    return false;
  }
}

export const secretsEncrypted: PolicyRule = {
  code: "secrets-encrypted",
  severity: "error",
  summary: "talsecret* files beside talconfig.yaml are SOPS-encrypted.",
  check(_loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const name of secretFiles(ctx)) {
      const file = join(ctx.talconfigDir, name);
      const text = ctx.files.read(file);
      if (text === undefined || isSopsEncryptedYaml(text)) continue;
      out.push({
        severity: this.severity,
        code: this.code,
        message: `${name} holds cluster secrets in plain text`,
        hint: `encrypt it before committing: sops --encrypt --in-place ${name}`,
        source: { file, line: 1, col: 1 },
      });
    }
    return out;
  },
};

/** Secret leaves of a Talos secrets bundle (the material SOPS must encrypt). */
export const BUNDLE_SECRET_PATHS: readonly (readonly string[])[] = [
  ["cluster", "secret"],
  ["secrets", "bootstraptoken"],
  ["secrets", "secretboxencryptionsecret"],
  ["trustdinfo", "token"],
  ["certs", "etcd", "key"],
  ["certs", "k8s", "key"],
  ["certs", "k8saggregator", "key"],
  ["certs", "k8sserviceaccount", "key"],
  ["certs", "os", "key"],
];

/** Whether SOPS would encrypt the value at `path` under a creation rule (a key anywhere on the path decides). */
export function sopsEncryptsPath(
  rule: { encryptedRegex?: string; unencryptedRegex?: string; encryptedSuffix?: string; unencryptedSuffix?: string },
  path: readonly string[],
): boolean {
  const anyKey = (pred: (k: string) => boolean) => path.some(pred);
  if (rule.encryptedRegex) {
    const re = new RegExp(rule.encryptedRegex);
    return anyKey((k) => re.test(k));
  }
  if (rule.unencryptedRegex) {
    const re = new RegExp(rule.unencryptedRegex);
    return !anyKey((k) => re.test(k));
  }
  if (rule.encryptedSuffix) return anyKey((k) => k.endsWith(rule.encryptedSuffix!));
  if (rule.unencryptedSuffix) return !anyKey((k) => k.endsWith(rule.unencryptedSuffix!));
  return true;
}

export const sopsCreationRule: PolicyRule = {
  code: "sops-creation-rule",
  severity: "error",
  summary:
    ".sops.yaml has a creation rule for each talsecret* file, and its encrypted_regex covers every secret key of the bundle.",
  check(_loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const name of secretFiles(ctx)) {
      const file = join(ctx.talconfigDir, name);
      const lookup = ctx.sopsCreationRuleFor
        ? { rule: ctx.sopsCreationRuleFor(file), config: undefined }
        : sopsRuleFromFile(file, ctx);
      const at: SourcePosition = lookup.config ?? { file, line: 1, col: 1 };
      if (!lookup.rule) {
        out.push({
          severity: this.severity,
          code: this.code,
          message: `no .sops.yaml creation rule matches ${name}`,
          hint: `add to .sops.yaml: creation_rules: [{path_regex: ${name.replace(/\./g, "\\\\.")}$, age: <recipient>}]`,
          source: at,
        });
        continue;
      }
      let uncovered: string[];
      try {
        uncovered = BUNDLE_SECRET_PATHS.filter((p) => !sopsEncryptsPath(lookup.rule!, p)).map((p) => p.join("."));
      } catch (e) {
        out.push({
          severity: this.severity,
          code: this.code,
          message: `the .sops.yaml rule for ${name} has an invalid regex: ${(e as Error).message}`,
          hint: "fix the regular expression",
          source: at,
        });
        continue;
      }
      if (uncovered.length > 0) {
        out.push({
          severity: this.severity,
          code: this.code,
          message: `the .sops.yaml rule for ${name} leaves secrets unencrypted: ${uncovered.join(", ")}`,
          hint: "drop encrypted_regex for talsecret files, or use one that matches the bundle's keys, e.g. ^(secret|bootstraptoken|secretboxencryptionsecret|aescbcencryptionsecret|token|key|crt)$",
          source: at,
        });
      }
    }
    return out;
  },
};

/** Every policy rule, in the order they are documented. */
