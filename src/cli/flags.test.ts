import { test } from "node:test";
import assert from "node:assert/strict";
import type { Command } from "commander";
import { buildProgram } from "./program.js";
import type { CliContext } from "./context.js";

// One flag vocabulary (docs/cli.md): a short flag means the same long flag in every command, hidden aliases included
// (they parse too). The long flags that carry the vocabulary's meanings are pinned below.

async function allOptions(): Promise<{ short?: string; long?: string; command: string }[]> {
  const sink = { write: () => true };
  const ctx: CliContext = { stdout: sink, stderr: sink, env: {}, cwd: "/", exitCode: 0, debug: false };
  const out: { short?: string; long?: string; command: string }[] = [];
  const walk = (c: Command, path: string) => {
    for (const o of c.options)
      out.push({ ...(o.short ? { short: o.short } : {}), ...(o.long ? { long: o.long } : {}), command: path });
    for (const s of c.commands) walk(s, `${path} ${s.name()}`);
  };
  walk(await buildProgram(ctx), "talform");
  return out;
}

test("no short flag has two meanings anywhere in the command tree", async () => {
  const meanings = new Map<string, Map<string, string[]>>();
  for (const o of await allOptions()) {
    if (!o.short) continue;
    const byLong = meanings.get(o.short) ?? new Map<string, string[]>();
    byLong.set(o.long ?? "", [...(byLong.get(o.long ?? "") ?? []), o.command]);
    meanings.set(o.short, byLong);
  }
  const clashes = [...meanings]
    .filter(([, byLong]) => byLong.size > 1)
    .map(
      ([short, byLong]) =>
        `${short}: ${[...byLong].map(([long, cmds]) => `${long} (${cmds.join(", ")})`).join(" vs ")}`,
    );
  assert.deepEqual(clashes, []);
});

test("the vocabulary's short flags stand for these long flags", async () => {
  const want: Record<string, string> = {
    "-c": "--config",
    "-s": "--secrets",
    "-n": "--nodes",
    "-e": "--endpoints",
    "-o": "--output",
  };
  const wrong = (await allOptions())
    .filter((o) => o.short && want[o.short] && want[o.short] !== o.long)
    .map((o) => `${o.command}: ${o.short} ${o.long}`);
  assert.deepEqual(wrong, []);
  const dryRunShort = (await allOptions()).filter((o) => o.long === "--dry-run" && o.short);
  assert.deepEqual(dryRunShort, [], "--dry-run has no short form");
});
