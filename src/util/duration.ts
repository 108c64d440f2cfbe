import { TalformError } from "../diagnostics/index.js";

/** Go-style durations as talosctl takes them: `20m`, `90s`, `1m30s`, `500ms`, `0`. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (text.trim() === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== text.length)
    throw new TalformError(`invalid duration "${text}"`, { code: "usage", hint: "write e.g. 30s, 5m or 1m30s" });
  return total;
}
