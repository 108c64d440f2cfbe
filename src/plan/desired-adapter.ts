import type { ResolvedNode } from "../talconfig/index.js";
import { installerImageOf, parseConfigDocuments } from "./config-documents.js";
import type { DesiredCluster, DesiredNode } from "./types.js";

/**
 * Desired state from talconfig nodes and their rendered configs (genconfig's in-memory render): the installer
 * identity is read from the rendered config itself, so the plan and the config can never disagree about it.
 */
export function desiredFromRendered(clusterName: string, nodes: readonly ResolvedNode[], configs: ReadonlyMap<string, string>): DesiredCluster {
  return {
    clusterName,
    nodes: nodes.map((n): DesiredNode => {
      const configText = configs.get(n.hostname);
      if (configText === undefined) throw new Error(`no rendered config for node ${n.hostname}`);
      const installImage = installerImageOf(parseConfigDocuments(configText));
      if (!installImage) throw new Error(`the rendered config of ${n.hostname} names no installer image (machine.install.image or UnattendedInstallConfig)`);
      const schematicId = /\/([0-9a-f]{64}):[^/]+$/.exec(installImage)?.[1];
      return {
        hostname: n.hostname,
        address: n.ipAddresses[0] ?? n.ipAddress,
        controlPlane: n.controlPlane,
        talosVersion: n.talosVersion,
        installImage,
        ...(schematicId ? { schematicId } : {}),
        extensions: [...(n.schematic?.customization?.systemExtensions?.officialExtensions ?? [])].sort(),
        kubernetesVersion: n.kubernetesVersion,
        configText,
      };
    }),
  };
}
