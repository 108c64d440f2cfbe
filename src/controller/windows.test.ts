import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration, windowProblems, windowState } from "./windows.js";

test("parseDuration", () => {
  const table: [string, number | undefined][] = [
    ["2h", 7_200_000],
    ["90m", 5_400_000],
    ["1h30m", 5_400_000],
    ["45s", 45_000],
    ["", undefined],
    ["2 hours", undefined],
    ["1d", undefined],
  ];
  for (const [text, want] of table) assert.equal(parseDuration(text), want, text);
});

const nightly = [{ cron: "0 2 * * *", duration: "2h" }];
const cases: { name: string; windows: Parameters<typeof windowState>[0]; now: string; want: object }[] = [
  { name: "no windows: always open", windows: undefined, now: "2026-12-02T12:00:00Z", want: { open: true } },
  {
    name: "inside the nightly window",
    windows: nightly,
    now: "2026-12-02T03:00:00Z",
    want: { open: true, closesAt: new Date("2026-12-02T04:00:00Z") },
  },
  {
    name: "at the opening minute",
    windows: nightly,
    now: "2026-12-02T02:00:00Z",
    want: { open: true, closesAt: new Date("2026-12-02T04:00:00Z") },
  },
  {
    name: "just after it closed",
    windows: nightly,
    now: "2026-12-02T04:00:00Z",
    want: { open: false, opensAt: new Date("2026-12-03T02:00:00Z") },
  },
  {
    name: "before it opens",
    windows: nightly,
    now: "2026-12-02T01:59:00Z",
    want: { open: false, opensAt: new Date("2026-12-02T02:00:00Z") },
  },
  {
    name: "a time zone shifts the window",
    windows: [{ cron: "0 2 * * *", duration: "1h", timeZone: "Europe/Berlin" }],
    now: "2026-12-02T01:30:00Z",
    want: { open: true, closesAt: new Date("2026-12-02T02:00:00Z") },
  },
  {
    name: "the first of two windows that is open",
    windows: [{ cron: "0 2 * * 6", duration: "4h" }, ...nightly],
    now: "2026-12-05T05:00:00Z",
    want: { open: true, closesAt: new Date("2026-12-05T06:00:00Z") },
  },
];
for (const c of cases)
  test(`windowState: ${c.name}`, () => assert.deepEqual(windowState(c.windows, new Date(c.now)), c.want));

test("windowProblems names the field", () => {
  assert.deepEqual(windowProblems(nightly), []);
  const p = windowProblems([{ cron: "every night", duration: "2 hours" }]);
  assert.equal(p.length, 2);
  assert.match(p[0]!, /^spec\.rollout\.maintenanceWindows\[0\]\.cron: /);
  assert.match(p[1]!, /^spec\.rollout\.maintenanceWindows\[0\]\.duration: "2 hours"/);
});
