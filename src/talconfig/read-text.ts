import type { Diagnostic, SourcePosition } from "../diagnostics/index.js";
import { CODES } from "./codes.js";

/** Files bigger than this are refused: a talconfig is a few kilobytes, and YAML parsing is superlinear at worst. */
export const MAX_TALCONFIG_BYTES = 4 * 1024 * 1024;

/** Reads a text file for the loader; every problem (missing, directory, huge, binary, empty) becomes a located diagnostic. */
export async function readText(
  file: string,
  readFile: (p: string) => Promise<string>,
  diagnostics: Diagnostic[],
  required: boolean,
  optionalEmpty = false,
): Promise<string | undefined> {
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
      message:
        code === "ENOENT"
          ? `file not found: ${file}`
          : code === "EISDIR"
            ? `${file} is a directory, not a file`
            : `cannot read ${file}: ${(e as Error).message}`,
      hint:
        code === "ENOENT" ? "check the path (talform validate -c <talconfig.yaml>)" : "check the file's permissions",
      source: at,
    });
    return undefined;
  }
  if (text.length > MAX_TALCONFIG_BYTES) {
    diagnostics.push({
      severity: "error",
      code: CODES.unreadableFile,
      message: `${file} is too large (${text.length} bytes; the limit is ${MAX_TALCONFIG_BYTES})`,
      hint: "is this really a talconfig.yaml?",
      source: at,
    });
    return undefined;
  }
  const nul = text.indexOf("\u0000");
  if (nul >= 0 || text.includes("\uFFFD")) {
    diagnostics.push({
      severity: "error",
      code: CODES.unreadableFile,
      message: `${file} is not UTF-8 text (binary content)`,
      hint: "point talform at the YAML file",
      source: at,
    });
    return undefined;
  }
  if (required && !optionalEmpty && text.trim() === "") {
    diagnostics.push({
      severity: "error",
      code: CODES.invalidValue,
      message: `${file} is empty`,
      hint: "add clusterName, endpoint, kubernetesVersion and nodes",
      source: at,
    });
    return undefined;
  }
  return text;
}
