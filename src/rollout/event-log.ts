import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { STATE_GITIGNORE, statePaths } from "../util/state-dir.js";
import type { Reporter, RolloutEvent } from "./events.js";

/**
 * The rollout event stream as a file beside the talconfig (JSON lines, one `{at, event}` per line): every apply
 * writes it, so a `talform ui` started in another terminal shows a rollout that the CLI runs, and the UI's own apply
 * runs the same engine and writes the same file. A new run starts the file afresh; it holds the latest rollout only.
 * Events carry step labels and error messages, never config or secrets; the file is 0600 all the same.
 */
export const EVENT_LOG_FILE = "events.jsonl";

export interface LoggedEvent {
  readonly at: string;
  readonly event: RolloutEvent;
}

export function eventLogPathFor(talconfigPath: string): string {
  // In the state folder beside talconfig.yaml (.talform/, git-ignored), with the journal it mirrors.
  return join(statePaths(dirname(talconfigPath)).root, EVENT_LOG_FILE);
}

/** A reporter that appends each event to `path` (synchronously, so lines land in order and survive a crash). */
export function fileEventLog(path: string, now: () => Date = () => new Date()): Reporter {
  return (event) => {
    const line = JSON.stringify({ at: now().toISOString(), event } satisfies LoggedEvent) + "\n";
    if (event.type === "rollout-start") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const ignore = join(dirname(path), ".gitignore");
      if (!existsSync(ignore)) writeFileSync(ignore, STATE_GITIGNORE);
      writeFileSync(path, line, { mode: 0o600 });
    } else appendFileSync(path, line, { mode: 0o600 });
  };
}

/** Events of a log file's text; a half-written last line (the writer is mid-append) is left for the next read. */
export function parseEventLog(text: string): LoggedEvent[] {
  const out: LoggedEvent[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as Partial<LoggedEvent>;
      if (typeof v.at === "string" && v.event && typeof v.event.type === "string") out.push(v as LoggedEvent);
    } catch {
      // a partial line: the next read sees it whole
    }
  }
  return out;
}

/** Sends every event to each reporter in turn (the terminal view and the event log). */
export function teeReporter(...reporters: readonly Reporter[]): Reporter {
  return (e) => {
    for (const r of reporters) r(e);
  };
}
