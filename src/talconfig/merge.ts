import type { NodeConfigs, TalconfigNode } from "./schema.js";
import { nodeConfigsShape } from "./schema.js";

/**
 * Group defaults (`controlPlane` / `worker`) merged into a node, with talhelper's semantics
 * (`pkg/config/nodeconfigs.go` `OverrideGlobalCfg`):
 * - every NodeConfigs key: the node's value wins, else the group's; no deep merge — maps (`nodeLabels`) and structs
 *   (`schematic`, `machineSpec`, …) are replaced whole;
 * - `patches`: group patches first, then the node's (`overridePatches: true` → only the node's);
 * - `certSANs`, `extraManifests`: the node's first, then the group's (`overrideMachineCertSANs` /
 *   `overrideExtraManifests` → only the node's).
 *
 * One deliberate difference: talhelper treats a Go zero value (`false`, `""`, an all-empty struct) written on the node
 * as "unset", so a group's `true` cannot be turned off per node. talform lets a key written on the node win, whatever
 * its value (talhelper's "known quirks to avoid"). Configs that never write zero values merge identically.
 */

export type MergeOrigin = "node" | "group";

export interface MergedNodeConfigs {
  readonly values: NodeConfigs;
  /** Where each resulting key came from (for locating findings); appended lists report "node". */
  readonly origin: Partial<Record<keyof NodeConfigs, MergeOrigin>>;
}

const NODE_CONFIG_KEYS = Object.keys(nodeConfigsShape) as (keyof NodeConfigs)[];

// Go reflect.IsZero of a struct is "every field zero"; a nil map/slice is zero, an empty written one is not.
function isZeroValue(v: unknown): boolean {
  if (v === undefined || v === null || v === "" || v === false || v === 0) return true;
  return false;
}

export function mergeGroupIntoNode(node: TalconfigNode, group: NodeConfigs | undefined): MergedNodeConfigs {
  const values: Record<string, unknown> = {};
  const origin: Partial<Record<keyof NodeConfigs, MergeOrigin>> = {};
  const g = group ?? {};
  for (const key of NODE_CONFIG_KEYS) {
    const nodeHas = Object.hasOwn(node, key) && node[key] !== undefined && node[key] !== null;
    const groupValue = g[key];
    const groupHas = !isZeroValue(groupValue);
    if (key === "patches") {
      const own = node.patches ?? [];
      const merged = node.overridePatches ? own : [...((groupValue as string[] | undefined) ?? []), ...own];
      if (nodeHas || groupHas) values[key] = merged;
      if (nodeHas || groupHas) origin[key] = nodeHas ? "node" : "group";
      continue;
    }
    if (key === "certSANs" || key === "extraManifests") {
      const override = key === "certSANs" ? node.overrideMachineCertSANs : node.overrideExtraManifests;
      const own = (node[key] as string[] | undefined) ?? [];
      const merged = override ? own : [...own, ...((groupValue as string[] | undefined) ?? [])];
      if (nodeHas || groupHas) {
        values[key] = merged;
        origin[key] = nodeHas ? "node" : "group";
      }
      continue;
    }
    if (nodeHas) {
      values[key] = node[key];
      origin[key] = "node";
    } else if (groupHas) {
      values[key] = groupValue;
      origin[key] = "group";
    }
  }
  return { values: values as NodeConfigs, origin };
}
