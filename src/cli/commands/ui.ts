import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { CommandDefiner } from "./index.js";

export const defineUi: CommandDefiner = (program, ctx) => {
  program
    .command("ui")
    .description("serve a local web dashboard: the cluster, the plan, live rollouts, doctor findings (docs/ui.md)")
    .option("-c, --config <file>", "talconfig file", "talconfig.yaml")
    .option("-s, --secrets <file>", "secrets bundle (default: talsecret.sops.yaml, talsecret.yaml, …)")
    .option("--listen <ip:port>", "address to serve on (port 0: a free one)", "127.0.0.1:0")
    .option("--open", "open the dashboard in the default browser")
    .option(
      "--read-only",
      "look only: no apply from the dashboard (the default when the talosconfig's role is os:reader)",
    )
    .option(
      "--talosconfig <path>",
      "talk to the nodes with this talosconfig's credentials (default: the admin ones rendered from the secrets)",
    )
    .option("--context <name>", "talosconfig context (default: the current one)")
    .action(
      async (o: {
        config: string;
        secrets?: string;
        listen: string;
        open?: boolean;
        readOnly?: boolean;
        talosconfig?: string;
        context?: string;
      }) => {
        const { startUi } = await import("../../ui/index.js");
        const ui = await startUi({
          configPath: resolve(ctx.cwd, o.config),
          cwd: ctx.cwd,
          env: ctx.env,
          listen: o.listen,
          ...(o.secrets ? { secretsFile: resolve(ctx.cwd, o.secrets) } : {}),
          ...(o.readOnly ? { readOnly: true } : {}),
          ...(o.talosconfig ? { talosconfigPath: resolve(ctx.cwd, o.talosconfig) } : {}),
          ...(o.context ? { talosconfigContext: o.context } : {}),
        });
        ctx.stdout.write(`talform ui: ${ui.url}\n`);
        ctx.stdout.write(
          `${ui.readOnly ? `read-only (${ui.readOnlyReason})` : "apply enabled (after review and confirmation)"}` +
            "; Ctrl-C stops it\n",
        );
        if (o.open) openBrowser(ui.url, (m) => void ctx.stderr.write(m));
        await new Promise<void>((done) => {
          process.once("SIGINT", done);
          process.once("SIGTERM", done);
        });
        await ui.close();
      },
    );
};

function openBrowser(url: string, warn: (m: string) => void): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  const child = spawn(cmd, args as string[], { stdio: "ignore", detached: true });
  child.on("error", () => warn(`could not start ${cmd}; open the URL above yourself\n`));
  child.unref();
}
