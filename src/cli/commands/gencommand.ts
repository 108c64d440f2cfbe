import { Option } from "commander";
import type { GencommandKind } from "../../factory/index.js";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";
import { loadFactoryView } from "./talconfig-input.js";

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter((v) => v !== "")];

const DESCRIPTIONS: Record<GencommandKind, string> = {
  apply: "talosctl apply-config for every node (or -n)",
  upgrade: "talosctl upgrade with each node's installer image",
  "upgrade-k8s": "talosctl upgrade-k8s on the first control plane (or -n)",
  bootstrap: "talosctl bootstrap on the first control plane (or -n)",
  kubeconfig: "talosctl kubeconfig from the first control plane (or -n)",
  reset: "talosctl reset for every node (or -n)",
  health: "talosctl health against the first control plane (or -n)",
};

interface GencommandOpts {
  config: string;
  configFile?: string;
  envFile: string[];
  outDir: string;
  nodes?: string;
  extraFlags: string[];
}

/**
 * `talform gencommand <kind>`: the `talosctl` lines `talhelper gencommand` prints (byte for byte), for people who
 * run talosctl by hand (`talform gencommand apply | bash`). Installer URLs are computed offline.
 */
export const defineGencommand: CommandDefiner = (program, ctx) => {
  const gencommand = program
    .command("gencommand")
    .description("print the talosctl commands talhelper gencommand prints (apply, upgrade, bootstrap, …)");
  for (const kind of ["apply", "upgrade", "upgrade-k8s", "bootstrap", "kubeconfig", "reset", "health"] as const) {
    const cmd = gencommand
      .command(kind)
      .description(DESCRIPTIONS[kind])
      .option("-c, --config <file>", "talconfig.yaml", "talconfig.yaml")
      .addOption(new Option("--config-file <file>", "talhelper's name for --config").hideHelp())
      .option(
        "--env-file <file>",
        "env file for ${VAR} substitution (repeatable; default talenv.yaml, talenv.sops.yaml, … beside the talconfig)",
        collect,
        [],
      )
      .option(
        "--out-dir <dir>",
        "folder of the generated configs and talosconfig, as written in the commands",
        "./clusterconfig",
      )
      .option("-n, --nodes <node>", "only this node (hostname or IP address)")
      .option(
        "--extra-flags <flags>",
        "flags appended to every command verbatim (repeatable, comma-separated)",
        collect,
        [],
      );
    hiddenAlias(cmd, "--node <node>", "nodes");
    if (kind === "upgrade")
      cmd.option("--offline-mode", "accepted for talhelper compatibility; installer URLs are always computed offline");
    cmd.action(async (opts: GencommandOpts) => {
      const lib = await import("../../factory/index.js");
      const { view } = await loadFactoryView(ctx, { config: opts.configFile ?? opts.config, envFile: opts.envFile });
      const installerUrls =
        kind === "upgrade"
          ? new Map(view.nodes.map((n) => [n.hostname, lib.installerImageUrl(n, view.settings)]))
          : undefined;
      const input = lib.gencommandInputFromView(view, {
        outDir: opts.outDir,
        extraFlags: opts.extraFlags,
        ...(installerUrls ? { installerUrls } : {}),
      });
      ctx.stdout.write(lib.renderCommands(kind, input, opts.nodes ?? ""));
    });
  }
};
