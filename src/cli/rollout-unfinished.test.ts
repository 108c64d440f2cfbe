import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliContext } from "./context.js";
import type { TalformError } from "../diagnostics/index.js";
import { fileJournal, type RolloutJournal } from "../rollout/journal.js";
import { journalWarnings, refuseUnfinishedRun } from "./rollout-unfinished.js";

const run = (steps: string[], extra: Partial<NonNullable<RolloutJournal["run"]>> = {}): RolloutJournal["run"] => ({
  planDigest: "sha256:x",
  startedAt: "2026-12-02T06:00:00.000Z",
  steps: Object.fromEntries(steps.map((s) => [s, { status: "done" as const, at: "t" }])),
  ...extra,
});

test("a plain apply refuses an unfinished run that touched a node, --resume anything else; --discard-journal forgets it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-unfinished-"));
  const path = join(dir, ".talform-journal.json");
  let err = "";
  const ctx = { stderr: { write: (s: string) => ((err += s), true) } } as unknown as CliContext;
  try {
    // refused: what a plain apply says; resume: what `apply --resume` says (ok, or the error's code and message).
    const cases: { name: string; journal: RolloutJournal; refused: boolean; resume: string }[] = [
      {
        name: "no run",
        journal: { formatVersion: 1, applied: {} },
        refused: false,
        resume: "no-resume: there is no interrupted apply to resume",
      },
      {
        name: "finished",
        journal: { formatVersion: 1, applied: {}, run: run(["w1/drain"], { finishedAt: "t" }) },
        refused: false,
        resume: "no-resume: the last apply finished: there is nothing to resume",
      },
      {
        name: "failed at the factory only",
        journal: { formatVersion: 1, applied: {}, run: run(["factory/register-abc"]) },
        refused: false,
        resume: "ok",
      },
      {
        name: "interrupted on w1",
        journal: { formatVersion: 1, applied: {}, run: run(["w1/pre-pull", "w1/drain"]) },
        refused: true,
        resume: "ok",
      },
    ];
    for (const c of cases) {
      await fileJournal(path).save(c.journal);
      const r = await refuseUnfinishedRun(ctx, path, {}).then(
        () => "ok",
        (e: TalformError) => `${e.diagnostics[0]?.code}: ${e.diagnostics[0]?.hint}`,
      );
      assert.equal(r === "ok", !c.refused, `${c.name}: ${r}`);
      if (c.refused)
        assert.match(
          r,
          /^unfinished-run: continue it with `talform apply --resume`, or forget it with `talform apply --discard-journal`/,
        );
      const resumed = await refuseUnfinishedRun(ctx, path, { resume: true }).then(
        () => "ok",
        (e: TalformError) => `${e.diagnostics[0]?.code}: ${e.diagnostics[0]?.message}`,
      );
      assert.equal(resumed, c.resume, c.name);
    }
    await fileJournal(path).save({
      formatVersion: 1,
      applied: { w1: "sha256:a" },
      run: run(["w1/drain"]),
      cordoned: { w1: { at: "t0", reason: "drained for upgrade" } },
    });
    assert.match(
      await journalWarnings(path),
      /^! w1 is cordoned by talform since t0 \(drained for upgrade\); fix: `talform apply --resume`.*`kubectl uncordon w1`/m,
    );
    await refuseUnfinishedRun(ctx, path, { discardJournal: true });
    const after = await fileJournal(path).load();
    assert.equal(after.run, undefined);
    assert.deepEqual(after.applied, { w1: "sha256:a" }, "drift records are kept");
    assert.match(err, /discarded the unfinished run .*\n! w1 is cordoned by talform/);
    assert.match(await journalWarnings(path), /w1 is cordoned/, "a discarded run's cordon is still reported");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
