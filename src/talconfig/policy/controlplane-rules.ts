/** Control planes: the load-balancer exclusion label and no NVIDIA anything. */
import { defaultRuntimeOf, CRI_CUSTOMIZATION_PATH } from "./node-facts.js";
import { gpuExtensions, NVIDIA_MODULES } from "./gpu-rules.js";
import type { Diagnostic } from "../../diagnostics/index.js";
import { contractFor } from "../../contract/index.js";
import { facts, finding } from "./locate.js";
import type { PolicyRule } from "./types.js";

const EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

export const controlPlaneLbLabel: PolicyRule = {
  code: "controlplane-lb-label",
  severity: "warning",
  summary: `Control planes carry the ${EXCLUDE_LB_LABEL} label (Talos adds it itself from 1.8).`,
  check(loaded, ctx) {
    return loaded.nodes
      .filter((n) => n.controlPlane)
      .filter((n) => {
        const contract = contractFor(n.talosVersion);
        return (
          contract !== undefined &&
          !contract.addExcludeFromExternalLoadBalancer() &&
          !(EXCLUDE_LB_LABEL in facts(n, ctx).nodeLabels)
        );
      })
      .map((n) =>
        finding(
          this,
          loaded,
          n,
          "nodeLabels",
          `control plane lacks the ${EXCLUDE_LB_LABEL} label (Talos ${n.talosVersion} does not add it)`,
          `add nodeLabels: {${EXCLUDE_LB_LABEL}: ""} to the controlPlane group`,
        ),
      );
  },
};

export const controlPlaneNoNvidia: PolicyRule = {
  code: "controlplane-no-nvidia",
  severity: "error",
  summary: "Control planes never get NVIDIA extensions, kernel modules or the nvidia runtime.",
  check(loaded, ctx) {
    const out: Diagnostic[] = [];
    for (const n of loaded.nodes.filter((x) => x.controlPlane)) {
      const f = facts(n, ctx);
      const g = gpuExtensions(f.officialExtensions);
      const exts = [...g.kmods.map((k) => k.name), ...g.toolkits.map((t) => t.name)];
      if (exts.length > 0)
        out.push(
          finding(
            this,
            loaded,
            n,
            "schematic",
            `control plane has NVIDIA extensions: ${exts.join(", ")}`,
            "remove them from the control plane's schematic (GPU workloads belong on workers)",
          ),
        );
      if (defaultRuntimeOf(f) === "nvidia")
        out.push(
          finding(
            this,
            loaded,
            n,
            "patches",
            "control plane uses nvidia as its default container runtime",
            `remove the ${CRI_CUSTOMIZATION_PATH} customization from control-plane patches (keep runc)`,
          ),
        );
      const mods = NVIDIA_MODULES.filter((m) => f.kernelModules.has(m));
      if (mods.length > 0)
        out.push(
          finding(
            this,
            loaded,
            n,
            "kernelModules",
            `control plane loads NVIDIA kernel modules: ${mods.join(", ")}`,
            "load them only on GPU workers",
          ),
        );
    }
    return out;
  },
};
