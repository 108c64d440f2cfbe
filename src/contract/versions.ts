/**
 * The one table of Talos-version facts talform relies on. Version differences live here (and in the
 * predicates of `contract.ts`), never as `if (version >= …)` scattered through the code.
 *
 * Sources: Talos support matrix / `pkg/machinery/compatibility/talos1xx` (Kubernetes ranges),
 * `constants.DefaultKubernetesVersion` per release, talhelper's `LatestTalosVersion`.
 */
export interface TalosMinorFacts {
  /** `v1.13` */
  readonly minor: string;
  /** Newest patch release talform knows of for this minor (used for upgrade paths and defaults). */
  readonly latestPatch: string;
  /** Kubernetes minors this Talos minor supports, inclusive (`1.31`–`1.36`). */
  readonly kubernetes: { readonly min: string; readonly max: string };
  /** `constants.DefaultKubernetesVersion` of `latestPatch`. */
  readonly defaultKubernetesVersion: string;
}

export const TALOS_MINORS: readonly TalosMinorFacts[] = [
  { minor: "v1.10", latestPatch: "v1.10.9", kubernetes: { min: "1.28", max: "1.33" }, defaultKubernetesVersion: "1.33.6" },
  { minor: "v1.11", latestPatch: "v1.11.6", kubernetes: { min: "1.29", max: "1.34" }, defaultKubernetesVersion: "1.34.1" },
  { minor: "v1.12", latestPatch: "v1.12.11", kubernetes: { min: "1.30", max: "1.35" }, defaultKubernetesVersion: "1.35.4" },
  { minor: "v1.13", latestPatch: "v1.13.9", kubernetes: { min: "1.31", max: "1.36" }, defaultKubernetesVersion: "1.36.3" },
  { minor: "v1.14", latestPatch: "v1.14.1", kubernetes: { min: "1.32", max: "1.37" }, defaultKubernetesVersion: "1.37.0" },
];

/** talhelper v3.1.16's default `talosVersion` when talconfig.yaml sets none. */
export const DEFAULT_TALOS_VERSION = "v1.13.9";

export const SUPPORTED_TALOS_MINORS: readonly string[] = TALOS_MINORS.map((m) => m.minor);
