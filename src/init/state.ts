import { join } from "node:path";
import { STATE_DIR } from "./files.js";

/**
 * The state folder (`.talform/` beside talconfig.yaml) holds what talform writes that holds or derives from secrets:
 * kubeconfig, etcd snapshots, the rollout journal, saved plans, simulator state. Its own `.gitignore` ignores
 * everything in it, so it stays out of git whatever the repository's .gitignore says.
 */
export const STATE_GITIGNORE = "# written by talform: everything here holds or derives from secrets\n*\n";

/** Paths inside the state folder of a talconfig folder. */
export function statePaths(talconfigDir: string) {
  const root = join(talconfigDir, STATE_DIR);
  return {
    root,
    kubeconfig: join(root, "kubeconfig"),
    etcdSnapshots: join(root, "etcd-snapshots"),
    journal: join(root, "journal.json"),
    plans: join(root, "plans"),
    sim: join(root, "sim"),
  };
}

/** Creates the state folder's `.gitignore` when it is missing; returns its path when it wrote it. */
export async function ensureStateDir(talconfigDir: string, fs: { read(path: string): Promise<string | undefined>; write(path: string, text: string, mode: number): Promise<void> }): Promise<string | undefined> {
  const path = join(talconfigDir, STATE_DIR, ".gitignore");
  if ((await fs.read(path)) !== undefined) return undefined;
  await fs.write(path, STATE_GITIGNORE, 0o644);
  return path;
}
