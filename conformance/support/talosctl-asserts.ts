// Assertions the talosctl scenario files share: talosctl's exit code and output shape, shown in full on failure.
import assert from "node:assert/strict";
import type { OracleResult } from "./oracles.js";
import type { TalosctlSim } from "./talosctl-sim.js";

export const show = (r: OracleResult): string => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

export function ok(r: OracleResult, stdout?: RegExp, stderr?: RegExp): void {
  assert.equal(r.code, 0, show(r));
  if (stdout) assert.match(r.stdout, stdout, show(r));
  if (stderr) assert.match(r.stderr, stderr, show(r));
}

export function fails(r: OracleResult, stderr: RegExp): void {
  assert.notEqual(r.code, 0, show(r));
  assert.match(r.stderr, stderr, show(r));
}

export const esc = (s: string): string => s.replace(/\./g, "\\.");

export async function waitFor(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Whether talosctl sees the node's MachineStatus `running` and ready. */
export const running = (sim: TalosctlSim, node: string) => async (): Promise<boolean> =>
  /running\s+true/.test((await sim.talosctl(["get", "machinestatus", "-n", node])).stdout);

/** The node's boot id as talosctl's reboot tracker reads it. */
export const bootId = async (sim: TalosctlSim, node: string): Promise<string> =>
  (await sim.talosctl(["read", "/proc/sys/kernel/random/boot_id", "-n", node])).stdout.trim();
