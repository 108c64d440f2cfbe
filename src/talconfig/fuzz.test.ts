import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadTalconfig } from "./loader.js";
import { validateTalconfig } from "./policy/index.js";
import { BASE_TALCONFIG, memFiles } from "./testdata/memfs.js";

const T = "/repo/talconfig.yaml";
const SEED = `${BASE_TALCONFIG}controlPlane:
  nodeLabels: {a: b}
  patches: ["machine: {time: {servers: [time.cloudflare.com]}}", "@p.yaml"]
worker:
  schematic: {customization: {systemExtensions: {officialExtensions: [siderolabs/nonfree-kmod-nvidia-production]}}}
`;

// Tokens that tend to break YAML parsers and loaders in interesting ways.
const TOKENS = [
  ":",
  "- ",
  "\t",
  "&a ",
  "*a",
  "<<: *a",
  "${X}",
  "${",
  "$$",
  "[",
  "]",
  "{",
  "}",
  '"',
  "'",
  "\u0000",
  "\n",
  "  ",
  "# c",
  "!!binary ",
  "? ",
  "|",
  ">-",
  "---\n",
  "...",
  "~",
  "null",
  "1e400",
  "0o7",
  "\uFEFF",
  "@",
  "nodes: 3\n",
  "hostname: cp1\n",
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant("dupline" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("text" as const), at: fc.nat(), token: fc.string({ maxLength: 6 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function apply(text: string, m: Mutation): string {
  const at = m.at % (text.length + 1);
  switch (m.kind) {
    case "insert":
    case "text":
      return text.slice(0, at) + m.token + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + m.len);
    case "dupline": {
      const lines = text.split("\n");
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
  }
}

// No wall-clock assertion (it failed on a loaded CI machine; speed is bench/'s business): the timeout only catches
// a loader that hangs or goes exponential on some mutation.
test(
  "fuzz: mutated talconfigs never crash the loader or the rules, and every finding is located",
  {
    timeout: 120_000,
  },
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (mutations) => {
        const text = mutations.reduce(apply, SEED);
        const files = { [T]: text, "/repo/p.yaml": text.slice(0, 200) };
        const loaded = await loadTalconfig({ path: T, readFile: memFiles(files), env: { X: "x" } });
        const policy = validateTalconfig(loaded, {
          talconfigDir: "/repo",
          files: { exists: (p) => p in files, read: (p) => files[p as keyof typeof files] },
          disabledRules: new Set(),
        });
        for (const d of [...loaded.diagnostics, ...policy]) {
          assert.ok(d.source, `unlocated: ${d.code} ${d.message}`);
          assert.ok(
            d.source.line >= 1 && d.source.col >= 1 && d.source.file !== "",
            `bad position ${JSON.stringify(d.source)}`,
          );
          assert.ok(d.message.length > 0 && d.code.length > 0);
        }
        if (loaded.config === undefined)
          assert.ok(
            loaded.diagnostics.some((d) => d.severity === "error"),
            "an unloadable file must say why",
          );
      }),
      { numRuns: 200, seed: 20261124 },
    );
  },
);
