import { TalosContract } from "../../contract/index.js";
import { machineConfigFacts } from "../config-facts.js";
import type { Finding, NodeObservation } from "../types.js";
import { expectedFor, nodeLabel, reachable, type CheckContext } from "./context.js";

/** The upgrade command that installs the node's schematic (its extensions) at its Talos version. */
export function upgradeFix(ctx: CheckContext, n: NodeObservation): string {
  const e = expectedFor(ctx, n);
  const image =
    e?.installerImage ??
    `"$(talform genurl installer${ctx.local.talconfigPath ? ` -c ${ctx.local.talconfigPath}` : ""} -n ${e?.hostname ?? n.hostname ?? n.node})"`;
  return `talform upgrade -n ${n.node} --image ${image}`;
}

/** Every extension the node's schematic lists must show up in ExtensionStatus. */
export function missingExtensions(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    const e = expectedFor(ctx, n);
    if (!e || !n.extensions) continue;
    const have = new Set(n.extensions.map((x) => x.name));
    const missing = e.extensions.filter((x) => !have.has(x) && !have.has(x.split("/").pop()!));
    for (const ext of missing) {
      out.push({
        code: "extension-missing",
        severity: "error",
        node: n.node,
        symptom: `${nodeLabel(n, e)}: system extension ${ext} is not installed${/nvidia/.test(ext) ? " (GPU not available)" : ""}`,
        evidence: [
          `talconfig schematic of ${e.hostname} lists ${ext}`,
          `ExtensionStatus on ${n.node}: ${n.extensions.map((x) => x.name).join(", ") || "(none)"}`,
        ],
        fix: upgradeFix(ctx, n),
      });
    }
  }
  return out;
}

const NVIDIA_KMOD = /nvidia-open-gpu-kernel-modules|nonfree-kmod-nvidia/;
const NVIDIA_TOOLKIT = /nvidia-container-toolkit/;
const NVIDIA_MODULES = ["nvidia", "nvidia_uvm", "nvidia_drm", "nvidia_modeset"];

/**
 * GPU setup per the NVIDIA guide of the node's Talos version: driver and toolkit extensions (same driver version,
 * kernel modules built for this Talos release), the four kernel modules configured and loaded, and the runtime
 * wiring — `net.core.bpf_jit_harden` up to 1.12, CDI through the gpu-operator after (no `nvidia` default runtime).
 */
export function gpuSetup(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const n of reachable(ctx)) {
    const e = expectedFor(ctx, n);
    const exts = n.extensions ?? [];
    const wantsGpu =
      (e?.extensions ?? []).some((x) => NVIDIA_KMOD.test(x)) || exts.some((x) => NVIDIA_KMOD.test(x.name));
    if (!wantsGpu) continue;
    const label = nodeLabel(n, e);
    const kmod = exts.find((x) => NVIDIA_KMOD.test(x.name));
    const toolkit = exts.find((x) => NVIDIA_TOOLKIT.test(x.name));
    const contract = n.talosVersion ? TalosContract.parse(n.talosVersion) : undefined;
    const facts = n.activeConfig ? machineConfigFacts(n.activeConfig) : undefined;
    const applyFix = e?.configFile
      ? `talform genconfig && talform apply-config -n ${n.node} --file ${e.configFile}`
      : `talform apply-config -n ${n.node} --file <the node's config>`;

    if (kmod && !toolkit && !(e?.extensions ?? []).some((x) => NVIDIA_TOOLKIT.test(x))) {
      out.push({
        code: "gpu-toolkit-missing",
        severity: "error",
        node: n.node,
        symptom: `${label}: GPU not available — the NVIDIA driver is installed without siderolabs/nvidia-container-toolkit, so containers cannot use the GPU`,
        evidence: [`ExtensionStatus on ${n.node}: ${exts.map((x) => `${x.name} ${x.version}`).join(", ")}`],
        fix: `add siderolabs/nvidia-container-toolkit-production (matching the driver flavour) to the node's schematic in talconfig.yaml, then ${upgradeFix(ctx, n)}`,
      });
    }
    if (kmod && n.talosVersion) {
      const builtFor = /-(v\d+\.\d+\.\d+[^-]*)$/.exec(kmod.version)?.[1];
      if (builtFor && builtFor !== n.talosVersion) {
        out.push({
          code: "gpu-driver-version",
          severity: "error",
          node: n.node,
          symptom: `${label}: GPU not available — ${kmod.name} ${kmod.version} is built for Talos ${builtFor}, the node runs ${n.talosVersion}`,
          evidence: [
            `ExtensionStatus on ${n.node}: ${kmod.name} version ${kmod.version}`,
            `Version on ${n.node}: ${n.talosVersion}`,
          ],
          fix: upgradeFix(ctx, n),
        });
      }
      const driver = kmod.version.split("-")[0];
      const toolkitDriver = toolkit?.version.split("-")[0];
      if (toolkit && toolkitDriver && driver && /^\d+\./.test(toolkitDriver) && toolkitDriver !== driver) {
        out.push({
          code: "gpu-driver-mismatch",
          severity: "error",
          node: n.node,
          symptom: `${label}: NVIDIA driver ${driver} and container toolkit for driver ${toolkitDriver} differ`,
          evidence: [`ExtensionStatus on ${n.node}: ${kmod.name} ${kmod.version}, ${toolkit.name} ${toolkit.version}`],
          fix: `use the same flavour (production/lts) for both NVIDIA extensions in the schematic, then ${upgradeFix(ctx, n)}`,
        });
      }
    }
    if (facts) {
      const unconfigured = NVIDIA_MODULES.filter((m) => !facts.kernelModules.includes(m));
      if (unconfigured.length > 0) {
        out.push({
          code: "gpu-modules-not-configured",
          severity: "error",
          node: n.node,
          symptom: `${label}: GPU not available — the machine config does not load ${unconfigured.join(", ")}`,
          evidence: [`MachineConfig on ${n.node}: kernel modules ${facts.kernelModules.join(", ") || "(none)"}`],
          fix: `add a patch loading ${NVIDIA_MODULES.join(", ")} (${contract?.kernelModuleMultidocConfig() ? "KernelModuleConfig documents" : ".machine.kernel.modules"}) to the node in talconfig.yaml, then ${applyFix}`,
        });
      } else if (n.modules) {
        const notLoaded = NVIDIA_MODULES.filter((m) => !n.modules!.includes(m));
        if (notLoaded.length > 0) {
          out.push({
            code: "gpu-modules-not-loaded",
            severity: "error",
            node: n.node,
            symptom: `${label}: GPU not available — NVIDIA kernel modules ${notLoaded.join(", ")} are configured but not loaded`,
            evidence: [
              `/proc/modules on ${n.node}: no ${notLoaded.join(", ")}`,
              `ExtensionStatus on ${n.node}: ${exts.map((x) => x.name).join(", ") || "(none)"}`,
            ],
            fix: kmod ? `talform reboot -n ${n.node}` : upgradeFix(ctx, n),
          });
        }
      }
      if (contract && !contract.nvidiaGpuViaCdi() && facts.sysctls["net.core.bpf_jit_harden"] !== "1") {
        out.push({
          code: "gpu-runtime-setup",
          severity: "error",
          node: n.node,
          symptom: `${label}: GPU runtime setup missing for Talos ${n.talosVersion} — sysctl net.core.bpf_jit_harden is not 1`,
          evidence: [
            `MachineConfig on ${n.node}: net.core.bpf_jit_harden = ${facts.sysctls["net.core.bpf_jit_harden"] ?? "(unset)"}`,
          ],
          fix: `add machine.sysctls net.core.bpf_jit_harden: 1 to the node's patches, then ${applyFix}`,
        });
      }
      const defaultRuntime = facts.files.find((f) => /default_runtime_name\s*=\s*"nvidia"/.test(f.content));
      if (contract?.nvidiaGpuViaCdi() && defaultRuntime) {
        out.push({
          code: "gpu-runtime-setup",
          severity: "warning",
          node: n.node,
          symptom: `${label}: Talos ${n.talosVersion} wires GPUs through CDI (gpu-operator); the nvidia default-runtime patch is a leftover`,
          evidence: [`MachineConfig on ${n.node}: ${defaultRuntime.path} sets default_runtime_name = "nvidia"`],
          fix: `remove the nvidia default-runtime patch from talconfig.yaml, deploy the gpu-operator with CDI, then ${applyFix}`,
        });
      }
    }
  }
  return out;
}
