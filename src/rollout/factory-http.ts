import { isIP } from "node:net";
import type { FactoryHttp } from "../factory/index.js";

/**
 * The network to the Image Factory for the CLI: the platform's `fetch`, refusing non-loopback hosts under
 * `TALFORM_LOOPBACK_ONLY=1` (tests and demos must never reach the internet, as for the Talos API client).
 */
export function cliFactoryHttp(env: Readonly<Record<string, string | undefined>>): FactoryHttp {
  return async (url, init) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    const loopback = host === "localhost" || (isIP(host) === 4 && host.startsWith("127.")) || host === "::1";
    if (env["TALFORM_LOOPBACK_ONLY"] === "1" && !loopback)
      throw new Error(`${host} is not a loopback address (TALFORM_LOOPBACK_ONLY=1)`);
    const res = await fetch(url, {
      method: init.method,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.headers ? { headers: init.headers } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, statusText: res.statusText, text: () => res.text() };
  };
}
