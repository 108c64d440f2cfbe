import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

test("src/gen is exactly what `npm run gen:proto` generates from proto/", async () => {
  const out = await mkdtemp(join(tmpdir(), "talform-gen-"));
  try {
    const bin = join(root, "node_modules", ".bin");
    const r = spawnSync(join(bin, "buf"), ["generate", "-o", out], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env["PATH"] ?? ""}` },
    });
    assert.equal(r.status, 0, r.stderr);
    const want = await files(join(root, "src", "gen"));
    const got = await files(join(out, "src", "gen"));
    assert.deepEqual(
      got.map((f) => relative(out, f)),
      want.map((f) => relative(root, f)),
      "run `npm run gen:proto` and commit src/gen",
    );
    for (const f of want)
      assert.equal(
        await readFile(join(out, relative(root, f)), "utf8"),
        await readFile(f, "utf8"),
        `${relative(root, f)} is stale: run npm run gen:proto`,
      );
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
