import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { isIP } from "node:net";
import { pathToFileURL } from "node:url";
import { TalformError } from "../diagnostics/index.js";
import { parseTalosconfig, selectContext } from "../talosapi/index.js";
import { certificateRoles, createClusterBackend, readOnlyForRoles } from "./backend.js";
import { listenUi } from "./server.js";

export interface StartUiOptions {
  readonly configPath: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly secretsFile?: string;
  /** `host:port`, default `127.0.0.1:0` (a free port). */
  readonly listen?: string;
  readonly readOnly?: boolean;
  /** A talosconfig whose credentials the dashboard uses (its role decides read-only); default: the rendered admin. */
  readonly talosconfigPath?: string;
  readonly talosconfigContext?: string;
  readonly random?: (bytes: number) => Buffer;
}

export interface StartedUi {
  readonly url: string;
  readonly readOnly: boolean;
  readonly readOnlyReason?: string;
  close(): Promise<void>;
}

/** `host:port` → parts; the host must be an IP address, and a wildcard is refused (the Host check needs one). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !isIP(host) || !Number.isInteger(port) || port > 65535) {
    throw new TalformError(`--listen ${listen} is not IP:PORT`, {
      code: "usage",
      exitCode: 64,
      hint: "e.g. --listen 127.0.0.1:8080",
    });
  }
  if (host === "0.0.0.0" || host === "::") {
    throw new TalformError(`--listen ${listen}: listen on one address, not on all of them`, {
      code: "usage",
      exitCode: 64,
      hint: "the dashboard is meant for loopback (127.0.0.1); name one address to reach it from elsewhere",
    });
  }
  return { host, port };
}

// In the CommonJS bundle (dist/cli-bundle, see src/cli/launch.ts) import.meta is empty and the wrapper gives
// __filename; elsewhere this is an ES module.
const require = createRequire(import.meta.url || pathToFileURL(__filename).href);

/** htmx and its SSE extension, read from their npm packages (served as /static/…; nothing is fetched from a CDN). */
async function scripts(): Promise<Record<string, string>> {
  const [htmx, sse] = await Promise.all([
    readFile(require.resolve("htmx.org/dist/htmx.min.js"), "utf8"),
    readFile(require.resolve("htmx-ext-sse/dist/sse.min.js"), "utf8"),
  ]);
  return { "htmx.min.js": htmx, "sse.min.js": sse };
}

/** Starts `talform ui`: renders the talconfig, observes the cluster, listens, and returns the URL with its token. */
export async function startUi(o: StartUiOptions): Promise<StartedUi> {
  const { host, port } = parseListen(o.listen ?? "127.0.0.1:0");
  let credentials: { ca: string; crt: string; key: string } | undefined;
  let reason = o.readOnly ? "--read-only" : undefined;
  if (o.talosconfigPath) {
    const text = await readFile(o.talosconfigPath, "utf8").catch(() => {
      throw new TalformError(`${o.talosconfigPath} does not exist`, { code: "file-missing" });
    });
    const ctx = selectContext(parseTalosconfig(text, o.talosconfigPath), o.talosconfigPath, o.talosconfigContext);
    if (!ctx.ca || !ctx.crt || !ctx.key) {
      throw new TalformError(`${o.talosconfigPath}: the context has no client certificate`, { code: "talosconfig" });
    }
    credentials = { ca: ctx.ca, crt: ctx.crt, key: ctx.key };
    const roles = certificateRoles(ctx.crt);
    if (!reason && readOnlyForRoles(roles)) reason = `the talosconfig's role is ${roles.join(", ")}`;
  }
  const backend = await createClusterBackend({
    configPath: o.configPath,
    cwd: o.cwd,
    env: o.env,
    readOnly: reason !== undefined,
    ...(o.secretsFile ? { secretsFile: o.secretsFile } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const random = o.random ?? randomBytes;
  try {
    const server = await listenUi(
      {
        backend,
        token: random(24).toString("base64url"),
        csrf: random(24).toString("base64url"),
        scripts: await scripts(),
      },
      host,
      port,
    );
    return {
      url: server.url,
      readOnly: reason !== undefined,
      ...(reason ? { readOnlyReason: reason } : {}),
      async close() {
        backend.close();
        await server.close();
      },
    };
  } catch (e) {
    backend.close();
    throw e;
  }
}
