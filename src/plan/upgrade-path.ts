import { compareTalosVersions, formatTalosVersion, parseTalosVersion, TALOS_MINORS } from "../contract/index.js";

/**
 * The Talos versions to upgrade through, `from` excluded, `to` included: the latest patch of every minor in
 * between, then the target (Talos supports upgrades by one minor at a time). Same-minor moves are one hop.
 */
export function upgradePath(from: string, to: string): { hops: string[] } | { error: string } {
  const f = parseTalosVersion(from);
  const t = parseTalosVersion(to);
  if (!f || !t) return { error: `cannot plan an upgrade from "${from}" to "${to}": not Talos versions` };
  const target = formatTalosVersion(t);
  if (f.major !== t.major) return { error: `upgrades across major versions (${from} → ${to}) are not supported` };
  if (t.minor < f.minor)
    return {
      error: `downgrading Talos across minor versions (${from} → ${to}) is not supported; pin talosVersion to ${from.replace(/\.\d+(-.*)?$/, "")}.x`,
    };
  if (compareTalosVersions(f, t) === 0) return { hops: [] };
  const hops: string[] = [];
  for (let minor = f.minor + 1; minor < t.minor; minor++) {
    const facts = TALOS_MINORS.find((m) => m.minor === `v${f.major}.${minor}`);
    if (!facts?.latestPatch)
      return { error: `no known release of Talos v${f.major}.${minor} to upgrade through (from ${from} to ${to})` };
    hops.push(facts.latestPatch);
  }
  hops.push(target);
  return { hops };
}
