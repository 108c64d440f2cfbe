import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileJournal, journalPathFor } from "./journal.js";
import { plainLine, plainReporter, ttyReporter } from "./views.js";

test("the journal lives beside the talconfig, is 0600, and starts empty", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-journal-"));
  try {
    const path = journalPathFor(join(dir, "talconfig.yaml"));
    assert.equal(path, join(dir, ".talform", "journal.json"));
    const j = fileJournal(path);
    assert.deepEqual(await j.load(), { formatVersion: 1, applied: {} });
    await j.save({
      formatVersion: 1,
      applied: { cp1: "sha256:ab" },
      run: { planDigest: "sha256:cd", startedAt: "t", steps: { "cp1/verify": { status: "done", at: "t" } } },
    });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await j.load()).run?.steps["cp1/verify"]?.status, "done");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("plain lines are timestamped and say what happened; the TTY view redraws in place", () => {
  const out: string[] = [];
  const report = plainReporter(
    (s) => out.push(s),
    () => new Date("2026-01-01T00:00:00Z"),
  );
  report({
    type: "step-failed",
    node: "cp2",
    step: "cp2/2-upgrade",
    label: "upgrade v1.13.8 → v1.13.9",
    error: "rolled back",
  });
  assert.deepEqual(out, ["2026-01-01T00:00:00.000Z cp2: upgrade v1.13.8 → v1.13.9 FAILED: rolled back\n"]);
  assert.match(
    plainLine({ type: "rollout-done", ok: false, failedNode: "cp2", ms: 10 }),
    /stopped at cp2; nodes after it were not touched/,
  );
  const tty: string[] = [];
  const live = ttyReporter((s) => tty.push(s));
  live({ type: "rollout-start", nodes: ["cp1", "w1"], steps: 4, resumed: false });
  live({ type: "step-start", node: "cp1", step: "cp1/1-upgrade", label: "upgrade" });
  assert.ok(tty[1]!.startsWith("\u001b[2A"), "the view moves the cursor up over its two lines");
  assert.match(tty[1]!, /cp1 +⋯ upgrade\n.*w1 +waiting/s);
});
