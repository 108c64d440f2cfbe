import { basename } from "node:path";
import { TalformError, type Diagnostic } from "../diagnostics/index.js";

/** SOPS metadata: a top-level `sops:` key (YAML), `"sops":` (JSON) or `sops_` lines (dotenv). */
export function hasSopsMetadata(text: string): boolean {
  return /^sops:\s*$/m.test(text) || /"sops"\s*:/.test(text) || /^sops_\w+=/m.test(text);
}

/**
 * What a secrets file looks like before it is parsed, so a broken one is named for what it is rather than for the
 * first field that fails: SOPS values without the `sops:` block are a truncated or hand-cut file (an error); a
 * plaintext bundle is used, with a warning, because `talhelper gensecret > talsecret.sops.yaml` makes exactly that.
 */
export function secretsFileWarnings(text: string, path: string): Diagnostic[] {
  const name = basename(path);
  if (hasSopsMetadata(text)) return [];
  if (text.includes("ENC[AES256_GCM,")) {
    throw new TalformError(
      `${path} holds SOPS-encrypted values but no sops: metadata block: the file is truncated or was cut by hand`,
      {
        code: "secrets-truncated",
        hint: `restore it (git checkout -- ${name}, or the backup gensecret --force kept beside it)`,
      },
    );
  }
  if (text.trim() === "") {
    throw new TalformError(`${path} is empty`, {
      code: "secrets-empty",
      hint: "create the bundle with `talform gensecret` (it writes talsecret.sops.yaml encrypted)",
    });
  }
  const misnamed = /\.sops\./.test(name) ? ` although its name says .sops.` : "";
  return [
    {
      severity: "warning",
      code: "secrets-encrypted",
      message: `${path} is a plaintext secrets bundle${misnamed} (not SOPS-encrypted)`,
      hint: `encrypt it before committing: talform sops encrypt --in-place ${name}`,
      source: { file: path, line: 1, col: 1 },
    },
  ];
}
