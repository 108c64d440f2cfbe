import { DEFAULT_TALOS_VERSION } from "../contract/index.js";

/**
 * Which Talos version a new secrets bundle is made for. The bundle format depends on it (secretbox from 1.3, an
 * RSA service-account key from 1.7, a standard-base64 cluster id from 1.14: the predicates in `src/contract`), so
 * `gensecret` follows the cluster's talconfig.yaml unless `--talos-version` says otherwise.
 */
export interface BundleVersionChoice {
  readonly version: string;
  readonly from: "flag" | "talconfig" | "default";
  /** The talconfig the version was read from, or that sets none (with `from: "default"`). */
  readonly file?: string;
}

/** `--talos-version` wins; then talconfig.yaml's `talosVersion`; then talhelper's default. */
export function chooseBundleVersion(
  flag: string | undefined,
  talconfig: { readonly file: string; readonly talosVersion: string | undefined } | undefined,
): BundleVersionChoice {
  if (flag !== undefined) return { version: flag, from: "flag" };
  if (talconfig?.talosVersion !== undefined)
    return { version: talconfig.talosVersion, from: "talconfig", file: talconfig.file };
  return { version: DEFAULT_TALOS_VERSION, from: "default", ...(talconfig ? { file: talconfig.file } : {}) };
}

/** "Talos v1.7.7 (talosVersion in talconfig.yaml)", for the line gensecret prints. */
export function describeBundleVersionChoice(choice: BundleVersionChoice): string {
  switch (choice.from) {
    case "flag":
      return `Talos ${choice.version} (--talos-version)`;
    case "talconfig":
      return `Talos ${choice.version} (talosVersion in ${choice.file})`;
    case "default":
      return `Talos ${choice.version} (talform's default${choice.file ? `; ${choice.file} sets no talosVersion` : "; no talconfig.yaml here"})`;
  }
}
