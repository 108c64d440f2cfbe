import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Temp folders for tests, removed when the test process exits whatever happened in between (node --test runs each
// file in its own process), so a failing or forgetful test leaves nothing behind. scripts/run-tests.mjs fails the run
// when a folder is left in the temp dir anyway.
const made = new Set<string>();
let hooked = false;

/** A fresh 0700 folder under the temp dir, named `<prefix>XXXXXX`, removed at process exit. */
export async function testTempDir(prefix: string): Promise<string> {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
