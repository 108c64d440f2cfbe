import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRemoval, hasQuorum } from "./quorum.js";

const m = (spec: string) => spec.split(",").map((s) => ({ hostname: s.replace("!", ""), healthy: !s.endsWith("!") }));

test("checkRemoval: quorum of what remains, every control plane, shrinking below 3", () => {
  const cases: [string, string[], "ok" | "warn" | "error", RegExp?][] = [
    ["cp1,cp2,cp3,cp4", ["cp4"], "ok"],
    ["cp1,cp2,cp3", ["cp3"], "warn", /shrinks to 2/],
    ["cp1,cp2,cp3!", ["cp3"], "warn"],
    ["cp1,cp2!,cp3", ["cp3"], "error", /only 1 are healthy.*cp2 is down/],
    ["cp1,cp2,cp3", ["cp1", "cp2", "cp3"], "error", /every control plane/],
    ["cp1,cp2,cp3,cp4,cp5", ["cp4", "cp5"], "ok"],
    ["cp1,cp2!,cp3,cp4,cp5", ["cp4", "cp5"], "ok"],
    ["cp1,cp2!,cp3!,cp4,cp5", ["cp4", "cp5"], "error", /removing cp4/],
    ["cp1", ["cp1"], "error", /every control plane/],
  ];
  for (const [members, removing, want, re] of cases) {
    const v = checkRemoval(m(members), removing);
    const got = v.error ? "error" : v.warning ? "warn" : "ok";
    assert.equal(got, want, `${members} − ${removing.join(",")}: ${v.error ?? v.warning ?? "ok"}`);
    if (re) assert.match(v.error ?? v.warning ?? "", re);
  }
});

test("hasQuorum: a majority of the voting members", () => {
  assert.equal(hasQuorum(m("a,b,c!")), true);
  assert.equal(hasQuorum(m("a,b!,c!")), false);
  assert.equal(hasQuorum(m("a,b!")), false);
  assert.equal(hasQuorum([]), false);
});
