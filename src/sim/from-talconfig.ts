import { DEFAULT_TALOS_VERSION } from "../contract/index.js";
import type { FleetSpec } from "./spec.js";

/**
 * The part of a talhelper talconfig the simulator needs, typed structurally so the talconfig model (another area)
 * can be passed as is. `ipAddress` may list several addresses ("10.0.0.1, 10.0.0.2"); the first one is used.
 */
export interface TalconfigLike {
  readonly clusterName: string;
  readonly talosVersion?: string;
  readonly endpoint?: string;
  readonly nodes: readonly {
    readonly hostname: string;
    readonly ipAddress: string;
    readonly controlPlane?: boolean;
    readonly talosVersion?: string;
    readonly schematicId?: string;
  }[];
}

/**
 * Maps a talconfig to a fleet spec: one simulated node per talconfig node on its (loopback) ipAddress, the cluster
 * endpoint as the simulated Kubernetes API. The OS CA must be the cluster's (from the decrypted secrets) so that the
 * talosconfig genconfig writes can verify the simulated nodes. Non-loopback addresses are refused by validation.
 */
export function fleetSpecFromTalconfig(
  talconfig: TalconfigLike,
  osCA: { readonly crt: string; readonly key: string },
  schematics: Readonly<Record<string, readonly string[]>> = {},
): FleetSpec {
  return {
    clusterName: talconfig.clusterName,
    osCA,
    schematics,
    ...(talconfig.endpoint ? { kubernetesEndpoint: talconfig.endpoint } : {}),
    nodes: talconfig.nodes.map((n) => ({
      hostname: n.hostname,
      address: n.ipAddress.split(",")[0]!.trim(),
      controlPlane: n.controlPlane ?? false,
      talosVersion: n.talosVersion ?? talconfig.talosVersion ?? DEFAULT_TALOS_VERSION,
      ...(n.schematicId ? { schematicId: n.schematicId } : {}),
    })),
  };
}
