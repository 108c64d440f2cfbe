import { Encrypter } from "age-encryption";
import type { Diagnostic } from "../diagnostics/index.js";

/** Why `recipient` is not an age public key (the library's own parser decides), or undefined when it is one. */
export function ageRecipientProblem(recipient: string): string | undefined {
  try {
    new Encrypter().addRecipient(recipient);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export const RECIPIENT_HINT =
  "put your age public key there: `talform age keygen` prints it (or `age-keygen -y ~/.config/sops/age/keys.txt`)";

/**
 * Every `age:` recipient in a `.sops.yaml` text that is not an age public key (a placeholder such as
 * `age1-your-recipient-here` from an example), located at its line, so `validate` reports it before gensecret fails.
 */
export function sopsRecipientDiagnostics(text: string, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (/^\s*#/.test(line)) return;
    for (const m of line.matchAll(/\bage1[^\s,"'\]]*/g)) {
      const problem = ageRecipientProblem(m[0]);
      if (problem === undefined) continue;
      out.push({
        severity: "error",
        code: "sops-recipient",
        message: `"${m[0]}" is not an age public key (${problem})`,
        hint: RECIPIENT_HINT,
        source: { file, line: i + 1, col: m.index + 1 },
      });
    }
  });
  return out;
}
