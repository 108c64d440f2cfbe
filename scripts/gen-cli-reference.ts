// Rewrites the command reference section of docs/cli.md from the CLI definitions (`npm run docs:cli`).
// `--check` exits 1 instead of writing when it is out of date.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { renderCliReference, replaceReferenceSection, talformCommandTree } from "../src/cli/reference.js";

const readmePath = fileURLToPath(new URL("../docs/cli.md", import.meta.url));
const before = await readFile(readmePath, "utf8");
const after = replaceReferenceSection(before, renderCliReference(await talformCommandTree()));
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("docs/cli.md command reference is out of date: run `npm run docs:cli`");
    process.exitCode = 1;
  }
} else if (after !== before) {
  await writeFile(readmePath, after);
  console.log("docs/cli.md command reference updated");
} else {
  console.log("docs/cli.md command reference is up to date");
}
