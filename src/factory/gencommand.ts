import { TalformError } from "../diagnostics/index.js";

/**
 * The `talosctl` command lines `talhelper gencommand` (v3.1.16, pkg/generate/command.go) prints, for people who
 * keep running talosctl by hand. Output is byte-identical to talhelper's: one `talosctl …;` line per target,
 * `--talosconfig=` first, extra flags appended verbatim (before `--nodes` for bootstrap, kubeconfig and
 * upgrade-k8s, after everything else otherwise), no `--insecure` ever added.
 */

export const GENCOMMAND_KINDS = [
  "apply",
  "upgrade",
  "upgrade-k8s",
  "bootstrap",
  "kubeconfig",
  "reset",
  "health",
] as const;
export type GencommandKind = (typeof GENCOMMAND_KINDS)[number];

export interface GencommandNode {
  readonly hostname: string;
  /** As written in talconfig: one address or a comma-separated list. */
  readonly ipAddress: string;
  readonly controlPlane: boolean;
  /** Name of the node's generated machine config inside `outDir` (talhelper `GetOutputFileName`). */
  readonly filename: string;
  /** The node's installer image (see `installerImageUrl`); needed for `upgrade`. */
  readonly installerUrl?: string;
}

export interface GencommandInput {
  readonly clusterName: string;
  readonly nodes: readonly GencommandNode[];
  /** talhelper `-o` (default `./clusterconfig`), used verbatim. */
  readonly outDir: string;
  /** Defaults to `<outDir>/talosconfig`, as talhelper always uses. */
  readonly talosconfigPath?: string;
  /** talconfig `kubernetesVersion`, with or without `v`; needed for `upgrade-k8s`. */
  readonly kubernetesVersion?: string;
  readonly extraFlags?: readonly string[];
}

/** talhelper `Node.GetIPAddresses`: split on commas, trim. */
export function nodeIpAddresses(ipAddress: string): string[] {
  return ipAddress.split(",").map((s) => s.trim());
}

const notFound = (node: string): TalformError =>
  new TalformError(`node with IP or hostname ${node} not found`, {
    code: "node-not-found",
    hint: "pass a hostname or an IP address listed in talconfig nodes[]",
  });

const notControlPlane = (node: string, byIp: boolean): TalformError =>
  new TalformError(`node with ${byIp ? "IP" : "hostname"} ${node} is not a controlplane node`, {
    code: "node-not-controlplane",
    hint: "select a node with controlPlane: true",
  });

/**
 * The command lines (without trailing newlines) for `kind`, for all nodes or the one selected by `node` (a hostname
 * or one of its IP addresses). Throws `TalformError` with talhelper's messages when nothing matches.
 */
export function generateCommands(kind: GencommandKind, input: GencommandInput, node = ""): string[] {
  const talosconfig = `--talosconfig=${input.talosconfigPath ?? `${input.outDir}/talosconfig`}`;
  const extra = input.extraFlags ?? [];
  const line = (sub: string, flags: readonly string[]): string => `talosctl ${sub} ${flags.join(" ")};`;
  const byIp = (n: GencommandNode): boolean => node !== "" && nodeIpAddresses(n.ipAddress).includes(node);
  const byName = (n: GencommandNode): boolean => node !== "" && node === n.hostname;

  // apply, upgrade, reset: every address of every selected node; an IP selection targets just that IP.
  const perAddress = (sub: string, flagsFor: (n: GencommandNode, ip: string) => string[]): string[] => {
    const out: string[] = [];
    for (const n of input.nodes) {
      const targets = byIp(n) ? [node] : node === "" || byName(n) ? nodeIpAddresses(n.ipAddress) : [];
      for (const ip of targets) out.push(line(sub, [talosconfig, ...flagsFor(n, ip), ...extra]));
    }
    if (out.length === 0) throw notFound(node);
    return out;
  };

  // bootstrap, kubeconfig, upgrade-k8s: the first control plane node (first address), or the selected one.
  const controlPlaneOnly = (sub: string, lead: readonly string[]): string[] => {
    for (const n of input.nodes) {
      if (node === "" && n.controlPlane)
        return [line(sub, [talosconfig, ...lead, ...extra, `--nodes=${nodeIpAddresses(n.ipAddress)[0]}`])];
      if (byIp(n)) {
        if (!n.controlPlane) throw notControlPlane(node, true);
        return [line(sub, [talosconfig, ...lead, ...extra, `--nodes=${node}`])];
      }
      if (byName(n)) {
        if (!n.controlPlane) throw notControlPlane(node, false);
        return [line(sub, [talosconfig, ...lead, ...extra, `--nodes=${nodeIpAddresses(n.ipAddress)[0]}`])];
      }
    }
    throw notFound(node);
  };

  switch (kind) {
    case "apply":
      return perAddress("apply-config", (n, ip) => [`--nodes=${ip}`, `--file=${input.outDir}/${n.filename}`]);
    case "upgrade":
      return perAddress("upgrade", (n, ip) => {
        if (n.installerUrl === undefined)
          throw new TalformError(`internal: no installer URL for ${n.hostname}`, { code: "internal" });
        return [`--nodes=${ip}`, `--image=${n.installerUrl}`];
      });
    case "reset":
      return perAddress("reset", (_n, ip) => [`--nodes=${ip}`]);
    case "bootstrap":
      return controlPlaneOnly("bootstrap", []);
    case "kubeconfig":
      return controlPlaneOnly("kubeconfig", []);
    case "upgrade-k8s": {
      if (!input.kubernetesVersion) {
        throw new TalformError("`kubernetesVersion` is not defined in the configuration", {
          code: "kubernetes-version",
          hint: "set kubernetesVersion in talconfig.yaml",
        });
      }
      return controlPlaneOnly("upgrade-k8s", [`--to=v${input.kubernetesVersion.replace(/^v/, "")}`]);
    }
    case "health": {
      // talhelper passes a selected node string through verbatim (hostnames included).
      const target =
        node === "" ? input.nodes.find((n) => n.controlPlane) : input.nodes.find((n) => byIp(n) || byName(n));
      if (!target) throw notFound(node);
      return [
        line("health", [talosconfig, `--nodes=${node === "" ? nodeIpAddresses(target.ipAddress)[0] : node}`, ...extra]),
      ];
    }
  }
}

/** `generateCommands` as the text talhelper prints (each line followed by a newline). */
export function renderCommands(kind: GencommandKind, input: GencommandInput, node = ""): string {
  return generateCommands(kind, input, node)
    .map((l) => `${l}\n`)
    .join("");
}
