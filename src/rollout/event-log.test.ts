import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileEventLog, parseEventLog, teeReporter } from "./event-log.js";
import type { RolloutEvent } from "./events.js";

test("the event log holds the latest rollout: a new run starts the file afresh; 0600; partial lines wait", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-eventlog-"));
  try {
    const path = join(dir, ".talform-events.jsonl");
    const log = fileEventLog(path, () => new Date("2026-01-02T03:04:05Z"));
    const start: RolloutEvent = { type: "rollout-start", nodes: ["cp1"], steps: 2, resumed: false };
    log(start);
    log({ type: "step-start", node: "cp1", step: "cp1/verify", label: "verify" });
    log(start);
    log({ type: "rollout-done", ok: true, ms: 5 });
    const text = await readFile(path, "utf8");
    assert.deepEqual(
      parseEventLog(text).map((e) => e.event.type),
      ["rollout-start", "rollout-done"],
    );
    assert.equal(parseEventLog(text)[0]!.at, "2026-01-02T03:04:05.000Z");
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(parseEventLog(text + '{"at":"x","event":{"ty').length, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("teeReporter sends each event to every reporter in order", () => {
  const seen: string[] = [];
  const r = teeReporter(
    (e) => seen.push(`a:${e.type}`),
    (e) => seen.push(`b:${e.type}`),
  );
  r({ type: "info", message: "x" });
  assert.deepEqual(seen, ["a:info", "b:info"]);
});
