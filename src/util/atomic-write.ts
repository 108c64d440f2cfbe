import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, basename, join } from "node:path";

export interface AtomicWriteOptions {
  /** File mode; secrets and anything derived from them use 0o600 (the default). */
  readonly mode?: number;
}

/**
 * Writes `data` to `path` atomically: a temp file in the same folder (created 0600 from the first byte, so a secret
 * is never readable by others even transiently), fsync, then rename over the target. On failure the temp file is
 * removed and the target is left as it was.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}
