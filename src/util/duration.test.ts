import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "./duration.js";

test("parseDuration takes Go durations", () => {
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("2h"), 7_200_000);
  for (const bad of ["", "10", "5 m", "1x"]) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});
