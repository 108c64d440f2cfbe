import { Option, type Command } from "commander";

/**
 * An old spelling of a flag, kept working but out of the help: its value lands in `target`'s attribute, so the
 * command reads one name. (Short flags cannot be aliased this way: a short flag has one meaning everywhere.)
 */
export function hiddenAlias(cmd: Command, flags: string, target: string): Command {
  const option = new Option(flags).hideHelp();
  cmd.addOption(option);
  cmd.on(`option:${option.name()}`, (value: unknown) => cmd.setOptionValueWithSource(target, value, "cli"));
  return cmd;
}
