import { relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { CliContext } from "../context.js";
import type { CommandDefiner } from "./index.js";

const collect = (value: string, previous: string[]) => [...previous, value];

interface InitOpts {
  name?: string;
  endpoint?: string;
  talosVersion?: string;
  kubernetesVersion?: string;
  node: string[];
  prefix: number;
  gateway?: string;
  nameservers: string;
  timeServers: string;
  fromTalhelper?: boolean;
  force?: boolean;
  key: boolean;
}

export const defineInit: CommandDefiner = (program, ctx) => {
  program
    .command("init")
    .description(
      "start a cluster folder: talconfig.yaml, .sops.yaml, .gitignore and, when you have none, an age key; then validate",
    )
    .argument("[dir]", "the cluster folder (the seed's layout)", "iac/talos")
    .option("--name <name>", "cluster name (asked when missing on a terminal)")
    .option(
      "--endpoint <url>",
      "Kubernetes API endpoint, e.g. https://10.0.10.10:6443 (default: the first control plane's)",
    )
    .option("--talos-version <vX.Y.Z>", "Talos version (default: talform's default)")
    .option("--kubernetes-version <vX.Y.Z>", "Kubernetes version (default: the Talos version's default)")
    .option(
      "--node <name=ip:role>",
      "a node: role controlplane or worker (repeatable), e.g. cp1=10.0.10.11:controlplane",
      collect,
      [],
    )
    .option("--prefix <bits>", "prefix length of the nodes' network", (v) => Number(v), 24)
    .option("--gateway <ip>", "default gateway of the nodes (without it they get no routes)")
    .option("--nameservers <ips>", "DNS servers (comma-separated)", "1.1.1.1,1.0.0.1")
    .option("--time-servers <hosts>", "NTP servers (comma-separated)", "time.cloudflare.com")
    .option(
      "--from-talhelper",
      "adopt the talhelper folder DIR as it is: add the $schema line, .sops.yaml, .gitignore, a key",
    )
    .option("--force", "replace an existing talconfig.yaml")
    .option("--no-key", "do not create an age key even when you have none")
    .action(async (dir: string, opts: InitOpts) => {
      const [init, { talconfigJsonSchemaText }] = await Promise.all([
        import("../../init/index.js"),
        import("../../talconfig/index.js"),
      ]);
      const target = resolve(ctx.cwd, dir);
      const answers = opts.fromTalhelper ? undefined : await gatherAnswers(ctx, opts);
      const result = await init.runInit({
        dir: target,
        ...(answers ? { answers } : {}),
        fromTalhelper: opts.fromTalhelper ?? false,
        force: opts.force ?? false,
        noKey: !opts.key,
        env: ctx.env,
        fs: await nodeInitFs(),
        schemaText: talconfigJsonSchemaText(),
      });
      const show = (p: string) => (relative(ctx.cwd, p).startsWith("..") ? p : relative(ctx.cwd, p));
      for (const s of result.steps)
        ctx.stderr.write(`${s.action.padEnd(7)} ${show(s.path)}${s.note ? `  (${s.note})` : ""}\n`);
      if (result.newKeyFile) ctx.stderr.write(`your age public key: ${result.recipient}\n`);
      if (!result.recipient)
        ctx.stderr.write("no age key: put a recipient into .sops.yaml before `talform gensecret`\n");
      // The folder must pass validate as written; say so now rather than at the next command.
      const { runCliCaptured } = await import("../run-captured.js");
      const check = await runCliCaptured(["validate", "-c", result.talconfigPath], ctx);
      ctx.stdout.write(check.stdout);
      if (check.code !== 0) {
        ctx.stderr.write(check.stderr);
        ctx.exitCode = check.code;
        return;
      }
      const cd = relative(ctx.cwd, target) === "" ? "" : `cd ${show(target)} && `;
      ctx.stdout.write(`next: ${cd}talform gensecret --out talsecret.sops.yaml && talform genconfig\n`);
    });
};

async function gatherAnswers(ctx: CliContext, opts: InitOpts) {
  const [init, { DEFAULT_TALOS_VERSION, TALOS_MINORS, parseTalosVersion }, { TalformError, ExitCode }] =
    await Promise.all([
      import("../../init/index.js"),
      import("../../contract/index.js"),
      import("../../diagnostics/index.js"),
    ]);
  const ask = await prompter(ctx);
  const name = opts.name ?? (await ask?.("cluster name", "homelab"));
  let nodes = opts.node.map(init.parseNodeFlag);
  if (nodes.length === 0 && ask) {
    const answer = await ask("nodes as NAME=IP:ROLE, separated by spaces", "cp1=10.0.10.11:controlplane");
    nodes = answer.split(/\s+/).filter(Boolean).map(init.parseNodeFlag);
  }
  const firstCp = nodes.find((n) => n.controlPlane);
  const endpoint =
    opts.endpoint ??
    (firstCp
      ? ask
        ? await ask("Kubernetes API endpoint", `https://${firstCp.address}:6443`)
        : `https://${firstCp.address}:6443`
      : undefined);
  const missing = [name ? "" : "--name", nodes.length > 0 ? "" : "--node"].filter(Boolean);
  if (missing.length > 0 || !name || !endpoint) {
    throw new TalformError(`init needs ${missing.join(" and ")} (stdin is not a terminal, so it cannot ask)`, {
      code: "usage",
      hint: "e.g. talform init --name lab --node cp1=10.0.10.11:controlplane --node w1=10.0.10.21:worker",
      exitCode: ExitCode.usage,
    });
  }
  const talosVersion = opts.talosVersion ?? DEFAULT_TALOS_VERSION;
  const v = parseTalosVersion(talosVersion);
  const minor = v ? TALOS_MINORS.find((m) => m.minor === `v${v.major}.${v.minor}`) : undefined;
  if (!minor)
    throw new TalformError(`--talos-version ${talosVersion} is not a Talos version talform supports`, {
      code: "usage",
      hint: `use one of ${TALOS_MINORS.map((m) => m.minor).join(", ")}`,
      exitCode: ExitCode.usage,
    });
  const kubernetesVersion = opts.kubernetesVersion ?? `v${minor.defaultKubernetesVersion}`;
  const list = (v: string) =>
    v
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    clusterName: name,
    endpoint,
    talosVersion,
    kubernetesVersion,
    nodes,
    prefix: opts.prefix,
    ...(opts.gateway ? { gateway: opts.gateway } : {}),
    nameservers: list(opts.nameservers),
    timeServers: list(opts.timeServers),
  };
}

/** A line prompt on a terminal; undefined when stdin is not one (then every answer must come from a flag). */
async function prompter(
  ctx: CliContext,
): Promise<((question: string, fallback: string) => Promise<string>) | undefined> {
  const stdin = ctx.stdin as (NodeJS.ReadableStream & { isTTY?: boolean }) | undefined;
  if (!stdin?.isTTY) return undefined;
  return async (question, fallback) => {
    const rl = createInterface({ input: stdin, output: ctx.stderr as NodeJS.WritableStream });
    try {
      return (await rl.question(`${question} [${fallback}]: `)).trim() || fallback;
    } finally {
      rl.close();
    }
  };
}

/** init's file system: atomic writes with the given mode, reads that say undefined for a missing file. */
export async function nodeInitFs() {
  const [{ readOptionalFile }, { writeFileAtomic }] = await Promise.all([
    import("../../sops/read.js"),
    import("../../util/atomic-write.js"),
  ]);
  return {
    read: readOptionalFile,
    write: (path: string, text: string, mode: number) => writeFileAtomic(path, text, { mode }),
  };
}
