import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { commandTree } from "./command-tree.js";
import {
  renderCliReference,
  replaceReferenceSection,
  REFERENCE_END,
  REFERENCE_START,
  talformCommandTree,
} from "./reference.js";

test("docs/cli.md's command reference matches the CLI definitions (fix: npm run docs:cli)", async () => {
  const doc = await readFile(fileURLToPath(new URL("../../docs/cli.md", import.meta.url)), "utf8");
  const expected = replaceReferenceSection(doc, renderCliReference(await talformCommandTree()));
  assert.ok(doc === expected, "docs/cli.md command reference is out of date: run `npm run docs:cli`");
});

test("the reference lists nested commands with usage and an options table, escaping pipes", () => {
  const p = new Command("talform").option("--debug", "debug");
  const sim = p.command("sim").description("simulated nodes");
  sim
    .command("up")
    .description("start nodes")
    .requiredOption("--spec <file>", "fleet spec a|b")
    .option("--time-scale <f>", "scale", "1");
  const md = renderCliReference(commandTree(p));
  assert.match(md, /^Global options: `--debug` \(debug\), `-h, --help`/);
  assert.match(md, /#### `talform sim`\n\nSimulated nodes\.\n\nSubcommands: `up`\./);
  assert.match(md, /##### `talform sim up`\n\nStart nodes\.\n\n```\ntalform sim up \[options\]\n```/);
  assert.match(md, /\| `--spec <file>` \| fleet spec a\\\|b \|/);
  assert.match(md, /\| `--time-scale <f>` \| scale \(default: `1`\) \|/);
});

test("replacing the section keeps the text around it and refuses a README without markers", () => {
  const readme = `# t\n\n${REFERENCE_START}\nold\n${REFERENCE_END}\n\n## after\n`;
  assert.equal(
    replaceReferenceSection(readme, "new\n"),
    `# t\n\n${REFERENCE_START}\n\nnew\n\n${REFERENCE_END}\n\n## after\n`,
  );
  assert.throws(() => replaceReferenceSection("# t\n", "x"), /no generated section/);
});
