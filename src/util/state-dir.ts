import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

/**
 * The state folder (`.talform/` beside talconfig.yaml) holds what talform writes that holds or derives from secrets:
 * the kubeconfig, etcd snapshots, the rollout journal, simulator state. Its own `.gitignore` ignores everything in
 * it, so it stays out of git whatever the repository's .gitignore says.
 */
export const STATE_DIR = ".talform";
export const STATE_GITIGNORE = "# written by talform: everything here holds or derives from secrets\n*\n";

/** Paths inside the state folder of a talconfig folder. */
export function statePaths(talconfigDir: string) {
  const root = join(talconfigDir, STATE_DIR);
  return {
    root,
    kubeconfig: join(root, "kubeconfig"),
    etcdSnapshots: join(root, "etcd-snapshots"),
    journal: join(root, "journal.json"),
    sim: join(root, "sim"),
  };
}

/** Creates the state folder's `.gitignore` when it is missing; returns its path when it wrote it. */
export async function ensureStateDir(
  talconfigDir: string,
  fs: {
    read(path: string): Promise<string | undefined>;
    write(path: string, text: string, mode: number): Promise<void>;
  },
): Promise<string | undefined> {
  const path = join(talconfigDir, STATE_DIR, ".gitignore");
  if ((await fs.read(path)) !== undefined) return undefined;
  await fs.write(path, STATE_GITIGNORE, 0o644);
  return path;
}

/** The state folder `path` lies in (the nearest ancestor named `.talform`), if any. */
function stateRootOf(path: string): string | undefined {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) if (basename(dir) === STATE_DIR) return dir;
  return undefined;
}

const nodeFs = {
  read: (p: string) =>
    readFile(p, "utf8").catch((e: NodeJS.ErrnoException) => (e.code === "ENOENT" ? undefined : Promise.reject(e))),
  write: (p: string, text: string, mode: number) => writeFileAtomic(p, text, { mode }),
};

/** Makes sure the state folder that will hold `path` ignores itself (a no-op for paths outside one). */
export async function ensureStateGitignoreFor(path: string): Promise<void> {
  const root = stateRootOf(path);
  if (root) await ensureStateDir(dirname(root), nodeFs);
}

/** Writes a secret-bearing file 0600 atomically; inside a state folder, that folder's `.gitignore` comes first. */
export async function writeStateFile(path: string, data: string | Uint8Array): Promise<void> {
  await ensureStateGitignoreFor(path);
  await writeFileAtomic(path, data, { mode: 0o600 });
}
