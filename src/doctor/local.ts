import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parseSecretsBundle } from "../secrets/index.js";
import type { LoadedTalconfig, SopsDecryptor } from "../talconfig/index.js";
import { parseTalosconfig, selectContext } from "../talosapi/talosconfig.js";
import { configDifferences, type LocalState } from "./checks/index.js";
import type { ExpectedNode } from "./types.js";

/** talhelper's secrets file names, looked up beside talconfig.yaml. */
export const SECRETS_FILES = ["talsecret.sops.yaml", "talsecret.yaml", "talsecret.sops.yml", "talsecret.yml"];

export interface GatherOptions {
  /** Folder paths are shown relative to. */
  readonly cwd: string;
  readonly talconfig?: LoadedTalconfig;
  readonly expected: readonly ExpectedNode[];
  /** Resolved talosconfig path and context (as the client uses them). */
  readonly talosconfigPath?: string;
  readonly talosconfigContext?: string;
  /** Explicit secrets file; default: the first of SECRETS_FILES beside talconfig.yaml. */
  readonly secretsFile?: string;
  readonly decryptor?: SopsDecryptor;
  /**
   * Renders a node's machine config from talconfig (genconfig's renderer). When given, drift is judged against this
   * render and a `clusterconfig/` file that differs from it is stale; otherwise the file on disk is the reference and
   * staleness is judged by modification times.
   */
  readonly renderNode?: (hostname: string) => Promise<string>;
}

const mtime = async (p: string): Promise<number | undefined> => (await stat(p).catch(() => undefined))?.mtimeMs;

/** Reads what doctor compares with the cluster from disk. Nothing here is fatal: a missing input skips its check. */
export async function gatherLocalState(o: GatherOptions): Promise<LocalState> {
  const show = (p: string) => {
    const r = relative(o.cwd, p);
    return r.startsWith("..") ? p : r;
  };
  const notes: string[] = [];
  const t = o.talconfig;
  const renderedConfigs = new Map<string, { text: string; file: string }>();
  const staleFiles: { file: string; newerInput: string }[] = [];
  if (t) {
    for (const e of o.expected) {
      if (!e.configFile) continue;
      const path = resolve(t.dir, e.configFile);
      const onDisk = existsSync(path) ? await readFile(path, "utf8") : undefined;
      if (o.renderNode) {
        let text: string;
        try {
          text = await o.renderNode(e.hostname);
        } catch (err) {
          notes.push(`${e.hostname}: config not rendered: ${(err as Error).message}`);
          continue;
        }
        renderedConfigs.set(e.hostname, { text, file: show(path) });
        if (onDisk !== undefined && configDifferences(text, onDisk).length > 0)
          staleFiles.push({ file: show(path), newerInput: show(t.path) });
        continue;
      }
      if (onDisk === undefined) continue;
      renderedConfigs.set(e.hostname, { text: onDisk, file: show(path) });
      const node = t.nodes.find((n) => n.hostname === e.hostname);
      const inputs = [
        resolve(t.path),
        ...t.envFiles.map((f) => resolve(t.dir, f)),
        ...(node?.patches.flatMap((p) => (p.file ? [p.file] : [])) ?? []),
      ];
      const out = (await mtime(path)) ?? 0;
      for (const input of inputs) {
        const m = await mtime(input);
        if (m !== undefined && m > out) {
          staleFiles.push({ file: show(path), newerInput: show(input) });
          break;
        }
      }
    }
  }
  let talosconfig: LocalState["talosconfig"];
  if (o.talosconfigPath && existsSync(o.talosconfigPath)) {
    try {
      const c = selectContext(
        parseTalosconfig(await readFile(o.talosconfigPath, "utf8"), o.talosconfigPath),
        o.talosconfigPath,
        o.talosconfigContext,
      );
      talosconfig = { path: show(o.talosconfigPath), ...(c.crt ? { crt: c.crt } : {}), ...(c.ca ? { ca: c.ca } : {}) };
    } catch (e) {
      notes.push(`talosconfig ${show(o.talosconfigPath)} not checked: ${(e as Error).message}`);
    }
  }
  let secrets: LocalState["secrets"];
  const secretsPath =
    o.secretsFile ?? (t ? SECRETS_FILES.map((f) => join(t.dir, f)).find((f) => existsSync(f)) : undefined);
  if (secretsPath) {
    try {
      let text = await readFile(secretsPath, "utf8");
      if (o.decryptor?.isEncrypted(text)) text = await o.decryptor.decrypt(text, secretsPath);
      // Only the public OS CA certificate leaves this function; the decrypted bundle is dropped here.
      secrets = { file: show(secretsPath), osCaCrt: parseSecretsBundle(text, show(secretsPath)).certs.os.crt };
    } catch (e) {
      notes.push(`secrets ${show(secretsPath)} not checked: ${(e as Error).message}`);
    }
  }
  return {
    ...(t ? { talconfigPath: show(t.path) } : {}),
    renderedConfigs,
    staleFiles,
    ...(talosconfig ? { talosconfig } : {}),
    ...(secrets ? { secrets } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}
