/**
 * The one table of Talos-version facts talform relies on. Version differences live here (and in the
 * predicates of `contract.ts`), never as `if (version >= …)` scattered through the code.
 *
 * Sources: Talos support matrix / `pkg/machinery/compatibility/talos1xx` (Kubernetes ranges, as of Talos main),
 * `constants.DefaultKubernetesVersion` at each minor's latest tag (v1.3.7 … v1.13.9), talhelper's `LatestTalosVersion`.
 */
export interface TalosMinorFacts {
  /** `v1.13` */
  readonly minor: string;
  /**
   * Newest patch release talform knows of for this minor (used for upgrade paths and defaults); undefined for a
   * contract Talos has goldens for but no release yet (1.15: its goldens come from Talos's main branch).
   */
  readonly latestPatch: string | undefined;
  /** Kubernetes minors this Talos minor supports, inclusive (`1.31`–`1.36`). */
  readonly kubernetes: { readonly min: string; readonly max: string };
  /** `constants.DefaultKubernetesVersion` of `latestPatch`. */
  readonly defaultKubernetesVersion: string;
}

export const TALOS_MINORS: readonly TalosMinorFacts[] = [
  {
    minor: "v1.3",
    latestPatch: "v1.3.7",
    kubernetes: { min: "1.24", max: "1.26" },
    defaultKubernetesVersion: "1.26.3",
  },
  {
    minor: "v1.4",
    latestPatch: "v1.4.8",
    kubernetes: { min: "1.25", max: "1.27" },
    defaultKubernetesVersion: "1.27.4",
  },
  {
    minor: "v1.5",
    latestPatch: "v1.5.6",
    kubernetes: { min: "1.26", max: "1.28" },
    defaultKubernetesVersion: "1.28.3",
  },
  {
    minor: "v1.6",
    latestPatch: "v1.6.8",
    kubernetes: { min: "1.24", max: "1.29" },
    defaultKubernetesVersion: "1.29.7",
  },
  {
    minor: "v1.7",
    latestPatch: "v1.7.7",
    kubernetes: { min: "1.25", max: "1.30" },
    defaultKubernetesVersion: "1.30.5",
  },
  {
    minor: "v1.8",
    latestPatch: "v1.8.4",
    kubernetes: { min: "1.26", max: "1.31" },
    defaultKubernetesVersion: "1.31.4",
  },
  {
    minor: "v1.9",
    latestPatch: "v1.9.6",
    kubernetes: { min: "1.27", max: "1.32" },
    defaultKubernetesVersion: "1.32.4",
  },
  {
    minor: "v1.10",
    latestPatch: "v1.10.9",
    kubernetes: { min: "1.28", max: "1.33" },
    defaultKubernetesVersion: "1.33.6",
  },
  {
    minor: "v1.11",
    latestPatch: "v1.11.6",
    kubernetes: { min: "1.29", max: "1.34" },
    defaultKubernetesVersion: "1.34.1",
  },
  {
    minor: "v1.12",
    latestPatch: "v1.12.11",
    kubernetes: { min: "1.30", max: "1.35" },
    defaultKubernetesVersion: "1.35.4",
  },
  {
    minor: "v1.13",
    latestPatch: "v1.13.9",
    kubernetes: { min: "1.31", max: "1.36" },
    defaultKubernetesVersion: "1.36.3",
  },
  {
    minor: "v1.14",
    latestPatch: "v1.14.1",
    kubernetes: { min: "1.32", max: "1.37" },
    defaultKubernetesVersion: "1.37.0",
  },
  // No 1.15 release yet: main (ad8823176, 2026-08-21) has talos115 = 1.33–1.38 and DefaultKubernetesVersion
  // 1.37.0-rc.1, whose release is 1.37.0.
  {
    minor: "v1.15",
    latestPatch: undefined,
    kubernetes: { min: "1.33", max: "1.38" },
    defaultKubernetesVersion: "1.37.0",
  },
];

/** talhelper v3.1.16's default `talosVersion` when talconfig.yaml sets none. */
export const DEFAULT_TALOS_VERSION = "v1.13.9";

export const SUPPORTED_TALOS_MINORS: readonly string[] = TALOS_MINORS.map((m) => m.minor);

/** `v1.3–v1.15`, for messages. */
export const SUPPORTED_TALOS_RANGE = `${TALOS_MINORS[0]!.minor}–${TALOS_MINORS[TALOS_MINORS.length - 1]!.minor}`;
