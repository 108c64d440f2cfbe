import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { TalformError } from "../../diagnostics/index.js";
import type { CliContext } from "../context.js";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";

async function readInput(ctx: CliContext, file: string | undefined): Promise<{ text: string; name: string }> {
  if (file === undefined || file === "-") {
    if (!ctx.stdin)
      throw new TalformError("no schematic given", {
        code: "usage",
        hint: "pass a schematic file, or pipe one to `talform schematic id -`",
      });
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.stdin)
      chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
    return { text: Buffer.concat(chunks).toString("utf8"), name: "<stdin>" };
  }
  try {
    return { text: await readFile(resolve(ctx.cwd, file), "utf8"), name: file };
  } catch (e) {
    throw new TalformError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      code: "read-file",
      hint: "check the path",
    });
  }
}

interface OnlineOptions {
  online?: boolean;
  registryUrl?: string;
  protocol?: string;
  schematicEndpoint?: string;
}

/**
 * `talform schematic id [FILE|-]` prints the Image Factory schematic ID of a schematic file, computed offline.
 * `talform schematic canonical [FILE|-]` prints the exact YAML the ID is the SHA-256 of.
 */
export const defineSchematic: CommandDefiner = (program, ctx) => {
  const cmd = program.command("schematic").description("Image Factory schematics: offline IDs and canonical form");

  cmd
    .command("id")
    .description("print the schematic ID of a schematic YAML/JSON file (offline; --online also asks the factory)")
    .argument("[file]", "schematic file, or - for stdin", "-")
    .option("--online", "also POST the schematic to the image factory and check its ID equals ours")
    .option("--registry-url <host>", "image factory host for --online", "factory.talos.dev")
    .option("--protocol <protocol>", "image factory protocol for --online", "https")
    .option("--schematic-endpoint <path>", "schematic endpoint for --online", "/schematics")
    .action(async (file: string, opts: OnlineOptions) => {
      const lib = await import("../../factory/index.js");
      const input = await readInput(ctx, file);
      const schematic = lib.parseSchematic(input.text, input.name);
      if (opts.online) {
        const settings = {
          registryURL: opts.registryUrl ?? "",
          protocol: opts.protocol ?? "",
          schematicEndpoint: opts.schematicEndpoint ?? "",
        };
        const r = await lib.fetchSchematicIdOnline(schematic, settings, (url, init) => fetch(url, init));
        ctx.stdout.write(`${r.id}\n`);
        return;
      }
      ctx.stdout.write(`${lib.schematicId(schematic)}\n`);
    });

  cmd
    .command("canonical")
    .description("print the canonical YAML the factory hashes for a schematic file")
    .argument("[file]", "schematic file, or - for stdin", "-")
    .action(async (file: string) => {
      const lib = await import("../../factory/index.js");
      const input = await readInput(ctx, file);
      ctx.stdout.write(lib.canonicalSchematicYaml(lib.parseSchematic(input.text, input.name)));
    });

  const show = cmd
    .command("show")
    .description("print a talconfig node's schematic in canonical form (its ID on stderr, or only the ID with --id)")
    .option("-n, --nodes <node>", "hostname or IP address of the node (required)")
    .option("-c, --config <file>", "talconfig.yaml", "talconfig.yaml")
    .option(
      "--env-file <file>",
      "env file for ${VAR} substitution (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option("--image", "the schematic of the node's boot media (imageSchematic, else schematic)")
    .option("--id", "print only the schematic ID");
  hiddenAlias(show, "--node <node>", "nodes").action(
    async (opts: { nodes?: string; config: string; envFile: string[]; image?: boolean; id?: boolean }) => {
      const wanted = opts.nodes;
      if (!wanted)
        throw new TalformError("schematic show needs the node: -n NODE", {
          code: "usage",
          hint: "e.g. talform schematic show -n cp1",
          exitCode: 64,
        });
      const lib = await import("../../factory/index.js");
      const { loadFactoryView } = await import("./talconfig-input.js");
      const { view } = await loadFactoryView(ctx, { config: opts.config, envFile: opts.envFile });
      const node = view.nodes.find(
        (n) => n.hostname === wanted || n.ipAddress === wanted || lib.nodeIpAddresses(n.ipAddress).includes(wanted),
      );
      if (!node) {
        throw new TalformError(`node ${wanted} is not in ${opts.config}`, {
          code: "node-not-found",
          hint: `pass one of: ${view.nodes.map((n) => n.hostname).join(", ")}`,
        });
      }
      const schematic = (opts.image ? (node.imageSchematic ?? node.schematic) : node.schematic) ?? {};
      const id = lib.schematicId(schematic);
      if (opts.id) {
        ctx.stdout.write(`${id}\n`);
        return;
      }
      ctx.stdout.write(lib.canonicalSchematicYaml(schematic));
      ctx.stderr.write(`schematic ID ${id}\n`);
    },
  );

  for (const sub of cmd.commands) {
    sub.configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) }).exitOverride();
  }
};
