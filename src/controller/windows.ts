import { Cron } from "croner";
import type { MaintenanceWindow } from "./types.js";

/** `2h`, `90m`, `1h30m`, `45s` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === "") return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

export type WindowState =
  { readonly open: true; readonly closesAt?: Date } | { readonly open: false; readonly opensAt?: Date };

/**
 * Whether changes may run at `now`: no windows means always; else inside one window — from a cron match for its
 * duration. The cron is only evaluated (croner without a callback schedules nothing): the clock is passed in.
 */
export function windowState(windows: readonly MaintenanceWindow[] | undefined, now: Date): WindowState {
  if (!windows || windows.length === 0) return { open: true };
  let closesAt: Date | undefined;
  let opensAt: Date | undefined;
  for (const w of windows) {
    const cron = new Cron(w.cron, { timezone: w.timeZone ?? "UTC" });
    const ms = parseDuration(w.duration) ?? 0;
    // A window that opened before now and has not closed yet: the last match within the duration.
    const last = cron.previousRuns(1, new Date(now.getTime() + 1000))[0];
    if (last && last.getTime() <= now.getTime() && now.getTime() < last.getTime() + ms) {
      const end = new Date(last.getTime() + ms);
      if (!closesAt || end > closesAt) closesAt = end;
    }
    const next = cron.nextRun(now);
    if (next && (!opensAt || next < opensAt)) opensAt = next;
  }
  if (closesAt) return { open: true, closesAt };
  return opensAt ? { open: false, opensAt } : { open: false };
}

/** Problems with the windows a user wrote (bad cron, bad duration, unknown zone), as located messages. */
export function windowProblems(windows: readonly MaintenanceWindow[] | undefined): string[] {
  const out: string[] = [];
  (windows ?? []).forEach((w, i) => {
    const at = `spec.rollout.maintenanceWindows[${i}]`;
    try {
      new Cron(w.cron, { timezone: w.timeZone ?? "UTC" }).nextRun(new Date(0));
    } catch (e) {
      out.push(`${at}.cron: ${(e as Error).message} (five fields: minute hour day-of-month month day-of-week)`);
    }
    const ms = parseDuration(w.duration);
    if (!ms) out.push(`${at}.duration: "${w.duration}" is not a duration like 2h, 90m or 1h30m`);
  });
  return out;
}
