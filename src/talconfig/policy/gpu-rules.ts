/** NVIDIA GPU workers: extensions, driver flavour, kernel modules and the runtime setup per Talos version (talos-config.md §7). */
import { defaultRuntimeOf, CRI_CUSTOMIZATION_PATH } from "./node-facts.js";
import type { Diagnostic } from "../../diagnostics/index.js";
import { contractFor } from "../../contract/index.js";
import type { LoadedTalconfig } from "../types.js";
import { facts, finding } from "./locate.js";
import type { PolicyContext, PolicyRule } from "./types.js";

export const NVIDIA_MODULES = ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"];

interface GpuExtensions {
  /** Kernel-module extensions: `nonfree-kmod-nvidia-<flavour>` (proprietary) / `nvidia-open-gpu-kernel-modules-<flavour>`. */
  readonly kmods: { name: string; open: boolean; flavour: string }[];
  readonly toolkits: { name: string; flavour: string }[];
}

export function gpuExtensions(exts: readonly string[]): GpuExtensions {
  const kmods: GpuExtensions["kmods"] = [];
  const toolkits: GpuExtensions["toolkits"] = [];
  for (const e of exts) {
    const name = e.replace(/^siderolabs\//, "");
    let m = /^nonfree-kmod-nvidia(?:-(.+))?$/.exec(name);
    if (m) kmods.push({ name: e, open: false, flavour: m[1] ?? "production" });
    m = /^nvidia-open-gpu-kernel-modules(?:-(.+))?$/.exec(name);
    if (m) kmods.push({ name: e, open: true, flavour: m[1] ?? "production" });
    m = /^nvidia-container-toolkit(?:-(.+))?$/.exec(name);
    if (m) toolkits.push({ name: e, flavour: m[1] ?? "production" });
  }
  return { kmods, toolkits };
}

const gpuNodes = (loaded: LoadedTalconfig, ctx: PolicyContext) =>
  loaded.nodes.filter((n) => !n.controlPlane && gpuExtensions(facts(n, ctx).officialExtensions).kmods.length > 0);

export const gpuContainerToolkit: PolicyRule = {
  code: "gpu-container-toolkit",
  severity: "error",
  summary: "A GPU worker (nvidia kernel-module extension) also has the nvidia-container-toolkit extension.",
  check(loaded, ctx) {
    return gpuNodes(loaded, ctx)
      .filter((n) => gpuExtensions(facts(n, ctx).officialExtensions).toolkits.length === 0)
      .map((n) => {
        const { kmods } = gpuExtensions(facts(n, ctx).officialExtensions);
        return finding(
          this,
          loaded,
          n,
          "schematic",
          `GPU worker has ${kmods[0]!.name} but no nvidia-container-toolkit extension`,
          `add siderolabs/nvidia-container-toolkit-${kmods[0]!.flavour} to schematic.customization.systemExtensions.officialExtensions`,
        );
      });
  },
};

export const gpuDriverFlavour: PolicyRule = {
  code: "gpu-driver-flavour",
  severity: "error",
  summary:
    "One NVIDIA driver per node: proprietary or open, and the same flavour (production/lts) for kernel modules and toolkit.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const { kmods, toolkits } = gpuExtensions(facts(n, ctx).officialExtensions);
      if (kmods.length > 1) {
        out.push(
          finding(
            this,
            loaded,
            n,
            "schematic",
            `more than one NVIDIA kernel-module extension: ${kmods.map((k) => k.name).join(", ")}`,
            "keep exactly one: nonfree-kmod-nvidia-* (proprietary) or nvidia-open-gpu-kernel-modules-* (open)",
          ),
        );
        continue;
      }
      const flavours = new Set([...kmods, ...toolkits].map((e) => e.flavour));
      if (flavours.size > 1) {
        out.push(
          finding(
            this,
            loaded,
            n,
            "schematic",
            `NVIDIA extensions mix driver flavours (${[...kmods, ...toolkits].map((e) => e.name).join(", ")})`,
            `use the same flavour for all of them, e.g. ${kmods[0]!.name} with siderolabs/nvidia-container-toolkit-${kmods[0]!.flavour}`,
          ),
        );
      }
    }
    return out;
  },
};

export const gpuKernelModules: PolicyRule = {
  code: "gpu-kernel-modules",
  severity: "error",
  summary: "A GPU worker loads the kernel modules nvidia, nvidia_uvm, nvidia_drm and nvidia_modeset.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const missing = NVIDIA_MODULES.filter((m) => !facts(n, ctx).kernelModules.has(m));
      if (missing.length > 0) {
        out.push(
          finding(
            this,
            loaded,
            n,
            "kernelModules",
            `GPU worker does not load the kernel module${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
            `add kernelModules: [${missing.map((m) => `{name: ${m}}`).join(", ")}] (or a patch with machine.kernel.modules / KernelModuleConfig)`,
          ),
        );
      }
    }
    return out;
  },
};

export const gpuRuntime: PolicyRule = {
  code: "gpu-runtime",
  severity: "warning",
  summary:
    "GPU runtime setup matches the Talos version: nvidia default runtime + bpf_jit_harden=1 before 1.13; CDI (gpu-operator), no nvidia default runtime, from 1.13.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of gpuNodes(loaded, ctx)) {
      const contract = contractFor(n.talosVersion);
      if (!contract) continue;
      const f = facts(n, ctx);
      const runtime = defaultRuntimeOf(f);
      if (contract.nvidiaGpuViaCdi()) {
        if (runtime === "nvidia") {
          out.push(
            finding(
              this,
              loaded,
              n,
              "patches",
              `Talos ${contract.name} uses CDI for NVIDIA GPUs; the nvidia default runtime in ${CRI_CUSTOMIZATION_PATH} is the pre-1.13 setup`,
              "remove the default_runtime_name customization and install the NVIDIA gpu-operator (driver.enabled=false, toolkit.enabled=false)",
            ),
          );
        }
        if (f.sysctls.has("net.core.bpf_jit_harden")) {
          out.push(
            finding(
              this,
              loaded,
              n,
              "patches",
              `Talos ${contract.name} does not need the net.core.bpf_jit_harden sysctl for NVIDIA GPUs (CDI)`,
              "remove machine.sysctls.net.core.bpf_jit_harden from the GPU patch",
            ),
          );
        }
      } else {
        if (runtime !== "nvidia") {
          out.push(
            finding(
              this,
              loaded,
              n,
              "patches",
              `GPU worker on Talos ${contract.name} does not make nvidia the default container runtime`,
              `add a machine file ${CRI_CUSTOMIZATION_PATH} with default_runtime_name = "nvidia" under [plugins."io.containerd.cri.v1.runtime".containerd] (or use runtimeClassName: nvidia in every GPU pod)`,
            ),
          );
        }
        if (f.sysctls.get("net.core.bpf_jit_harden") !== "1") {
          out.push(
            finding(
              this,
              loaded,
              n,
              "patches",
              `GPU worker on Talos ${contract.name} does not set net.core.bpf_jit_harden to 1`,
              'add machine.sysctls: {net.core.bpf_jit_harden: "1"} (Talos hardens it to 2, which the NVIDIA container toolkit cannot work with)',
            ),
          );
        }
      }
    }
    return out;
  },
};
