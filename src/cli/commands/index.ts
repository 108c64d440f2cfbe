import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Every subcommand lives in its own file under this folder and exports one `define…` function that declares its
 * arguments and options. The action lazily imports the library, so `talform --help` stays fast.
 * Keep this list in the order commands should appear in `talform --help`.
 */
export type CommandDefiner = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly (() => Promise<CommandDefiner>)[] = [
  async () => (await import("./gensecret.js")).defineGensecret,
  async () => (await import("./sops.js")).defineSops,
];
