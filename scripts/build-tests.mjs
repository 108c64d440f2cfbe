// Bundles test files into plain ES modules for `node --test` (scripts/run-tests.mjs), so a test file's process loads
// one file and the chunks it shares with other tests instead of running every TypeScript module through tsx's loader
// hooks: on the 2-core CI machine that hook traffic and module resolution cost ~0.4 CPU seconds per test file, ~45 of
// the unit suite's CPU seconds, and a cold tsx cache (a fresh clone) costs more again. esbuild only strips types and
// links; tsc still typechecks (`npm run check`).
//
// Every `import.meta.url` is replaced by the URL of the source file it was written in, so a test or module that finds
// fixtures, schemas or docs relative to itself finds them where they are. Packages stay external (resolved from the
// repository's node_modules, as under tsx). The output goes to .cache/test-build/<suite>/, mirroring the repository.
import { readFile, rm } from "node:fs/promises";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

/**
 * Builds `files` (paths relative to `root`) into `outDir`; returns the output path of each file, in order.
 * @param {string} root
 * @param {readonly string[]} files
 * @param {string} outDir
 */
export async function buildTests(root, files, outDir) {
  await rm(outDir, { recursive: true, force: true });
  const sourceUrls = {
    name: "source-import-meta",
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return {
          contents: text.includes("import.meta.url") ? text.replaceAll("import.meta.url", url) : text,
          loader: "ts",
        };
      });
    },
  };
  await build({
    absWorkingDir: root,
    entryPoints: files.map((f) => join(root, f)),
    outdir: outDir,
    outbase: root,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    plugins: [sourceUrls],
    logLevel: "warning",
  });
  return files.map((f) => join(outDir, relative(root, join(root, f)).replace(/\.[cm]?ts$/, ".mjs")));
}
