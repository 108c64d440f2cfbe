/** Talos and Kubernetes versions talform supports (the TALOS_MINORS table in src/contract). */
import {
  compareTalosVersions,
  contractFor,
  DEFAULT_TALOS_VERSION,
  parseTalosVersion,
  SUPPORTED_TALOS_MINORS,
} from "../../contract/index.js";
import { topLevel } from "./locate.js";
import type { PolicyRule } from "./types.js";
import type { Diagnostic } from "../../diagnostics/index.js";
import type { LoadedTalconfig } from "../types.js";

export const talosVersionRule: PolicyRule = {
  code: "talos-version",
  severity: "error",
  summary: `talosVersion is a Talos release talform supports (${SUPPORTED_TALOS_MINORS.join(", ")}).`,
  check(loaded) {
    const v = loaded.nodes[0]?.talosVersion;
    if (v === undefined) return [];
    const c = contractFor(v);
    if (!c) return [];
    if (!c.supported) {
      return [
        topLevel(
          this,
          loaded,
          "talosVersion",
          `Talos ${v} is not supported; talform supports ${SUPPORTED_TALOS_MINORS.join(", ")}`,
          `set talosVersion to a supported release, e.g. ${DEFAULT_TALOS_VERSION}`,
        ),
      ];
    }
    // A contract with goldens but no release talform knows (1.15): generated as Talos's main branch does.
    if (c.facts!.latestPatch === undefined) {
      return [
        {
          ...topLevel(
            this,
            loaded,
            "talosVersion",
            `Talos ${c.name} has no release talform knows of; configs follow the ${c.name} contract of Talos's development branch`,
            `pin talosVersion to a released minor (e.g. ${DEFAULT_TALOS_VERSION}) unless you run a ${c.name} pre-release`,
          ),
          severity: "warning",
        },
      ];
    }
    // A patch newer than talform knows of is allowed (Talos releases faster than talform), with a warning.
    const latest = parseTalosVersion(c.facts!.latestPatch)!;
    const given = parseTalosVersion(v)!;
    if (compareTalosVersions(given, latest) > 0) {
      return [
        {
          ...topLevel(
            this,
            loaded,
            "talosVersion",
            `Talos ${v} is newer than the latest ${c.name} release talform knows (${c.facts!.latestPatch}); it is assumed to behave like ${c.name}`,
            "update talform, or pin talosVersion to a release it knows",
          ),
          severity: "warning",
        },
      ];
    }
    return [];
  },
};

function minorOf(v: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}
const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

export const kubernetesVersionRule: PolicyRule = {
  code: "kubernetes-version",
  severity: "error",
  summary: "kubernetesVersion is within the range the Talos version supports.",
  check(loaded) {
    return kubernetesVersionFindings(loaded);
  },
};

/**
 * The Kubernetes version outside the range the Talos version supports, as a located finding. genconfig refuses such
 * a file too (talhelper and `talosctl gen config` do), so it also runs outside `validate`'s policy set.
 */
export function kubernetesVersionFindings(loaded: LoadedTalconfig): Diagnostic[] {
  const rule = kubernetesVersionRule;
  const n = loaded.nodes[0];
  const facts = n ? contractFor(n.talosVersion)?.facts : undefined;
  const k = n ? minorOf(n.kubernetesVersion) : undefined;
  if (!n || !facts || !k) return [];
  const min = minorOf(facts.kubernetes.min)!;
  const max = minorOf(facts.kubernetes.max)!;
  if (cmp(k, min) >= 0 && cmp(k, max) <= 0) return [];
  return [
    topLevel(
      rule,
      loaded,
      "kubernetesVersion",
      `Kubernetes ${n.kubernetesVersion} is not supported by Talos ${facts.minor} (supported: ${facts.kubernetes.min} to ${facts.kubernetes.max})`,
      `set kubernetesVersion between ${facts.kubernetes.min} and ${facts.kubernetes.max}, e.g. ${facts.defaultKubernetesVersion}`,
    ),
  ];
}
