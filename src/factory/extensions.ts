import catalogue from "./extensions-catalogue.json" with { type: "json" };
import { parseTalosVersion } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";

/** One official extension and the Talos minors the catalogue's sources show it in (see extensions-catalogue.json). */
export interface CatalogueEntry {
  readonly name: string;
  readonly minTalos: string | null;
  readonly maxTalos: string | null;
  readonly seenIn: readonly string[];
}

export const EXTENSION_CATALOGUE: readonly CatalogueEntry[] = catalogue.extensions;

/** A comparable number for the minor of a version (`v1.12.3` → 1012). */
function minorOf(version: string): number {
  const v = parseTalosVersion(version);
  if (!v)
    throw new TalformError(`"${version}" is not a Talos version`, {
      code: "talos-version",
      hint: "write it like v1.13.9",
    });
  return v.major * 1000 + v.minor;
}

/**
 * Names (`siderolabs/<name>`) of the official extensions known for a Talos version, or every name the catalogue
 * knows when no version is given. Unknown bounds count as "available", so a warning built on this set only fires
 * for names no source has ever listed or for names retired before that version.
 */
export function officialExtensions(talosVersion?: string): ReadonlySet<string> {
  if (talosVersion === undefined) return new Set(EXTENSION_CATALOGUE.map((e) => e.name));
  const minor = minorOf(talosVersion);
  return new Set(
    EXTENSION_CATALOGUE.filter(
      (e) =>
        (e.minTalos === null || minor >= minorOf(e.minTalos)) && (e.maxTalos === null || minor <= minorOf(e.maxTalos)),
    ).map((e) => e.name),
  );
}
