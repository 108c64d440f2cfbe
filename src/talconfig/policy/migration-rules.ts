/** Settings whose home moved between Talos versions: what a node asks for that its Talos version handles differently. */
import { contractFor, type TalosContract } from "../../contract/index.js";
import type { ResolvedNode } from "../types.js";
import { finding, type NodeKey } from "./locate.js";
import type { PolicyRule } from "./types.js";

/** A warning on each node whose Talos contract and settings match, located at `key`. */
function perNodeWarning(
  code: string,
  summary: string,
  key: NodeKey,
  applies: (node: ResolvedNode, contract: TalosContract) => boolean,
  message: (node: ResolvedNode) => string,
  hint: string,
): PolicyRule {
  return {
    code,
    severity: "warning",
    summary,
    check(loaded) {
      return loaded.nodes
        .filter((n) => {
          const contract = contractFor(n.talosVersion);
          return contract !== undefined && applies(n, contract);
        })
        .map((n) => finding(this, loaded, n, key, message(n), hint));
    },
  };
}

export const longhornDataVolume = perNodeWarning(
  "longhorn-data-volume",
  "From Talos 1.14 a node with the longhorn preset keeps Longhorn's data on a user volume.",
  "presets",
  (n, contract) =>
    (n.presets ?? []).includes("longhorn") &&
    !contract.kubeletExtraMountsSupported() &&
    (n.userVolumes ?? []).length === 0,
  (n) =>
    `Talos ${n.talosVersion} configures the kubelet with a KubeletConfig document, which takes no extra mounts: the longhorn preset cannot bind /var/lib/longhorn into the kubelet`,
  "add userVolumes: [{name: longhorn, provisioning: {diskSelector: {match: ...}, minSize: ...}}] (mounted at /var/mnt/longhorn and propagated into the kubelet by Talos) and set Longhorn's defaultDataPath to /var/mnt/longhorn",
);

export const machineFilesDeprecated = perNodeWarning(
  "machine-files-deprecated",
  "From Talos 1.14 machineFiles (machine.files) draws Talos's deprecation warning.",
  "machineFiles",
  (n, contract) => (n.machineFiles ?? []).length > 0 && contract.machineFilesDeprecated(),
  (n) =>
    `Talos ${n.talosVersion} deprecates machine.files ("use dedicated configuration documents instead"); it still writes them`,
  "move each file to the document made for it: EtcFileConfig for files under /etc, CRICustomizationConfig for /etc/cri/conf.d parts, ExtensionServiceConfig for extension service files; or disable this rule",
);
