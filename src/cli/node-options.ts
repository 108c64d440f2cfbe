import { Option, type Command } from "commander";

// Kept free of heavy imports: command files load it eagerly to declare their flags; the client loads lazily.

/** Options every node command shares (talosctl's global flags). */
export interface NodeCommandOptions {
  nodes?: string[];
  endpoints?: string[];
  talosconfig?: string;
  context?: string;
  insecure?: boolean;
  certFingerprint?: string;
  json?: boolean;
  output?: "table" | "json" | "yaml";
}

const collectList = (value: string, previous: string[] | undefined) => [
  ...(previous ?? []),
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

export function addNodeOptions(cmd: Command, opts: { insecure?: boolean } = {}): Command {
  cmd
    .option(
      "-n, --nodes <ips>",
      "target nodes (comma-separated or repeated); default: the talosconfig context's nodes",
      collectList,
    )
    .option(
      "-e, --endpoints <ips>",
      "apid endpoints to connect through; default: the talosconfig context's endpoints",
      collectList,
    )
    .option(
      "--talosconfig <path>",
      "talosconfig file (default ./clusterconfig/talosconfig, then $TALOSCONFIG, then ~/.talos/config)",
    )
    .option("--context <name>", "talosconfig context (default: the current one)")
    .option("--json", "print JSON instead of a table")
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]));
  if (opts.insecure) {
    cmd
      .option(
        "-i, --insecure",
        "maintenance mode: no client certificate; connect to the nodes directly (first apply-config)",
      )
      .option(
        "--cert-fingerprint <sha256>",
        "with --insecure: accept only a server whose SPKI SHA-256 (base64) matches",
      );
  }
  return cmd;
}
