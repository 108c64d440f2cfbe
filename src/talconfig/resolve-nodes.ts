import { isAbsolute, resolve } from "node:path";
import { DEFAULT_TALOS_VERSION } from "../contract/index.js";
import { splitIpAddresses } from "./formats.js";
import { mergeGroupIntoNode } from "./merge.js";
import { fileRef } from "./model-checks.js";
import type { Talconfig } from "./schema.js";
import type { PatchRef, ResolvedNode } from "./types.js";
import { formatPath, type DocPath, type YamlSource } from "./yaml-source.js";

/** Nodes with their group merged in, top-level versions resolved and their patches in application order. */
export function resolveNodes(config: Talconfig, src: YamlSource, dir: string): ResolvedNode[] {
  const talosVersion = normalizeTalosVersion(config.talosVersion ?? DEFAULT_TALOS_VERSION);
  const kubernetesVersion = config.kubernetesVersion.replace(/^v/, "");
  const patchRef = (scope: PatchRef["scope"], path: DocPath, text: string): PatchRef => {
    const f = fileRef(text);
    return {
      scope,
      text,
      path: formatPath(path),
      source: src.positionOf(path),
      ...(f ? { file: isAbsolute(f) ? f : resolve(dir, f) } : {}),
    };
  };
  return config.nodes.map((n, i) => {
    const controlPlane = n.controlPlane === true;
    const groupKey = controlPlane ? "controlPlane" : "worker";
    const group = config[groupKey];
    const merged = mergeGroupIntoNode(n, group);
    const groupPatches = n.overridePatches
      ? []
      : (group?.patches ?? []).map((p, j) => patchRef("group", [groupKey, "patches", j], p));
    const nodePatches = (n.patches ?? []).map((p, j) => patchRef("node", ["nodes", i, "patches", j], p));
    const globalPatches = (config.patches ?? []).map((p, j) => patchRef("global", ["patches", j], p));
    const { patches: _p, ...values } = merged.values;
    return {
      ...values,
      index: i,
      hostname: n.hostname,
      ipAddress: n.ipAddress,
      ipAddresses: splitIpAddresses(n.ipAddress),
      controlPlane,
      role: controlPlane ? "controlplane" : "worker",
      ...(n.installDisk !== undefined ? { installDisk: n.installDisk } : {}),
      ...(n.installDiskSelector !== undefined ? { installDiskSelector: n.installDiskSelector } : {}),
      ignoreHostname: n.ignoreHostname === true,
      talosVersion,
      kubernetesVersion,
      patches: [...groupPatches, ...nodePatches, ...globalPatches],
      origin: merged.origin,
      source: src.positionOf(["nodes", i]),
    } satisfies ResolvedNode;
  });
}

/** talhelper adds a missing `v` prefix. */
export function normalizeTalosVersion(v: string): string {
  return v.startsWith("v") ? v : `v${v}`;
}
