import { TalformError } from "../diagnostics/index.js";
import { STATE_DIR, writeStateFile } from "../util/state-dir.js";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * What talform remembers between runs, beside the talconfig (0600, written atomically after every step):
 * the digest of the config it last applied to each node (for drift), and the current run — which plan it executes
 * and which steps are done — so `apply --resume` continues after a crash or Ctrl-C without redoing finished work.
 */
export interface RolloutJournal {
  readonly formatVersion: 1;
  applied: Record<string, string>;
  run?: JournalRun;
  /** Nodes talform cordoned and has not uncordoned yet: why, and since when (plan/health/doctor report them). */
  cordoned?: Record<string, { at: string; reason: string; bootId?: string }>;
}

export interface JournalRun {
  /** `desiredDigest` of the plan being executed: a resume must execute the same plan. */
  readonly planDigest: string;
  readonly startedAt: string;
  steps: Record<string, JournalStep>;
  etcdSnapshot?: string;
  finishedAt?: string;
  failed?: { step: string; error: string };
}

export interface JournalStep {
  status: "started" | "done";
  at: string;
  /** The node's boot id when the step started (a reboot step is done once it differs). */
  bootIdBefore?: string;
}

/** In the state folder beside talconfig.yaml (git-ignored by its own .gitignore). */
export const JOURNAL_FILE = join(STATE_DIR, "journal.json");

export function journalPathFor(talconfigPath: string): string {
  return join(dirname(talconfigPath), JOURNAL_FILE);
}

export interface JournalStore {
  load(): Promise<RolloutJournal>;
  save(j: RolloutJournal): Promise<void>;
}

export function fileJournal(path: string): JournalStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return { formatVersion: 1, applied: {} };
        throw e;
      }
      let j: RolloutJournal;
      try {
        j = JSON.parse(text) as RolloutJournal;
      } catch (e) {
        throw new TalformError(`${path}: the rollout journal is not JSON (${(e as Error).message})`, {
          code: "journal",
          hint: "remove the file if no rollout is in progress",
        });
      }
      if (j.formatVersion !== 1)
        throw new TalformError(`${path}: journal format ${String(j.formatVersion)} is not supported by this talform`, {
          code: "journal",
          hint: "finish the rollout with the talform that started it, or remove the file",
        });
      return j;
    },
    async save(j) {
      await writeStateFile(path, JSON.stringify(j, null, 2) + "\n");
    },
  };
}

/** An in-memory journal (tests, `--no-journal` uses). */
export function memoryJournal(initial?: RolloutJournal): JournalStore & { current: RolloutJournal } {
  const store = {
    current: initial ?? ({ formatVersion: 1, applied: {} } as RolloutJournal),
    load: async () => structuredClone(store.current),
    save: async (j: RolloutJournal) => {
      store.current = structuredClone(j);
    },
  };
  return store;
}
