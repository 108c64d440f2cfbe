import type { Command } from "commander";
import type { CliContext } from "../context.js";

/**
 * Every subcommand lives in its own file under this folder and exports one `define…` function that declares its
 * arguments and options. The action lazily imports the library, so `talform --help` stays fast.
 * Keep this list in the order commands should appear in `talform --help`.
 */
export type CommandDefiner = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly (() => Promise<CommandDefiner>)[] = [
  async () => (await import("./demo.js")).defineDemo,
  async () => (await import("./init.js")).defineInit,
  async () => (await import("./validate.js")).defineValidate,
  async () => (await import("./schema.js")).defineSchema,
  async () => (await import("./version.js")).defineVersion,
  async () => (await import("./services.js")).defineServices,
  async () => (await import("./logs.js")).defineLogs,
  async () => (await import("./dmesg.js")).defineDmesg,
  async () => (await import("./get.js")).defineGet,
  async () => (await import("./apply-config.js")).defineApplyConfig,
  async () => (await import("./upgrade.js")).defineUpgrade,
  async () => (await import("./reboot.js")).defineReboot,
  async () => (await import("./bootstrap.js")).defineBootstrap,
  async () => (await import("./etcd.js")).defineEtcd,
  async () => (await import("./reset.js")).defineReset,
  async () => (await import("./recover.js")).defineRecover,
  async () => (await import("./kubeconfig.js")).defineKubeconfig,
  async () => (await import("./sim.js")).defineSim,
  async () => (await import("./schematic.js")).defineSchematic,
  async () => (await import("./genurl.js")).defineGenurl,
  async () => (await import("./gencommand.js")).defineGencommand,
  async () => (await import("./genconfig.js")).defineGenconfig,
  async () => (await import("./gensecret.js")).defineGensecret,
  async () => (await import("./migrate.js")).defineMigrate,
  async () => (await import("./sops.js")).defineSops,
  async () => (await import("./age.js")).defineAge,
  async () => (await import("./completion.js")).defineCompletion,
  async () => (await import("./plan.js")).definePlan,
  async () => (await import("./apply.js")).defineApply,
  async () => (await import("./upgrade-k8s.js")).defineUpgradeK8s,
  async () => (await import("./health.js")).defineHealth,
  async () => (await import("./doctor.js")).defineDoctor,
  async () => (await import("./ui.js")).defineUi,
  async () => (await import("./controller.js")).defineController,
];
