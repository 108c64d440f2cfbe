import { Option } from "commander";
import { addNodeOptions, type NodeCommandOptions } from "../node-options.js";
import type { CommandDefiner } from "./index.js";

const bool = (v: string) => {
  if (v === "true") return true;
  if (v === "false") return false;
  throw new Error(`expected true or false, got "${v}"`);
};
const list = (v: string, prev: string[] | undefined) => [
  ...(prev ?? []),
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

type ResetOpts = NodeCommandOptions & {
  graceful: boolean;
  reboot?: boolean;
  wipeMode: "all" | "system-disk" | "user-disks";
  systemLabelsToWipe?: string[];
  wait: boolean;
  timeout: number;
};

/** `talform reset -n NODE`: a control plane leaves etcd first; refused when that would break etcd's quorum. */
export const defineReset: CommandDefiner = (program, ctx) => {
  const cmd = program
    .command("reset")
    .description("reset one node (Reset RPC): a control plane leaves etcd first; refused when that would break quorum")
    .option("--graceful [bool]", "leave etcd and drain before the reset; only --graceful=false skips it", bool, true)
    .option("--reboot", "reboot after the reset instead of halting")
    .addOption(
      new Option("--wipe-mode <mode>", "what to wipe").choices(["all", "system-disk", "user-disks"]).default("all"),
    )
    .option(
      "--system-labels-to-wipe <labels>",
      "only these system partitions (EPHEMERAL, STATE; comma-separated or repeated)",
      list,
    )
    .option("--no-wait", "return once the node accepted the reset")
    .option("--timeout <seconds>", "how long to wait for the node to start the reset", (v) => Number(v), 300);
  addNodeOptions(cmd).action(async (opts: ResetOpts) => {
    const cli = await import("../node-client.js");
    const { resetWithGuards, ResetRefused } = await import("../../etcd/index.js");
    const { TalformError } = await import("../../diagnostics/index.js");
    await cli.withClient(ctx, opts, async (client) => {
      const node = cli.singleNode(client, "reset");
      try {
        await resetWithGuards(
          client,
          node,
          {
            graceful: opts.graceful,
            reboot: opts.reboot ?? false,
            wipeMode: opts.wipeMode,
            systemLabelsToWipe: opts.systemLabelsToWipe ?? [],
            wait: opts.wait,
            timeoutMs: opts.timeout * 1000,
          },
          (line) => void ctx.stderr.write(`${line}\n`),
        );
      } catch (e) {
        if (e instanceof ResetRefused) throw new TalformError(e.message, { code: "etcd-quorum", hint: e.hint });
        throw e;
      }
      ctx.stdout.write(`reset ${node}${opts.wait ? ": the node left its boot" : ""}\n`);
    });
  });
};
