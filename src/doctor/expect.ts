import { installerImageUrl, schematicFromValue } from "../factory/index.js";
import { outputFilename, type LoadedTalconfig, type ResolvedNode } from "../talconfig/index.js";
import type { ExpectedNode } from "./types.js";

/** talhelper's default output name for a node's rendered config (`<clusterName>-<hostname>.yaml`). */
export function configFileName(clusterName: string, hostname: string): string {
  return `${clusterName}-${hostname}.yaml`;
}

/** genconfig's name for the node's file (its `filenameTmpl`); talhelper's default when the template cannot render. */
function fileName(n: ResolvedNode, clusterName: string): string {
  try {
    return outputFilename(n.filenameTmpl, { ...n, clusterName });
  } catch {
    return configFileName(clusterName, n.hostname);
  }
}

function staticAddresses(n: ResolvedNode): string[] {
  return (n.networkInterfaces ?? []).flatMap((i) => [
    ...(i.addresses ?? []),
    ...(i.vlans ?? []).flatMap((v) => v.addresses ?? []),
  ]);
}

/** What each talconfig node should look like on the wire; `outDir` is where genconfig writes (`clusterconfig`). */
export function expectedNodes(t: LoadedTalconfig, outDir = "clusterconfig"): ExpectedNode[] {
  const config = t.config;
  if (!config) return [];
  return t.nodes.map((n) => {
    let installerImage: string | undefined;
    try {
      installerImage = installerImageUrl(
        {
          hostname: n.hostname,
          talosVersion: n.talosVersion,
          ...(n.schematic ? { schematic: schematicFromValue(n.schematic) } : {}),
          ...(n.talosImageURL ? { talosImageURL: n.talosImageURL } : {}),
          ...(n.machineSpec ? { machineSpec: n.machineSpec } : {}),
        },
        config.imageFactory ?? {},
      );
    } catch {
      // A broken schematic or imageFactory template is validate's finding; the fix text then names `talform genurl`.
      installerImage = undefined;
    }
    return {
      hostname: n.hostname,
      address: n.ipAddresses[0] ?? n.ipAddress,
      controlPlane: n.controlPlane,
      talosVersion: n.talosVersion,
      kubernetesVersion: n.kubernetesVersion,
      extensions: n.schematic?.customization?.systemExtensions?.officialExtensions ?? [],
      staticAddresses: staticAddresses(n),
      nameservers: n.nameservers ?? [],
      ...(installerImage ? { installerImage } : {}),
      configFile: `${outDir}/${fileName(n, config.clusterName)}`,
    };
  });
}
