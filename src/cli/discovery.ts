import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Where talhelper users keep talconfig.yaml, relative to a folder: the folder itself, then the seed's layout. */
const CANDIDATES = ["talconfig.yaml", join("iac", "talos", "talconfig.yaml")];

/**
 * Finds the talconfig.yaml a command means when `-c` is not given: `./talconfig.yaml`, `./iac/talos/talconfig.yaml`,
 * then the same two in each parent folder up to the git root. Outside a git repository only the current folder is
 * looked at, so a stray talconfig.yaml somewhere above never gets picked.
 */
export function discoverTalconfig(cwd: string, exists: (path: string) => boolean = existsSync): string | undefined {
  const start = resolve(cwd);
  const gitRoot = findGitRoot(start, exists);
  for (let dir = start; ; dir = dirname(dir)) {
    for (const c of CANDIDATES) if (exists(join(dir, c))) return join(dir, c);
    if (gitRoot === undefined || dir === gitRoot || dirname(dir) === dir) return undefined;
  }
}

function findGitRoot(start: string, exists: (path: string) => boolean): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (exists(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
