import { dirname, relative, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { formatDiagnostic, isTalformError, ExitCode, type Diagnostic } from "../diagnostics/index.js";
import { TALFORM_VERSION } from "../version.js";
import { COMMANDS } from "./commands/index.js";
import type { CliContext, CliIO } from "./context.js";
import { colourStream } from "./colour.js";
import { discoverTalconfig } from "./discovery.js";

/** Builds the commander program with every subcommand registered against `ctx`. */
export async function buildProgram(ctx: CliContext): Promise<Command> {
  const program = new Command("talform")
    .description("Run Talos Linux clusters from one declarative talconfig.yaml.")
    .version(TALFORM_VERSION, "-v, --version", "print the talform version")
    .addOption(new Option("--debug", "print stack traces for internal errors"))
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  program.hook("preAction", (thisCommand, actionCommand) => {
    ctx.debug = Boolean(thisCommand.opts<{ debug?: boolean }>().debug);
    useDiscoveredTalconfig(ctx, actionCommand);
  });
  for (const load of COMMANDS) (await load())(program, ctx);
  // Every subcommand inherits output routing and exit override so tests can run the CLI in-process.
  for (const cmd of program.commands) {
    cmd.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) }).exitOverride();
    cmd.showHelpAfterError("(run with --help for usage)");
  }
  return program;
}

/** Commands without -c that still work beside talconfig.yaml. */
const WORK_BESIDE_TALCONFIG = new Set(["gensecret", "kubeconfig", "sim down", "sim status", "sim fault"]);

/**
 * Config discovery: without -c, a command that reads talconfig.yaml uses the one `discoverTalconfig` finds and runs
 * as if started in its folder. Said once on stderr, unless it is ./talconfig.yaml.
 */
function useDiscoveredTalconfig(ctx: CliContext, cmd: Command): void {
  const hasConfig = cmd.options.some((o) => o.long === "--config");
  const name = cmd.parent?.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name();
  if (!hasConfig && !WORK_BESIDE_TALCONFIG.has(name)) return;
  if (hasConfig && (cmd.getOptionValueSource("config") === "cli" || cmd.getOptionValue("configFile") !== undefined))
    return;
  const found = discoverTalconfig(ctx.cwd);
  if (!found || dirname(found) === resolve(ctx.cwd)) return;
  const shown = relative(ctx.cwd, found);
  ctx.stderr.write(`using ${shown.startsWith("..") ? found : shown} (paths are relative to its folder)\n`);
  ctx.cwd = dirname(found);
  if (hasConfig) cmd.setOptionValueWithSource("config", "talconfig.yaml", "default");
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. Never throws: user errors are
 * printed as diagnostics, internal errors as one line (with a stack trace under --debug).
 */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  // Colour on a TTY (NO_COLOR / FORCE_COLOR respected), plain when piped or captured.
  const ctx: CliContext = {
    ...io,
    stdout: colourStream(io.env, io.stdout),
    stderr: colourStream(io.env, io.stderr),
    exitCode: ExitCode.ok,
    debug: argv.includes("--debug"),
  };
  try {
    const program = await buildProgram(ctx);
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with a CommanderError carrying exit code 0.
      if (e.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    if (isTalformError(e)) {
      for (const d of e.diagnostics) ctx.stderr.write(`${formatDiagnostic(d)}\n`);
      if (ctx.debug && e.stack) ctx.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    const file = fileProblem(e);
    if (file) {
      ctx.stderr.write(`${formatDiagnostic(file)}\n`);
      if (ctx.debug && e instanceof Error && e.stack) ctx.stderr.write(`${e.stack}\n`);
      return ExitCode.userError;
    }
    const message = e instanceof Error ? e.message : String(e);
    ctx.stderr.write(`internal error: ${message}\n`);
    if (ctx.debug && e instanceof Error && e.stack) ctx.stderr.write(`${e.stack}\n`);
    else ctx.stderr.write("(this is a bug in talform; run again with --debug for details and report it)\n");
    return ExitCode.internal;
  }
}

/** What the file system said about a file the user named: a missing or unreadable file is theirs to fix, not a bug. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: "does not exist",
  ENOTDIR: "is under something that is not a folder",
  EISDIR: "is a folder, not a file",
  EACCES: "is not readable or writable by you",
  EPERM: "is not readable or writable by you",
};

function fileProblem(e: unknown): Diagnostic | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  const what = err?.code ? FILE_ERRORS[err.code] : undefined;
  if (!what || typeof err?.path !== "string") return undefined;
  return {
    severity: "error",
    code: "file",
    message: `${err.path} ${what}`,
    hint: "check the path (relative paths start at the current folder)",
  };
}
