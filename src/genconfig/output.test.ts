import { test } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { testTempDir } from "../util/test-temp.js";
import { writeAllOrNothing } from "./output.js";

// Every file gets exactly the mode asked for, whatever the umask (0600 is created as such; the rest is chmod-ed).
const UMASKS = [0o022, 0o077, 0o277, 0o000];

for (const umask of UMASKS) {
  test(`writeAllOrNothing under umask ${umask.toString(8).padStart(3, "0")}: the modes asked for`, async () => {
    const dir = await testTempDir("talform-output-");
    const before = process.umask(umask);
    try {
      await writeAllOrNothing(join(dir, "out"), [
        { name: "cp1.yaml", text: "a: 1\n", mode: 0o600 },
        { name: ".gitignore", text: "cp1.yaml\n", mode: 0o644 },
      ]);
    } finally {
      process.umask(before);
    }
    const mode = async (name: string) => (await stat(join(dir, "out", name))).mode & 0o777;
    assert.deepEqual([await mode("cp1.yaml"), await mode(".gitignore")], [0o600, 0o644]);
  });
}
