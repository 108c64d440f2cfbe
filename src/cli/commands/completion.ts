import { Argument } from "commander";
import type { CommandDefiner } from "./index.js";

export const defineCompletion: CommandDefiner = (program, ctx) => {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish), generated from the command definitions")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      "\nLoad it:\n  bash:  source <(talform completion bash)\n  zsh:   source <(talform completion zsh)\n  fish:  talform completion fish | source\n",
    )
    .action(async (shell: "bash" | "zsh" | "fish") => {
      const { commandTree } = await import("../command-tree.js");
      const { completionScript } = await import("../completion.js");
      ctx.stdout.write(completionScript(shell, commandTree(program)));
    });
};
