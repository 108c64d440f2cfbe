import type { TalosContract } from "../contract/index.js";
import { goMap, struct, type ConfigPatch, type YamlMap } from "../machineconfig/index.js";
import type { ResolvedNode } from "../talconfig/index.js";

/**
 * Presets (talform-only `presets:` key, ignored by talhelper): settings for the seed's node types, rendered as
 * ordinary strategic-merge patches applied before the user's patches, so the output stays auditable and a patch can
 * still override them.
 *
 * nvidia-gpu (Talos docs, "NVIDIA GPU"): the four kernel modules on every version — `machine.kernel.modules` up to
 * 1.13, `KernelModuleConfig` documents from 1.14. Up to 1.12 (device plugin + `nvidia` runtime class) also
 * `net.core.bpf_jit_harden: "1"` (Talos's KSPP default 2 breaks libnvidia-container's eBPF device programs) and the
 * CRI default runtime `nvidia`; from 1.13 Talos uses CDI with the gpu-operator and needs neither.
 * The system extensions (nvidia-open-gpu-kernel-modules + nvidia-container-toolkit) belong in the node's schematic.
 *
 * longhorn (Longhorn docs, "Talos Linux support"): up to 1.13, the kubelet bind mount of /var/lib/longhorn with
 * rshared propagation, so volumes the kubelet mounts are visible to Longhorn's pods. From 1.14 the kubelet is
 * configured by a KubeletConfig document, which has no extra mounts (and Talos refuses a legacy `machine.kubelet`
 * beside it): the preset renders nothing there, and the policy rule longhorn-data-volume asks for a user volume
 * (`/var/mnt/<name>`, propagated into the kubelet by Talos) to hold Longhorn's data path. The iscsi-tools and
 * util-linux-tools system extensions it also needs belong in the node's schematic.
 */
export type Preset = "nvidia-gpu" | "longhorn";

const NVIDIA_MODULES = ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"];
const CRI_DEFAULT_RUNTIME_NVIDIA = `[plugins]
  [plugins."io.containerd.cri.v1.runtime"]
    [plugins."io.containerd.cri.v1.runtime".containerd]
      default_runtime_name = "nvidia"
`;

const doc = (kind: string, name: string): YamlMap =>
  struct([
    ["apiVersion", "v1alpha1"],
    ["kind", kind],
    ["name", name],
  ]);

export function presetDocuments(preset: Preset, contract: TalosContract): YamlMap[] {
  switch (preset) {
    case "nvidia-gpu": {
      const docs: YamlMap[] = [];
      const machine: [string, YamlMap | YamlMap[]][] = [];
      if (contract.multidocKernelModuleConfigSupported())
        docs.push(...NVIDIA_MODULES.map((name) => doc("KernelModuleConfig", name)));
      else machine.push(["kernel", struct([["modules", NVIDIA_MODULES.map((name) => struct([["name", name]]))]])]);
      if (!contract.nvidiaGpuViaCdi()) {
        machine.push(["sysctls", goMap({ "net.core.bpf_jit_harden": "1" })]);
        machine.push([
          "files",
          [
            struct([
              ["content", CRI_DEFAULT_RUNTIME_NVIDIA],
              ["path", "/etc/cri/conf.d/20-customization.part"],
              ["op", "create"],
            ]),
          ],
        ]);
      }
      if (machine.length > 0) docs.unshift(struct([["machine", struct(machine)]]));
      return docs;
    }
    case "longhorn":
      if (!contract.kubeletExtraMountsSupported()) return [];
      return [
        struct([
          [
            "machine",
            struct([
              [
                "kubelet",
                struct([
                  [
                    "extraMounts",
                    [
                      struct([
                        ["destination", "/var/lib/longhorn"],
                        ["type", "bind"],
                        ["source", "/var/lib/longhorn"],
                        ["options", ["bind", "rshared", "rw"]],
                      ]),
                    ],
                  ],
                ]),
              ],
            ]),
          ],
        ]),
      ];
  }
}

export function presetPatches(node: ResolvedNode, contract: TalosContract): ConfigPatch[] {
  return (node.presets ?? []).map((p) => ({ type: "strategic" as const, documents: presetDocuments(p, contract) }));
}
