import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** Plaintext key material patterns: PEM, base64 of "-----BEGIN", Talos tokens. */
export const LEAKS = [/PRIVATE KEY/, /LS0tLS1CRUdJTi/, /[0-9a-z]{6}\.[0-9a-z]{16}/];

export async function leaksIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    let text: string;
    try {
      if ((await stat(path)).isDirectory()) continue;
      text = await readFile(path, "utf8");
    } catch {
      continue; // a temp file renamed away between readdir and read
    }
    for (const re of LEAKS) if (re.test(text)) found.push(`${name} matches ${re}`);
  }
  return found;
}

/** Runs `action` while scanning `dir` continuously, so plaintext that exists only mid-run is caught too. */
export async function watchForLeaks<T>(dir: string, action: () => Promise<T>): Promise<{ result: T; leaks: string[] }> {
  const leaks = new Set<string>();
  let done = false;
  const watcher = (async () => {
    while (!done) {
      for (const l of await leaksIn(dir)) leaks.add(l);
      await new Promise((r) => setImmediate(r));
    }
  })();
  let result: T;
  try {
    result = await action();
  } finally {
    done = true;
    await watcher;
  }
  for (const l of await leaksIn(dir)) leaks.add(l);
  return { result, leaks: [...leaks] };
}
