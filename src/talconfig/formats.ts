import { isIP, isIPv4 } from "node:net";

/**
 * Value formats talconfig.yaml checks. Small pure predicates so the zod schema, the policy rules and tests share them.
 */

/** node:net's isIP, without its IPv6 check for text without a colon (that check compiles a large regular expression). */
function ipFamily(text: string): number {
  if (text.includes(":")) return isIP(text);
  return isIPv4(text) ? 4 : 0;
}

export function isIpAddress(text: string): boolean {
  return ipFamily(text) !== 0;
}

/** `10.0.0.0/8`, `fd00::/64`; the prefix must fit the address family. */
export function isCidr(text: string): boolean {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return false;
  const ip = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return false;
  const family = ipFamily(ip);
  if (family === 0) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An interface address: an IP with an optional prefix (Talos accepts both). */
export function isIpOrCidr(text: string): boolean {
  return isIpAddress(text) || isCidr(text);
}

/** The address part of `10.0.0.5/24` (or the text itself when it has no prefix). */
export function addressOf(text: string): string {
  const slash = text.indexOf("/");
  return slash < 0 ? text : text.slice(0, slash);
}

// RFC 1123 labels, as talhelper checks hostnames (lowercase letters, digits, dashes; dots between labels).
const HOSTNAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function isHostname(text: string): boolean {
  return text.length <= 253 && HOSTNAME_RE.test(text);
}

// talhelper's domain check for `ipAddress` entries that are not IPs (it lets `1.2.3.4.5` through as a domain).
const DOMAIN_RE =
  /^([a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.?$/;

export function isDomain(text: string): boolean {
  return text.length <= 253 && DOMAIN_RE.test(text);
}

/** `v1.2.3`, `1.2.3-rc.1` — talhelper's `isSemVer`: exactly three numeric parts, optional pre-release. */
export function isSemVer(text: string): boolean {
  return /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(text);
}

/** `https://host:6443` — an http(s) URL with a host. */
export function isEndpointUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
}

/** Splits a comma-separated `ipAddress` into its trimmed, non-empty parts. */
export function splitIpAddresses(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(
        prev[j]! + 1,
        prev[j - 1]! + 1,
        diag + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

const LABEL_NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

export function isLabelValue(v: string): boolean {
  return v === "" || LABEL_NAME_RE.test(v);
}

export function isLabelKey(k: string): boolean {
  const slash = k.indexOf("/");
  if (slash < 0) return LABEL_NAME_RE.test(k);
  const prefix = k.slice(0, slash);
  return (
    prefix.length <= 253 &&
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(prefix) &&
    LABEL_NAME_RE.test(k.slice(slash + 1))
  );
}

export function isTemplated(v: string): boolean {
  return v.includes("{{") || v.includes("}}");
}

/** `value:NoSchedule` (value may be empty). */
export function isTaintValue(v: string): boolean {
  const colon = v.lastIndexOf(":");
  const effect = colon < 0 ? v : v.slice(colon + 1);
  const value = colon < 0 ? "" : v.slice(0, colon);
  return ["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect) && isLabelValue(value);
}
