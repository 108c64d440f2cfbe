// The real-world corpus (conformance/corpus, see its README): each public talconfig.yaml rendered by talhelper
// v3.1.16 and by talform with the same fixed test secrets. Per entry: where talhelper renders Talos-valid configs,
// talform renders too (or refuses with the finding findings.json lists as a real mistake in the file); every file
// talform writes equals talhelper's after the machinery oracle decodes both, and equals the oracle's own decode →
// encode of it byte for byte. Entries on a Talos minor that talform's contract table does not hold yet run as TODO,
// so they show in the table (and start counting once the minor is added) without hiding the gap.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { SUPPORTED_TALOS_MINORS } from "../src/contract/index.js";
import { encodeTestBundle, makeTestBundle } from "../src/machineconfig/test-support.js";
import { formatTable, loadCorpus, loadExpectedFindings, runEntry, type EntryResult } from "./support/corpus.js";

const entries = await loadCorpus();
const expected = await loadExpectedFindings();
const secrets = encodeTestBundle(await makeTestBundle());
const results: EntryResult[] = [];

test("the corpus holds at least 40 real talconfigs, each with its provenance", () => {
  assert.ok(entries.length >= 40, `${entries.length} entries`);
  for (const e of entries) {
    assert.match(e.provenance.repository, /^[\w.-]+\/[\w.-]+$/, e.name);
    assert.match(e.provenance.commit, /^[0-9a-f]{40}$/, e.name);
    assert.ok(e.provenance.files.includes(e.provenance.path), e.name);
  }
  for (const name of Object.keys(expected))
    assert.ok(
      entries.some((e) => e.name === name),
      `findings.json names ${name}, which is no entry`,
    );
});

for (const entry of entries) {
  const minor = /^v\d+\.\d+/.exec(entry.talosVersion)?.[0] ?? entry.talosVersion;
  const todo = SUPPORTED_TALOS_MINORS.includes(minor)
    ? undefined
    : `Talos ${minor} is not in talform's contract table yet`;
  test(`corpus ${entry.name} (${entry.provenance.repository}, Talos ${entry.talosVersion})`, { todo }, async () => {
    const r = await runEntry(entry, secrets);
    results.push(r);
    const finding = expected[entry.name];
    if (r.talhelper.ok && r.talhelper.valid) {
      if (finding) {
        assert.equal(r.talform.ok, false, `findings.json expects talform to refuse: ${finding.reason}`);
        assert.ok(
          r.talform.findings.some((f) => new RegExp(finding.finding).test(f)),
          `expected /${finding.finding}/ among:\n${r.talform.findings.join("\n")}`,
        );
        return;
      }
      assert.ok(
        r.talform.ok,
        `talhelper renders Talos-valid configs, talform refuses:\n${r.talform.findings.join("\n")}`,
      );
      assert.deepEqual([...r.talform.files.keys()], [...r.talhelper.files.keys()], "the same node config files");
    }
    // Talos's strict validation: errors fail; findings Talos reports as warnings (deprecations, bond timers the file
    // leaves unset) are the input's, listed in the output.
    const problems = r.comparisons.flatMap((c) => [
      ...(c.equal === false ? [`${c.name}: not equal to talhelper's after decoding`] : []),
      ...(c.byteExact ? [] : [`${c.name}: not byte-exact: ${c.firstDifference}`]),
      ...c.strictFindings.filter((f) => !f.startsWith("warning: ")).map((f) => `${c.name}: Talos refuses it: ${f}`),
    ]);
    assert.deepEqual(problems, []);
  });
}

after(() => {
  const order = new Map(entries.map((e, i) => [e.name, i]));
  results.sort((a, b) => order.get(a.entry.name)! - order.get(b.entry.name)!);
  console.log(`\nreal-world corpus (talhelper v3.1.16 vs talform):\n${formatTable(results)}\n`);
  for (const r of results) {
    const notes = [
      ...(!r.talhelper.ok ? [`talhelper: ${r.talhelper.message}`] : []),
      ...r.talhelper.validationErrors.slice(0, 2).map((e) => `talhelper output invalid: ${e}`),
      ...(!r.talform.ok ? [`talform: ${r.talform.message}`] : []),
      ...r.comparisons
        .filter((c) => !c.byteExact)
        .slice(0, 2)
        .map((c) => `not byte-exact ${c.name}: ${c.firstDifference}`),
      ...r.comparisons
        .filter((c) => c.equal === false)
        .slice(0, 2)
        .map((c) => `not equal ${c.name}`),
      ...[...new Set(r.comparisons.flatMap((c) => c.strictFindings))].map((f) => `Talos strict validation: ${f}`),
    ];
    if (notes.length > 0) console.log(`${r.entry.name}:\n  ${notes.join("\n  ")}`);
  }
});
