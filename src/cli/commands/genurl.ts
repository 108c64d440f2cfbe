import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Option } from "commander";
import { TalformError } from "../../diagnostics/index.js";
import type { FetchLike, GenurlKind, ImageFactorySettings, MachineSpec, Schematic } from "../../factory/index.js";
import type { CliContext } from "../context.js";
import { hiddenAlias } from "../aliases.js";
import type { CommandDefiner } from "./index.js";
import { loadFactoryView } from "./talconfig-input.js";

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").filter((v) => v !== "")];

interface GenurlOpts {
  config: string;
  envFile: string[];
  nodes?: string;
  registryUrl?: string;
  version?: string;
  extension: string[];
  kernelArg: string[];
  customizationFile?: string;
  talosMode?: string;
  secureBoot?: boolean;
  arch?: string;
  useUki?: boolean;
  bootMethod?: string;
  suffix?: string;
  online?: boolean;
}

const BOOT_METHODS = ["iso", "disk-image", "pxe"];

/**
 * `talform genurl installer|image`: talhelper's `genurl` (same flags, same output), always offline unless `--online`.
 * Input modes as with talhelper: `--customization-file` → one URL; else the talconfig (when the file exists) → one
 * line per node, machine spec from each node's `machineSpec`; else the schematic and spec from flags.
 */
export const defineGenurl: CommandDefiner = (program, ctx) => {
  const genurl = program
    .command("genurl")
    .description("print Image Factory installer or boot image URLs (talhelper genurl; offline schematic IDs)");
  for (const kind of ["installer", "image"] as const) {
    const cmd = genurl
      .command(kind)
      .description(
        kind === "installer"
          ? "installer image for `upgrade --image` / machine.install.image"
          : "boot media URL (ISO, disk image, UKI, PXE)",
      )
      .option("-c, --config <file>", "talconfig.yaml (its nodes are used when it exists)", "talconfig.yaml")
      .addOption(new Option("--config-file <file>", "talhelper's name for --config").hideHelp())
      .option(
        "--env-file <file>",
        "env file for ${VAR} substitution (repeatable; default talenv.yaml, talenv.sops.yaml, … beside the talconfig)",
        collect,
        [],
      )
      .option("-n, --nodes <node>", "only this node (hostname or IP address)")
      .option("--customization-file <file>", "a schematic file: print one URL for it (talconfig ignored)")
      .option("--extension <name>", "official extension for the schematic (no talconfig; repeatable)", collect, [])
      .option("--kernel-arg <arg>", "extra kernel argument for the schematic (no talconfig; repeatable)", collect, [])
      .option("-r, --registry-url <host>", "image factory host (no talconfig; installer only, as talhelper)")
      // talhelper's `-v/--version` is talform's own version flag, so the Talos version has a longer name here.
      .option("--talos-version <version>", "Talos version (no talconfig; talhelper's -v; default the newest known)")
      .option("--talos-mode <mode>", "platform, e.g. metal, aws, nocloud (no talconfig)")
      .option("--secure-boot", "SecureBoot image (no talconfig)")
      .addOption(new Option("--secureboot", "alias of --secure-boot").hideHelp())
      .option("--offline-mode", "accepted for talhelper compatibility; talform is always offline unless --online")
      .option("--online", "POST each schematic to the image factory and check its ID equals ours");
    hiddenAlias(cmd, "--node <node>", "nodes");
    if (kind === "image") {
      cmd
        .option("-a, --arch <arch>", "amd64 or arm64 (no talconfig)")
        .option("--use-uki", "UKI image when SecureBoot is on (no talconfig)")
        .option("--boot-method <method>", "iso, disk-image or pxe (no talconfig)")
        .option("--suffix <suffix>", "image file extension, e.g. raw.xz, qcow2 (no talconfig)");
    }
    cmd.action(
      async (
        raw: Omit<GenurlOpts, "version"> & { configFile?: string; secureboot?: boolean; talosVersion?: string },
      ) => {
        const { configFile, secureboot, talosVersion, ...rest } = raw;
        const opts: GenurlOpts = {
          ...rest,
          config: configFile ?? raw.config,
          ...(secureboot ? { secureBoot: true } : {}),
          ...(talosVersion !== undefined ? { version: talosVersion } : {}),
        };
        ctx.stdout.write(await runGenurl(ctx, kind, opts));
      },
    );
  }
};

async function runGenurl(ctx: CliContext, kind: GenurlKind, opts: GenurlOpts): Promise<string> {
  const lib = await import("../../factory/index.js");
  if (opts.bootMethod !== undefined && !BOOT_METHODS.includes(opts.bootMethod)) {
    throw new TalformError(`invalid --boot-method ${opts.bootMethod}`, {
      code: "usage",
      hint: "use one of iso, disk-image, pxe",
      exitCode: 64,
    });
  }
  const spec: MachineSpec = {
    ...(opts.talosMode ? { mode: opts.talosMode } : {}),
    ...(opts.arch ? { arch: opts.arch } : {}),
    ...(opts.secureBoot ? { secureboot: true } : {}),
    ...(opts.useUki ? { useUKI: true } : {}),
    ...(kind === "image" ? { bootMethod: opts.bootMethod ?? "iso" } : {}),
    ...(opts.suffix ? { imageSuffix: opts.suffix } : {}),
  };
  const fromFlags = async (schematic?: Schematic): Promise<string> => {
    const flags = {
      extensions: opts.extension,
      kernelArgs: opts.kernelArg,
      ...(opts.registryUrl ? { registryURL: opts.registryUrl } : {}),
      ...(opts.version ? { version: opts.version } : {}),
      machineSpec: spec,
      ...(schematic ? { schematic } : {}),
    };
    const s = schematic ?? lib.schematicFromFlags(flags);
    const id = opts.online
      ? await onlineId(ctx, s, kind === "installer" && opts.registryUrl ? { registryURL: opts.registryUrl } : {})
      : undefined;
    return lib.genurlFromFlags(kind, { ...flags, ...(id ? { schematicId: id } : {}) });
  };

  if (opts.customizationFile) {
    const file = resolve(ctx.cwd, opts.customizationFile);
    const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new TalformError(`cannot read ${opts.customizationFile}: ${e.code ?? e.message}`, {
        code: "read-file",
        hint: "check the path",
      });
    });
    return fromFlags(lib.parseSchematic(text, opts.customizationFile));
  }
  if (!existsSync(resolve(ctx.cwd, opts.config))) return fromFlags();

  const { view } = await loadFactoryView(ctx, { config: opts.config, envFile: opts.envFile });
  let schematicIds: Map<string, string> | undefined;
  if (opts.online) {
    schematicIds = new Map();
    for (const n of view.nodes) {
      const s = (kind === "image" ? (n.imageSchematic ?? n.schematic) : n.schematic) ?? {};
      if (kind === "installer" && n.talosImageURL) continue;
      schematicIds.set(n.hostname, await onlineId(ctx, s, view.settings));
    }
  }
  return lib.genurlForNodes(kind, view.nodes, view.settings, {
    ...(opts.nodes ? { node: opts.nodes } : {}),
    ...(schematicIds ? { schematicIds } : {}),
  });
}

/** The test seam for `--online`: a command never reaches the network in tests (they replace `globalThis.fetch`). */
const defaultFetch: FetchLike = (url, init) => fetch(url, init);

async function onlineId(ctx: CliContext, schematic: Schematic, settings: ImageFactorySettings): Promise<string> {
  const lib = await import("../../factory/index.js");
  const r = await lib.fetchSchematicIdOnline(schematic, settings, defaultFetch);
  ctx.stderr.write(`image factory confirmed schematic ${r.id}\n`);
  return r.id;
}
