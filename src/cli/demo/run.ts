import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { DEFAULT_TALOS_VERSION, TALOS_MINORS, parseTalosVersion } from "../../contract/index.js";
import { TalformError } from "../../diagnostics/index.js";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { runCli } from "../program.js";
import type { CliIO } from "../context.js";
import type { Fleet, SimImageFactory } from "../../sim/index.js";
import type * as Factory from "../../factory/index.js";
import { pickFreeSubnet } from "./subnet.js";
import {
  DEFAULT_DEMO_SUBNET,
  DEFAULT_NODE_COUNTS,
  addExtensionToNode,
  demoNodes,
  homelabTalconfig,
  sopsConfig,
  type DemoNode,
  type NodeCounts,
} from "./homelab.js";

export interface DemoOptions {
  readonly counts?: NodeCounts;
  /** Keep the cluster folder here (created if missing) instead of a temp folder that is removed at the end. */
  readonly keepDir?: string;
  /** Multiplies every simulated duration (1 = real-ish timings: a reboot takes ~3 s). */
  readonly timeScale?: number;
  /** First three octets of the loopback /24 the nodes listen on. */
  readonly subnet?: string;
  /** Where the narration goes. */
  readonly write: (text: string) => void;
  /** Clock for the step timings (injected in tests). */
  readonly now?: () => number;
  /** How `gensecret` makes the bundle (see CliIO.generateSecrets; injected in tests). */
  readonly generateSecrets?: CliIO["generateSecrets"];
}

export interface DemoResult {
  readonly dir: string;
  readonly kept: boolean;
  readonly nodes: readonly DemoNode[];
  readonly steps: number;
}

/** The extension the demo adds to the GPU worker: an image change, so the node needs `upgrade`, not `apply-config`. */
export const ADDED_EXTENSION = "siderolabs/qemu-guest-agent";

interface Ctx {
  readonly dir: string;
  readonly nodes: readonly DemoNode[];
  readonly env: Record<string, string>;
  readonly write: (text: string) => void;
  readonly timeScale: number;
  readonly generateSecrets: CliIO["generateSecrets"];
  /** --keep: the folder stays after a failure too, so the advice is to look at it rather than to rerun. */
  readonly kept: boolean;
  fleet?: Fleet;
  factory?: SimImageFactory;
  /** The boot schematics of the simulated machines (id → extensions); the factory registers them too. */
  readonly schematics: Record<string, readonly string[]>;
}

/**
 * `talform demo`: the seed operator's workflow, end to end, against simulated Talos nodes on loopback addresses.
 * Every step runs the real talform command in-process (the same code a user runs), shows what the operator would
 * have typed by hand, and stops at the first failure. The simulated fleet is always stopped before returning.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const counts = options.counts ?? DEFAULT_NODE_COUNTS;
  // A given subnet is used as it is (a clash then fails the boot step, located); the default moves aside when taken.
  const subnet = options.subnet ?? (await pickFreeSubnet((s) => demoNodes(counts, s).map((n) => n.address)));
  if (options.subnet === undefined && subnet !== DEFAULT_DEMO_SUBNET)
    options.write(`(${DEFAULT_DEMO_SUBNET}.x is in use; the demo runs on ${subnet}.x)\n`);
  const nodes = demoNodes(counts, subnet);
  const root = options.keepDir ?? (await mkdtemp(join(tmpdir(), "talform-demo-")));
  const dir = join(root, "iac", "talos");
  await mkdir(dir, { recursive: true });

  const identity = await generateIdentity();
  const ctx: Ctx = {
    dir,
    nodes,
    write: options.write,
    timeScale: options.timeScale ?? 1,
    generateSecrets: options.generateSecrets,
    kept: options.keepDir !== undefined,
    schematics: {},
    // The commands see only this environment: the age identity lives here (never on disk unless --keep), HOME points
    // into the demo folder so no talosconfig or age key of yours is read, and the loopback guard is on.
    env: { SOPS_AGE_KEY: identity, HOME: root, XDG_CONFIG_HOME: join(root, ".config"), TALFORM_LOOPBACK_ONLY: "1" },
  };
  const w = options.write;
  const kinds = `${counts.cp} control plane${counts.cp === 1 ? "" : "s"}, ${counts.gpu} NVIDIA GPU worker${counts.gpu === 1 ? "" : "s"}, ${counts.worker} Longhorn worker${counts.worker === 1 ? "" : "s"}`;
  w(`talform demo: the seed's homelab (${kinds}) on simulated Talos nodes\n`);
  w(`cluster folder: ${dir}\n`);

  const steps = demoSteps(identity, options.keepDir !== undefined);
  let n = 0;
  try {
    for (const step of steps) {
      n++;
      const t0 = now();
      w(`\n[${n}/${steps.length}] ${step.title}\n`);
      for (const line of step.byHand) w(`  by hand:  ${line}\n`);
      await step.run(ctx);
      w(`  (${((now() - t0) / 1000).toFixed(1)} s)\n`);
    }
  } finally {
    if (ctx.fleet) await ctx.fleet.stop();
    if (ctx.factory) await ctx.factory.stop();
    if (options.keepDir === undefined) await rm(root, { recursive: true, force: true });
  }
  w(`\ndone in ${((now() - started) / 1000).toFixed(1)} s; the simulated nodes are stopped, nothing is listening.\n`);
  if (options.keepDir !== undefined) {
    w(
      `the cluster folder is kept: ${dir}\n  its age identity (for this throwaway cluster only) is ${join(root, "age.key")}:\n`,
    );
    w(`  cd ${dir} && SOPS_AGE_KEY_FILE=${join(root, "age.key")} talform sops decrypt talsecret.sops.yaml\n`);
  }
  return { dir, kept: options.keepDir !== undefined, nodes, steps: steps.length };
}

interface Step {
  readonly title: string;
  readonly byHand: readonly string[];
  run(ctx: Ctx): Promise<void>;
}

function demoSteps(identity: string, keep: boolean): Step[] {
  return [
    {
      title: "Write the cluster definition",
      byHand: ["write iac/talos/talconfig.yaml, run age-keygen, put the recipient into .sops.yaml"],
      async run(ctx) {
        const recipient = await identityToRecipient(identity);
        const k8s = TALOS_MINORS.find(
          (m) =>
            m.minor ===
            `v${parseTalosVersion(DEFAULT_TALOS_VERSION)!.major}.${parseTalosVersion(DEFAULT_TALOS_VERSION)!.minor}`,
        )!.defaultKubernetesVersion;
        await writeFile(
          join(ctx.dir, "talconfig.yaml"),
          homelabTalconfig(ctx.nodes, { talosVersion: DEFAULT_TALOS_VERSION, kubernetesVersion: `v${k8s}` }),
        );
        await writeFile(join(ctx.dir, ".sops.yaml"), sopsConfig(recipient));
        if (keep)
          await writeFileAtomic(
            join(ctx.dir, "..", "..", "age.key"),
            `# talform demo: throwaway age identity\n${identity}\n`,
            { mode: 0o600 },
          );
        ctx.write(
          `  talform:  wrote talconfig.yaml (${ctx.nodes.length} nodes on ${ctx.nodes[0]!.address.replace(/\.\d+$/, ".x")}, Talos ${DEFAULT_TALOS_VERSION}, Kubernetes v${k8s}),\n`,
        );
        ctx.write(
          `            .sops.yaml for a fresh age recipient ${recipient.slice(0, 16)}… (its identity stays in memory${keep ? " and age.key" : ""})\n`,
        );
        for (const node of ctx.nodes)
          ctx.write(`            ${node.hostname.padEnd(8)} ${node.address.padEnd(13)} ${node.kind}\n`);
      },
    },
    {
      title: "Validate talconfig.yaml",
      byHand: ["(nothing: talhelper ignores unknown keys and has no policy checks)"],
      async run(ctx) {
        await talform(ctx, ["validate"]);
      },
    },
    {
      title: "Generate the cluster secrets, encrypted",
      byHand: [
        "talhelper gensecret > talsecret.sops.yaml && sops -e -i talsecret.sops.yaml   (plaintext on disk in between)",
      ],
      async run(ctx) {
        await talform(ctx, ["gensecret", "--out", "talsecret.sops.yaml"]);
        const text = await readFile(join(ctx.dir, "talsecret.sops.yaml"), "utf8");
        if (!/^sops:/m.test(text)) throw new Error("talsecret.sops.yaml is not SOPS-encrypted");
        ctx.write(
          `  on disk:  talsecret.sops.yaml is SOPS-encrypted (${text.split("ENC[AES256_GCM").length - 1} encrypted values, mode 0600)\n`,
        );
      },
    },
    {
      title: "Render every node's machine config and the talosconfig",
      byHand: ["talhelper genconfig"],
      async run(ctx) {
        await talform(ctx, ["genconfig"]);
      },
    },
    {
      title: "Boot the machines (simulated) into maintenance mode",
      byHand: ["talhelper genurl image, download each ISO, boot each machine from it"],
      async run(ctx) {
        await talform(ctx, ["genurl", "image"]);
        const [
          { startFleet, SimImageFactory },
          { loadTalconfig },
          { createSopsDecryptor },
          { parseSecretsBundle },
          factory,
        ] = await Promise.all([
          import("../../sim/index.js"),
          import("../../talconfig/index.js"),
          import("../../sops/index.js"),
          import("../../secrets/index.js"),
          import("../../factory/index.js"),
        ]);
        const loaded = await loadTalconfig({ path: join(ctx.dir, "talconfig.yaml"), env: ctx.env });
        if (!loaded.config) throw new Error("talconfig.yaml did not load");
        // The simulated nodes trust the cluster's OS CA, so the talosconfig genconfig writes can talk to them.
        const secretsPath = join(ctx.dir, "talsecret.sops.yaml");
        const bundle = parseSecretsBundle(
          await createSopsDecryptor(ctx.env).decrypt(await readFile(secretsPath, "utf8"), secretsPath),
        );
        // The machines booted the factory ISOs of their talconfig schematics (`genurl image` registers them); the edit
        // this demo makes later is registered by `talform apply` itself (register-schematic), as with the real factory.
        const simFactory = new SimImageFactory();
        await simFactory.start("127.0.0.1", 0);
        ctx.factory = simFactory;
        ctx.env["TALFORM_IMAGE_FACTORY"] = simFactory.url;
        const bootSchematic = new Map(
          loaded.nodes.map((node) => [node.hostname, registerSchematic(ctx, factory, simFactory, node.schematic)]),
        );
        ctx.fleet = await startFleet(
          {
            clusterName: loaded.config.clusterName,
            osCA: bundle.certs.os,
            schematics: ctx.schematics,
            kubernetesEndpoint: loaded.config.endpoint,
            // Each machine boots the Image Factory ISO of its own schematic (`talform genurl image`), so it runs its
            // extensions from the first boot, as a real one would.
            nodes: loaded.nodes.map((node) => ({
              hostname: node.hostname,
              address: node.ipAddresses[0]!,
              controlPlane: node.controlPlane,
              talosVersion: node.talosVersion,
              schematicId: bootSchematic.get(node.hostname)!,
            })),
          },
          { timeScale: ctx.timeScale, imageFactory: simFactory },
        );
        ctx.write(
          `  talform:  a simulated Image Factory serves ${simFactory.registered().length} schematic(s) on ${simFactory.url}\n`,
        );
        ctx.write(
          `  talform:  ${ctx.fleet.nodes.length} simulated Talos nodes serve the Talos API on ${ctx.nodes.map((n) => n.address).join(", ")} port 50000\n`,
        );
        await talform(ctx, ["version", "--insecure", "-n", ctx.nodes.map((n) => n.address).join(",")]);
      },
    },
    {
      title: "Plan the first install",
      byHand: ["decide per node: apply-config --insecure, wait for the install and reboot, then bootstrap etcd once"],
      async run(ctx) {
        await talform(ctx, ["plan"], { expectCodes: [2], show: planSummary });
      },
    },
    {
      title: "Apply the plan: install every node, bootstrap etcd",
      byHand: [
        "talosctl apply-config --insecure --nodes <ip> --file clusterconfig/<node>.yaml   (once per node)",
        "talosctl bootstrap --nodes <first control plane>",
      ],
      async run(ctx) {
        // Control planes go one at a time whatever --max-parallel says (etcd quorum); workers may go together.
        await talform(ctx, ["apply", "--yes", "--max-parallel", "3"], { show: rolloutSteps });
      },
    },
    {
      title: "Check the cluster's health",
      byHand: ["talosctl health --nodes <control plane>; talosctl services --nodes <ip>   (per node)"],
      async run(ctx) {
        await talform(ctx, ["health", "--wait-timeout", `${Math.max(10, Math.ceil(60 * ctx.timeScale))}s`]);
      },
    },
    {
      title: `Add ${ADDED_EXTENSION} to the GPU worker in talconfig.yaml`,
      byHand: ["edit talconfig.yaml; talhelper genconfig"],
      async run(ctx) {
        const gpu = ctx.nodes.find((n) => n.kind === "gpu");
        if (!gpu) {
          ctx.write("  (skipped: this demo cluster has no GPU worker)\n");
          return;
        }
        const path = join(ctx.dir, "talconfig.yaml");
        await writeFile(path, addExtensionToNode(await readFile(path, "utf8"), gpu.hostname, ADDED_EXTENSION));
        const factory = await import("../../factory/index.js");
        const { loadTalconfig } = await import("../../talconfig/index.js");
        const loaded = await loadTalconfig({ path, env: ctx.env });
        const node = loaded.nodes.find((n) => n.hostname === gpu.hostname)!;
        const extensions = node.schematic?.customization?.systemExtensions?.officialExtensions ?? [];
        const id = factory.schematicId(factory.schematicFromValue(node.schematic ?? {}));
        ctx.write(`  talform:  ${gpu.hostname}'s schematic is now ${id.slice(0, 12)}… (${extensions.join(", ")})\n`);
        await talform(ctx, ["genconfig"]);
      },
    },
    {
      title: "Plan the change: the GPU worker needs an upgrade, nothing else changes",
      byHand: ["know that an extension change needs `talosctl upgrade` (not apply-config), on that node only"],
      async run(ctx) {
        const gpu = ctx.nodes.find((n) => n.kind === "gpu");
        if (!gpu) {
          // Nothing was edited, so there is nothing to plan but "no changes".
          await talform(ctx, ["plan"], { show: planSummary });
          return;
        }
        await talform(ctx, ["plan"], { expectCodes: [2] });
        const plan = JSON.parse(await talform(ctx, ["plan", "--json"], { expectCodes: [2], quiet: true })) as {
          nodes: { hostname: string; actions: { type: string }[] }[];
        };
        const changed = plan.nodes.filter((n) => n.actions.length > 0);
        if (
          changed.length !== 1 ||
          changed[0]!.hostname !== gpu.hostname ||
          changed[0]!.actions[0]?.type !== "upgrade"
        ) {
          throw new TalformError(
            `demo: expected the plan to upgrade ${gpu.hostname} only, got ${changed.map((n) => `${n.hostname}: ${n.actions.map((a) => a.type).join(", ")}`).join("; ")}`,
            { code: "demo" },
          );
        }
        for (const n of changed)
          ctx.write(
            `  talform:  chose ${n.actions.map((a) => a.type).join(" + ")} for ${n.hostname}; the other ${plan.nodes.length - changed.length} nodes stay as they are\n`,
          );
      },
    },
    {
      title: "Apply it",
      byHand: ['talosctl upgrade --nodes <gpu ip> --image "$(talhelper genurl installer -c talconfig.yaml -n gpu1)"'],
      async run(ctx) {
        if (!ctx.nodes.some((n) => n.kind === "gpu")) {
          ctx.write("  (skipped: nothing changed)\n");
          return;
        }
        await talform(ctx, ["apply", "--yes"], { show: rolloutSteps });
        const posts = ctx.factory?.requests.filter((r) => r.method === "POST") ?? [];
        ctx.write(
          `  talform:  the simulated Image Factory logged ${posts.map((r) => `POST ${r.path} ${r.status}`).join(", ") || "no POST"}\n`,
        );
        await talform(ctx, ["plan"], { show: planSummary });
      },
    },
    {
      title: "Ask the doctor whether the cluster matches talconfig.yaml",
      byHand: [
        "compare talosctl get extensions / services / addresses / resolvers of every node with talconfig.yaml by eye",
      ],
      async run(ctx) {
        await talform(ctx, ["doctor"]);
      },
    },
  ];
}

/** Registers a boot schematic with the simulated Image Factory (as downloading its ISO did). */
function registerSchematic(ctx: Ctx, factory: typeof Factory, simFactory: SimImageFactory, schematic: unknown): string {
  const parsed = factory.schematicFromValue(schematic ?? {});
  const id = simFactory.register(parsed);
  ctx.schematics[id] = [...(parsed.customization?.systemExtensions?.officialExtensions ?? [])];
  return id;
}

/** A plan as the narration shows it: the per-node table and the summary, not every document of a first install. */
export function planSummary(lines: string[]): string[] {
  const table = lines.findIndex((l) => /^NODE\s+ROLE/.test(l));
  const end = lines.findIndex((l, i) => i > table && !/^\S+\s+(controlplane|worker)\s/.test(l));
  const summary = lines.filter((l) => /^(Plan: |Plan incomplete: |No changes\.)/.test(l));
  return table < 0 ? lines : [...lines.slice(table, end < 0 ? undefined : end), ...summary];
}

/** An apply as the narration shows it: the rollout's steps (the plan was shown just before), without timestamps. */
export function rolloutSteps(lines: string[]): string[] {
  const steps = lines.filter((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l)).map((l) => l.replace(/^\S+ /, ""));
  return steps.length > 0 ? steps.filter((l) => !l.endsWith(" …")) : lines;
}

const MAX_LINES = 40;
const MAX_WIDTH = 160;

/** A command's output as the narration shows it: long lines (full config documents in a plan) and long outputs cut. */
export function excerpt(output: string): string[] {
  const lines = output
    .trimEnd()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => (l.length > MAX_WIDTH ? `${l.slice(0, MAX_WIDTH - 1)}…` : l));
  return lines.length > MAX_LINES
    ? [...lines.slice(0, MAX_LINES - 1), `… (${lines.length - MAX_LINES + 1} more lines)`]
    : lines;
}

/** Runs one talform command in the cluster folder, shows it and its output, and fails the demo when it fails. */
async function talform(
  ctx: Ctx,
  argv: readonly string[],
  options: { expectCodes?: readonly number[]; quiet?: boolean; show?: (lines: string[]) => string[] } = {},
): Promise<string> {
  const expectCodes = options.expectCodes ?? [0];
  let out = "";
  const sink = { write: (s: string) => ((out += s), true) };
  ctx.write(`  $ talform ${argv.join(" ")}\n`);
  const code = await runCli(argv, {
    stdout: sink,
    stderr: sink,
    env: ctx.env,
    cwd: ctx.dir,
    ...(ctx.generateSecrets ? { generateSecrets: ctx.generateSecrets } : {}),
  });
  const failed = !expectCodes.includes(code);
  const shown = failed || !options.show ? out : options.show(out.split("\n")).join("\n");
  if (!options.quiet || failed) for (const line of excerpt(shown)) ctx.write(`    ${line}\n`);
  if (failed) {
    throw new TalformError(`demo step failed: talform ${argv.join(" ")} exited ${code}`, {
      code: "demo",
      hint: ctx.kept
        ? `the output above says why; the cluster folder is kept in ${ctx.dir}`
        : "the output above says why; rerun with --keep DIR to inspect the cluster folder",
    });
  }
  return out;
}
