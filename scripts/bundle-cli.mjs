// Bundles the compiled CLI (dist/cli/program.js, from tsc) into one CommonJS file, dist/cli-bundle/talform.cjs, and
// stores V8's code cache for it, made after a training run (see src/cli/launch.ts for why and how it is used).
// Part of `npm run build`; the library entry (dist/index.js) stays tsc's output, unbundled.
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
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

// @kubernetes/client-node (with its dependencies ~2.3 MB, 44 % of the bundle) serves only `talform controller`. In the
// CLI's bundle, V8 read, scanned and deserialised its code cache on every command; in a bundle of its own beside it
// (dist/cli-bundle/kube-client-node.cjs) it is required, and compiled, only when the controller starts. That bundle
// re-exports exactly the names tsc's output imports from the package, so esbuild still drops the rest of it.
const KUBE_BUNDLE = "kube-client-node.cjs";
const kubeNames = await clientNodeImports(new URL("dist/", root));
const kubeClientNodeApart = {
  name: "kube-client-node-apart",
  setup(b) {
    b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: `./${KUBE_BUNDLE}`, external: true }));
  },
};

/** The names dist/**\/*.js import from @kubernetes/client-node (only `import { a, b as c }` is supported). */
async function clientNodeImports(dir) {
  const names = new Set();
  for (const file of await readdir(dir, { recursive: true })) {
    if (!file.endsWith(".js") || file.startsWith("cli-bundle")) continue;
    const code = await readFile(new URL(file, dir), "utf8");
    for (const m of code.matchAll(/\bimport\s*([^;]*?)\s*from\s*["']@kubernetes\/client-node["']/g)) {
      const named = /^\{([^}]*)\}$/.exec(m[1]);
      if (!named) throw new Error(`dist/${file}: only named imports of @kubernetes/client-node can be bundled apart`);
      for (const n of named[1].split(",")) if (n.trim()) names.add(n.trim().split(/\s+as\s+/)[0]);
    }
  }
  return [...names].sort();
}

// Both bundles: CommonJS for Node 20, whitespace and syntax minified only, so names stay and stack traces (--debug)
// still say which function failed.
const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  charset: "ascii",
  legalComments: "external",
  logLevel: "warning",
};

await rm(outDir, { recursive: true, force: true });
await build({
  ...common,
  stdin: {
    contents: `export { ${kubeNames.join(", ")} } from "@kubernetes/client-node";`,
    resolveDir: fileURLToPath(root),
  },
  outfile: fileURLToPath(new URL(KUBE_BUNDLE, outDir)),
});
const kube = createRequire(import.meta.url)(fileURLToPath(new URL(KUBE_BUNDLE, outDir)));
const missing = kubeNames.filter((n) => kube[n] === undefined);
if (missing.length > 0) throw new Error(`${KUBE_BUNDLE} does not export ${missing.join(", ")}`);
await build({
  ...common,
  entryPoints: [fileURLToPath(new URL("dist/cli/program.js", root))],
  outfile: fileURLToPath(bundleFile),
  plugins: [inlineVersion, kubeClientNodeApart],
  // src/ui/start.ts falls back to the wrapper's __filename where the bundle's import.meta is empty.
  logOverride: { "empty-import-meta": "silent" },
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
