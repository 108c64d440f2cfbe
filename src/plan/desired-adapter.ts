import { createHash } from "node:crypto";
import { canonicalSchematicYaml, type Schematic } from "../factory/index.js";
import type { ResolvedNode } from "../talconfig/index.js";
import { installerImageOf, parseConfigDocuments } from "./config-documents.js";
import type { DesiredCluster, DesiredNode } from "./types.js";

/**
 * Desired state from talconfig nodes and their rendered configs (genconfig's in-memory render): the installer
 * identity is read from the rendered config itself, so the plan and the config can never disagree about it.
 */
export function desiredFromRendered(
  clusterName: string,
  nodes: readonly ResolvedNode[],
  configs: ReadonlyMap<string, string>,
  imageFactory?: DesiredCluster["imageFactory"],
): DesiredCluster {
  return {
    clusterName,
    ...(imageFactory ? { imageFactory } : {}),
    nodes: nodes.map((n): DesiredNode => {
      const configText = configs.get(n.hostname);
      if (configText === undefined) throw new Error(`no rendered config for node ${n.hostname}`);
      const installImage = installerImageOf(parseConfigDocuments(configText));
      if (!installImage)
        throw new Error(
          `the rendered config of ${n.hostname} names no installer image (machine.install.image or UnattendedInstallConfig)`,
        );
      const schematicId = /\/([0-9a-f]{64}):[^/]+$/.exec(installImage)?.[1];
      const schematicYaml = schematicId ? schematicTextFor(n, schematicId) : undefined;
      return {
        hostname: n.hostname,
        address: n.ipAddresses[0] ?? n.ipAddress,
        controlPlane: n.controlPlane,
        talosVersion: n.talosVersion,
        installImage,
        ...(schematicId ? { schematicId } : {}),
        ...(schematicYaml ? { schematicYaml } : {}),
        extensions: [...(n.schematic?.customization?.systemExtensions?.officialExtensions ?? [])].sort(),
        kubernetesVersion: n.kubernetesVersion,
        configText,
      };
    }),
  };
}

/** The canonical text of the node's talconfig schematic, when its ID is the one its installer image names. */
function schematicTextFor(n: ResolvedNode, id: string): string | undefined {
  // Parsed YAML, as genconfig hashes it for the installer URL (src/genconfig/cluster.ts).
  const text = canonicalSchematicYaml((n.schematic ?? {}) as unknown as Schematic);
  return createHash("sha256").update(text).digest("hex") === id ? text : undefined;
}
