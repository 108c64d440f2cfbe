import { DEFAULT_TALOS_VERSION } from "../contract/index.js";
import { TalformError } from "../diagnostics/index.js";
import { nodeIpAddresses } from "./gencommand.js";
import type { Schematic } from "./schematic.js";
import {
  imageUrl,
  installerImageUrl,
  type FactoryNodeInput,
  type ImageFactorySettings,
  type MachineSpec,
} from "./urls.js";

/**
 * `talhelper genurl installer|image` output, in its two input modes (a talconfig's nodes, or flags only), so the
 * CLI only parses arguments and prints. The CLI lead wires these to `talform genurl`.
 */

export type GenurlKind = "installer" | "image";

export interface GenurlNode extends FactoryNodeInput {
  /** As written in talconfig (comma-separated list allowed); `-n` matches one of them or the hostname. */
  readonly ipAddress: string;
}

export interface GenurlOptions {
  /** `-n`: hostname or one of the node's IP addresses. */
  readonly node?: string;
  /** Precomputed schematic IDs by hostname (e.g. from --online); otherwise computed offline. */
  readonly schematicIds?: ReadonlyMap<string, string>;
}

/**
 * One line per node (`hostname: url`), or the bare URL when exactly one node is printed — talhelper's format. With
 * a talconfig, talhelper takes mode/arch/secureboot/suffix from each node's machineSpec, not from flags.
 */
export function genurlForNodes(
  kind: GenurlKind,
  nodes: readonly GenurlNode[],
  settings: ImageFactorySettings = {},
  opts: GenurlOptions = {},
): string {
  // talhelper quirk: `genurl image -n` matches any of a node's addresses, `genurl installer -n` only the whole
  // `ipAddress` string (or the hostname).
  const matchesIp = (n: GenurlNode): boolean =>
    kind === "image" ? nodeIpAddresses(n.ipAddress).includes(opts.node!) : n.ipAddress === opts.node;
  const selected = opts.node ? nodes.filter((n) => n.hostname === opts.node || matchesIp(n)) : nodes;
  // talhelper stops at the first match when a node is selected.
  const printed = opts.node ? selected.slice(0, 1) : selected;
  if (printed.length === 0) {
    throw new TalformError(`Node with IP address or hostname of ${opts.node ?? ""} is not found in the config file`, {
      code: "node-not-found",
      hint: "pass a hostname or an IP address listed in talconfig nodes[]",
    });
  }
  const lines = printed.map((n) => {
    const id = opts.schematicIds?.get(n.hostname);
    const urlOpts = id === undefined ? {} : { schematicId: id };
    return {
      hostname: n.hostname,
      url: kind === "installer" ? installerImageUrl(n, settings, urlOpts) : imageUrl(n, settings, urlOpts),
    };
  });
  if (lines.length === 1) return `${lines[0]!.url}\n`;
  return lines.map((l) => `${l.hostname}: ${l.url}\n`).join("");
}

/** `genurl` without a talconfig: the schematic comes from `-e` / `-k` flags. */
export interface GenurlFlags {
  readonly extensions?: readonly string[];
  readonly kernelArgs?: readonly string[];
  /** `-r`: honoured by `genurl installer` only (talhelper ignores it for images). */
  readonly registryURL?: string;
  /** `-v`, default the newest Talos release talform knows. */
  readonly version?: string;
  readonly machineSpec?: MachineSpec;
  readonly schematicId?: string;
  /** `--customization-file`: a schematic read from a file replaces the one built from `-e` / `-k`. */
  readonly schematic?: Schematic;
}

export function schematicFromFlags(flags: Pick<GenurlFlags, "extensions" | "kernelArgs">): Schematic {
  return {
    customization: {
      ...(flags.kernelArgs && flags.kernelArgs.length > 0 ? { extraKernelArgs: flags.kernelArgs } : {}),
      ...(flags.extensions && flags.extensions.length > 0
        ? { systemExtensions: { officialExtensions: flags.extensions } }
        : {}),
    },
  };
}

export function genurlFromFlags(kind: GenurlKind, flags: GenurlFlags): string {
  const node: FactoryNodeInput = {
    hostname: "",
    talosVersion: flags.version || DEFAULT_TALOS_VERSION,
    schematic: flags.schematic ?? schematicFromFlags(flags),
    ...(flags.machineSpec ? { machineSpec: flags.machineSpec } : {}),
  };
  const opts = { specDefaults: "flags" as const, ...(flags.schematicId ? { schematicId: flags.schematicId } : {}) };
  const url =
    kind === "installer"
      ? installerImageUrl(node, flags.registryURL ? { registryURL: flags.registryURL } : {}, opts)
      : imageUrl(node, {}, opts);
  return `${url}\n`;
}
