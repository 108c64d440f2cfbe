import { STATE_DIR } from "./state-dir.js";

/**
 * Files talform (or talhelper, talosctl) writes that hold or derive from secrets, by their path relative to the
 * talconfig's folder. `validate` warns when git tracks one of them. The encrypted `*.sops.yaml` files are meant to be
 * committed and are not listed.
 */
const RULES: readonly { readonly test: (path: string) => boolean; readonly what: string }[] = [
  {
    test: (p) => p.startsWith(`${STATE_DIR}/`) && p !== `${STATE_DIR}/.gitignore`,
    what: "talform's state (kubeconfig, etcd snapshots, journal, simulator keys)",
  },
  {
    test: (p) => p.startsWith("clusterconfig/") && p !== "clusterconfig/.gitignore",
    what: "rendered machine configs and the talosconfig (they carry the cluster's keys)",
  },
  { test: (p) => /(^|\/)talsecret\.ya?ml$/.test(p), what: "the plaintext secrets bundle" },
  { test: (p) => /(^|\/)(kubeconfig|talosconfig)$/.test(p), what: "admin credentials" },
  { test: (p) => /\.db$/.test(p) && /snapshot/.test(p), what: "an etcd snapshot (holds every Kubernetes secret)" },
  {
    test: (p) => /(^|\/)(\.talform-journal\.json|\.talform-sim\/.+)$/.test(p),
    what: "talform state from an older version",
  },
];

/** Why `path` (relative, `/`-separated) should not be in git, or undefined when it may be. */
export function secretBearingReason(path: string): string | undefined {
  return RULES.find((r) => r.test(path))?.what;
}
