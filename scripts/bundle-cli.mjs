// Bundles the compiled CLI (dist/cli/program.js, from tsc) into one CommonJS file, dist/cli-bundle/talform.cjs, and
// stores V8's code cache for it, made after a training run (see src/cli/launch.ts for why and how it is used).
// Part of `npm run build`; the library entry (dist/index.js) stays tsc's output, unbundled.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { generateIdentity, identityToRecipient } from "age-encryption";

const root = new URL("..", import.meta.url);
const outDir = new URL("dist/cli-bundle/", root);
const bundleFile = new URL("talform.cjs", outDir);
const { version } = JSON.parse(await readFile(new URL("package.json", root), "utf8"));

// src/version.ts reads ../package.json next to itself, which is not where the bundle lives: the bundle gets the
// version of the package.json it was built from.
const inlineVersion = {
  name: "inline-version",
  setup(b) {
    b.onLoad({ filter: /[/\\]dist[/\\]version\.js$/ }, () => ({
      contents: `export const TALFORM_VERSION = ${JSON.stringify(version)};\n`,
      loader: "js",
    }));
  },
};

await rm(outDir, { recursive: true, force: true });
await build({
  entryPoints: [fileURLToPath(new URL("dist/cli/program.js", root))],
  outfile: fileURLToPath(bundleFile),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // Whitespace and syntax only: names stay, so stack traces (--debug) still say which function failed.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  legalComments: "external",
  plugins: [inlineVersion],
  // src/ui/start.ts falls back to the wrapper's __filename where the bundle's import.meta is empty.
  logOverride: { "empty-import-meta": "silent" },
  logLevel: "warning",
});

// launch.ts decodes the bundle as latin1 and runs it as a classic script, where import() has no loader.
const code = await readFile(bundleFile, "latin1");
if (/[\u0080-\uffff]/.test(code)) throw new Error("dist/cli-bundle/talform.cjs is not ASCII");
const dynamicImport = /\bimport\(\s*["'`]/.exec(code);
if (dynamicImport) {
  throw new Error(
    `dist/cli-bundle/talform.cjs still calls import() (${code.slice(dynamicImport.index, dynamicImport.index + 60)}…): import Node built-ins statically`,
  );
}

// The training run: the commands a user runs most, on the homelab example in a temp folder (with a throwaway age key,
// in memory only), in this process, so V8 has compiled their functions when the cache is taken. Every command must
// succeed: this doubles as a smoke test of the bundle.
const { loadBundledCli } = await import(new URL("dist/cli/launch.js", root).href);
const cli = loadBundledCli(outDir);
const example = new URL("examples/homelab/iac/talos/", root);
const work = await mkdtemp(join(tmpdir(), "talform-build-"));
try {
  const run = async (cwd, env, ...argv) => {
    let out = "";
    const code = await cli.runCli(argv, {
      stdout: { write: (s) => (out += s) },
      stderr: { write: (s) => (out += s) },
      env,
      cwd,
    });
    if (code !== 0) throw new Error(`training run \`talform ${argv.join(" ")}\` exited ${code}:\n${out}`);
  };
  await run(work, {}, "--help");
  if (existsSync(example)) {
    await cp(example, work, { recursive: true });
    const identity = await generateIdentity();
    const sopsConfig = join(work, ".sops.yaml");
    await writeFile(
      sopsConfig,
      (await readFile(sopsConfig, "utf8")).replaceAll("age1-your-recipient-here", await identityToRecipient(identity)),
    );
    const env = { SOPS_AGE_KEY: identity, HOME: work };
    await run(work, env, "validate");
    await run(work, env, "gensecret", "--out", "talsecret.sops.yaml");
    await run(work, env, "genconfig");
    await run(work, env, "genconfig", "--dry-run");
    await run(work, env, "genconfig");
    await run(work, env, "validate");
    await run(work, env, "sops", "decrypt", "talsecret.sops.yaml");
    await run(work, env, "genurl", "installer");
  }
  cli.saveCodeCache();
} finally {
  await rm(work, { recursive: true, force: true });
}
