import type { Command } from "commander";

/**
 * The CLI's shape as plain data, read from the commander definitions. Shell completions and the README's command
 * reference are generated from it, so neither can drift from what the parser actually accepts.
 */
export interface OptionSpec {
  /** e.g. ["-n", "--nodes"]. */
  readonly names: readonly string[];
  /** The flags as written in the definition, e.g. "-n, --nodes <ips>". */
  readonly flags: string;
  readonly takesValue: boolean;
  readonly description: string;
  readonly defaultValue?: string;
}

export interface CommandSpec {
  /** Words from the program name down, e.g. ["talform", "sim", "up"]. */
  readonly path: readonly string[];
  readonly name: string;
  readonly usage: string;
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly subcommands: readonly CommandSpec[];
  /** Whether the command takes positional arguments (shells then offer file names). */
  readonly takesArguments: boolean;
  /** The allowed values of the first argument when it is a fixed list (e.g. `completion <shell>`). */
  readonly argumentChoices: readonly string[];
}

/** Reads the visible (non-hidden) commands and options of `cmd` and everything below it. */
export function commandTree(cmd: Command, parentPath: readonly string[] = []): CommandSpec {
  const help = cmd.createHelp();
  const path = [...parentPath, cmd.name()];
  const options = help.visibleOptions(cmd).map((o): OptionSpec => {
    const names = [o.short, o.long].filter((n): n is string => typeof n === "string");
    const dv: unknown = o.defaultValue;
    return {
      names,
      flags: o.flags,
      takesValue: o.required || o.optional,
      description: firstLine(o.description),
      ...(defaultText(dv, o.defaultValueDescription) === undefined
        ? {}
        : { defaultValue: defaultText(dv, o.defaultValueDescription)! }),
    };
  });
  const subcommands = help
    .visibleCommands(cmd)
    .filter(
      (c) => !(c.name() === "help" && c.commands.length === 0 && c.options.length === 0 && isImplicitHelp(cmd, c)),
    )
    .map((c) => commandTree(c, path));
  return {
    path,
    name: cmd.name(),
    usage: [...parentPath, cmd.name(), cmd.usage()].filter((s) => s !== "").join(" "),
    description: firstLine(cmd.description()),
    options,
    subcommands,
    takesArguments: cmd.registeredArguments.length > 0,
    argumentChoices: cmd.registeredArguments[0]?.argChoices ?? [],
  };
}

/** Every command of the tree, depth first, parents before children. */
export function flattenCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(flattenCommands)];
}

// commander adds a synthetic `help [command]` to every command with subcommands; it is not one of ours and adds noise
// to completions and the reference (every `--help` already documents itself).
function isImplicitHelp(parent: Command, c: Command): boolean {
  return !parent.commands.includes(c);
}

/** How a default reads in docs: booleans and empty lists are what "no option" means anyway, so they are left out. */
function defaultText(value: unknown, description: string | undefined): string | undefined {
  if (description !== undefined) return description;
  if (value === undefined || typeof value === "boolean") return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(", ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.trim();
}
