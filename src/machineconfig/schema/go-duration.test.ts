import { test } from "node:test";
import assert from "node:assert/strict";
import { formatGoDuration, parseGoDuration } from "./go-duration.js";

// Expected texts are Go's own (time.ParseDuration(x).String()).
const CASES: [string, string | undefined][] = [
  ["5m", "5m0s"],
  ["2m0s", "2m0s"],
  ["1h", "1h0m0s"],
  ["90s", "1m30s"],
  ["1.5h", "1h30m0s"],
  ["300ms", "300ms"],
  ["1.5ms", "1.5ms"],
  ["1500ms", "1.5s"],
  ["10us", "10µs"],
  ["7ns", "7ns"],
  ["0", "0s"],
  ["0s", "0s"],
  ["-30s", "-30s"],
  ["1h2m3.25s", "1h2m3.25s"],
  ["24h", "24h0m0s"],
  ["", undefined],
  ["5", undefined],
  ["m", undefined],
  ["5 m", undefined],
];

for (const [input, expected] of CASES) {
  test(`Go duration ${JSON.stringify(input)} → ${expected ?? "refused"}`, () => {
    const ns = parseGoDuration(input);
    assert.equal(ns === undefined ? undefined : formatGoDuration(ns), expected);
  });
}
