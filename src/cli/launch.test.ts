import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE_FILE, CACHE_FILE, loadBundledCli } from "./launch.js";

const fakeBundle = (answer: number) =>
  `"use strict";\nconst { basename } = require("node:path");\nexports.runCli = async (argv) => (argv[0] === basename(__filename) ? ${answer} : -1);\n`;

test("launch: no bundle → undefined; a bundle runs, its code cache is used only for the exact source it was made from", async () => {
  const dir = await mkdtemp(join(tmpdir(), "talform-launch-"));
  try {
    const url = pathToFileURL(`${dir}/`);
    assert.equal(loadBundledCli(url), undefined);

    await writeFile(join(dir, BUNDLE_FILE), fakeBundle(7));
    const first = loadBundledCli(url)!;
    assert.equal(first.cacheUsed, false);
    assert.equal(
      await first.runCli([BUNDLE_FILE], { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: dir }),
      7,
    );
    first.saveCodeCache();
    assert.ok((await readFile(join(dir, CACHE_FILE))).length > 32);

    const second = loadBundledCli(url)!;
    assert.equal(second.cacheUsed, true);
    assert.equal(
      await second.runCli([BUNDLE_FILE], { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: dir }),
      7,
    );

    // Same length, other content: V8 alone would accept the stale cache; the digest does not.
    await writeFile(join(dir, BUNDLE_FILE), fakeBundle(8));
    const changed = loadBundledCli(url)!;
    assert.equal(changed.cacheUsed, false);
    assert.equal(
      await changed.runCli([BUNDLE_FILE], { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: dir }),
      8,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
