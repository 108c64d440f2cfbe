/**
 * Go's `time.ParseDuration` and `Duration.String`, which Talos's decode → encode round trip applies to every
 * `time.Duration` field (`5m` is written `5m0s`). Hand-written: no npm package reproduces Go's text form exactly
 * (its rounding-free fractional seconds and the µs/ms/ns forms below one second).
 */
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NS = (1n << 63n) - 1n;

/** Nanoseconds of a Go duration string, or undefined when Go would refuse it. */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  const part = /^([0-9]*)(?:\.([0-9]*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (s !== "") {
    const m = part.exec(s);
    if (!m || (m[1] === "" && (m[2] === undefined || m[2] === ""))) return undefined;
    const unit = UNIT_NS[m[3]!]!;
    const frac = m[2] ?? "";
    total += BigInt(m[1] || "0") * unit + (frac === "" ? 0n : (BigInt(frac) * unit) / 10n ** BigInt(frac.length));
    if (total > MAX_NS) return undefined;
    s = s.slice(m[0].length);
  }
  return neg ? -total : total;
}

/** `Duration.String()` of Go. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  const sign = neg ? "-" : "";
  if (u < 1_000_000_000n) {
    const [unit, div] = u < 1000n ? ["ns", 1n] : u < 1_000_000n ? ["µs", 1000n] : ["ms", 1_000_000n];
    return `${sign}${fraction(u, div as bigint)}${unit as string}`;
  }
  const h = u / 3_600_000_000_000n;
  const m = (u / 60_000_000_000n) % 60n;
  const secNs = u % 60_000_000_000n;
  const sec = `${fraction(secNs, 1_000_000_000n)}s`;
  if (h > 0n) return `${sign}${h}h${m}m${sec}`;
  if (m > 0n) return `${sign}${m}m${sec}`;
  return `${sign}${sec}`;
}

/** `v / div` with the remainder as decimal digits, trailing zeros dropped (Go's fmtFrac). */
function fraction(v: bigint, div: bigint): string {
  const whole = v / div;
  const rest = v % div;
  if (rest === 0n) return `${whole}`;
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}
