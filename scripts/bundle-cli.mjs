// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/cli-bundle/ for bin/talform.js: one module per
// lazily imported command group instead of ~400 files. Node 20 resolves, reads and links every ES module on its own
// and has no compile cache; for a short-lived CLI that was ~120 ms of every run (bench/RESULTS.md, docs/bench.md).
// The library entry (dist/index.js) stays tsc's output, unbundled.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"));

// src/version.ts reads ../package.json next to itself, which is not where the bundle lives: the bundle gets the
// version of the package.json it was built from.
const inlineVersion = {
  name: "inline-version",
  setup(b) {
    b.onLoad({ filter: /[/\\]dist[/\\]version\.js$/ }, () => ({ contents: `export const TALFORM_VERSION = ${JSON.stringify(version)};\n`, loader: "js" }));
  },
};

await build({
  entryPoints: [new URL("dist/cli/main.js", root).pathname],
  outdir: new URL("dist/cli-bundle", root).pathname,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // CommonJS dependencies (yaml, commander) call require() for Node built-ins; an ES module has none of its own.
  banner: { js: 'import { createRequire as __talformCreateRequire } from "node:module"; const require = __talformCreateRequire(import.meta.url);' },
  plugins: [inlineVersion],
  logLevel: "warning",
});
