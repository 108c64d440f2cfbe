import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { html, type Html } from "./html.js";
import type { ClusterView, DoctorView, NodeDetailView, PlanView, RolloutView } from "./model.js";
import {
  clusterPage,
  clusterTable,
  doctorPage,
  messagePage,
  nodePage,
  planPage,
  rolloutBody,
  rolloutPage,
  type PageOptions,
  type Tab,
} from "./pages.js";
import { STYLESHEET } from "./styles.js";

/**
 * The dashboard's HTTP edge. Every request needs the session token (from the printed URL once, then an HttpOnly
 * SameSite=Strict cookie); a Host other than the address it listens on is refused (DNS rebinding); every response
 * carries a Content-Security-Policy that allows only the dashboard's own scripts and styles; a POST needs the CSRF
 * token of the page it came from. What the pages show comes from a `UiBackend`, so all of this is tested without a
 * cluster.
 */
export interface UiBackend {
  readonly clusterName: string;
  readonly readOnly: boolean;
  cluster(): Promise<ClusterView>;
  /** Plans afresh and remembers the plan under the returned id (the apply form names it). */
  plan(): Promise<{ id: string; view: PlanView }>;
  /** Starts executing the remembered plan; resolves once the rollout started, or with why it was refused. */
  apply(planId: string): Promise<{ started: true } | { started: false; reason: string; hint?: string }>;
  rollout(): RolloutView;
  onRollout(listener: (v: RolloutView) => void): () => void;
  doctor(): Promise<DoctorView>;
  node(hostname: string, service?: string): Promise<{ view: NodeDetailView; services: readonly string[] } | undefined>;
}

export interface UiServerOptions {
  readonly backend: UiBackend;
  /** The session token (random, from the caller: the core takes no randomness of its own). */
  readonly token: string;
  readonly csrf: string;
  /** The JavaScript files served under /static (htmx and its SSE extension, read from their npm packages). */
  readonly scripts: Readonly<Record<string, string>>;
  /** Seconds between SSE keep-alive comments (default 15). */
  readonly keepAliveSeconds?: number;
}

export const COOKIE = "talform_ui";

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  // Not no-referrer: under it Chrome sends `Origin: null` with form posts, and the Origin check needs the real one.
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/** Host values a browser sends for the address the server listens on. */
export function allowedHosts(address: AddressInfo): Set<string> {
  const port = address.port;
  const hosts = new Set([`${address.address}:${port}`, `localhost:${port}`]);
  if (address.family === "IPv6") hosts.add(`[${address.address}]:${port}`);
  if (address.address === "127.0.0.1" || address.address === "::1") hosts.add(`127.0.0.1:${port}`).add(`[::1]:${port}`);
  return hosts;
}

async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  let body = "";
  for await (const chunk of req) {
    body += (chunk as Buffer).toString("utf8");
    if (body.length > limit) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

export function createUiHandler(o: UiServerOptions, hosts: () => Set<string>) {
  const b = o.backend;
  const page = (tab: Tab, title: string): PageOptions => ({
    clusterName: b.clusterName,
    tab,
    title,
    readOnly: b.readOnly,
  });
  const send = (
    res: ServerResponse,
    status: number,
    body: string | Html,
    type = "text/html; charset=utf-8",
    extra = {},
  ) => {
    res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, ...extra });
    res.end(typeof body === "string" ? body : body.text);
  };
  const fail = (res: ServerResponse, status: number, tab: Tab, heading: string, text: string, hint?: string) =>
    send(
      res,
      status,
      messagePage(
        page(tab, heading),
        heading,
        html`<div class="failure" role="alert">
          <pre>${text}</pre>
          ${hint ? html`<p>${hint}</p>` : ""}
        </div>`,
      ),
    );

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hosts().has(req.headers.host ?? "")) return send(res, 421, "unknown Host\n", "text/plain; charset=utf-8");
    // Prefixed, not resolved: a path like //plan must stay a path, not become a host.
    const url = new URL(`http://ui.invalid${req.url ?? "/"}`);
    const fromQuery = url.searchParams.get("token") ?? undefined;
    if (!sameSecret(cookieValue(req, COOKIE), o.token)) {
      if (!sameSecret(fromQuery, o.token)) {
        return send(
          res,
          401,
          "401: this dashboard needs its token: open the URL that `talform ui` printed\n",
          "text/plain; charset=utf-8",
        );
      }
      // The token moves into a cookie and out of the address bar (and out of history and Referer).
      url.searchParams.delete("token");
      return send(res, 303, "", "text/plain; charset=utf-8", {
        "set-cookie": `${COOKIE}=${o.token}; HttpOnly; SameSite=Strict; Path=/`,
        location: url.pathname + (url.search || ""),
      });
    }
    try {
      if (req.method === "POST") return await post(req, res, url);
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "method not allowed\n", "text/plain");
      const path = url.pathname;
      if (path.startsWith("/static/")) {
        const name = path.slice("/static/".length);
        if (name === "ui.css") return send(res, 200, STYLESHEET, "text/css; charset=utf-8");
        const js = o.scripts[name];
        return js === undefined
          ? send(res, 404, "not found\n", "text/plain")
          : send(res, 200, js, "text/javascript; charset=utf-8");
      }
      if (path === "/") return send(res, 200, clusterPage(page("cluster", "Cluster"), await b.cluster()));
      if (path === "/fragment/cluster") return send(res, 200, clusterTable(await b.cluster()));
      if (path === "/rollout") return send(res, 200, rolloutPage(page("rollout", "Rollout"), b.rollout()));
      if (path === "/events/rollout") return events(req, res);
      if (path === "/plan") {
        const { id, view } = await b.plan();
        return send(
          res,
          200,
          planPage(page("plan", "Plan"), view, b.readOnly ? undefined : { planId: id, csrf: o.csrf }),
        );
      }
      if (path === "/doctor") return send(res, 200, doctorPage(page("doctor", "Doctor"), await b.doctor()));
      const node = /^\/node\/([^/]+)$/.exec(path);
      if (node) {
        const found = await b.node(decodeURIComponent(node[1]!), url.searchParams.get("service") ?? undefined);
        if (!found) return fail(res, 404, "node", "No such node", `${node[1]} is not a node of this talconfig`);
        return send(res, 200, nodePage(page("node", found.view.hostname), found.view, found.services));
      }
      return send(res, 404, "not found\n", "text/plain; charset=utf-8");
    } catch (e) {
      const err = e as Error & { hint?: string };
      return fail(res, 500, "cluster", "Something failed", err.message, err.hint);
    }
  };

  async function post(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts().has(origin.replace(/^https?:\/\//, ""))) {
      return send(res, 403, "403: cross-origin request refused\n", "text/plain; charset=utf-8");
    }
    const form = await readForm(req);
    if (!sameSecret(form.get("csrf") ?? undefined, o.csrf)) {
      return send(res, 403, "403: missing or wrong CSRF token; reload the plan page\n", "text/plain; charset=utf-8");
    }
    if (url.pathname !== "/apply") return send(res, 404, "not found\n", "text/plain; charset=utf-8");
    if (b.readOnly) return fail(res, 403, "plan", "Read-only", "this dashboard is read-only: apply is disabled");
    if (form.get("confirm") !== "yes")
      return fail(res, 400, "plan", "Not confirmed", "tick the confirmation box to apply");
    const r = await b.apply(form.get("plan") ?? "");
    if (!r.started) return fail(res, 409, "plan", "Apply refused", r.reason, r.hint);
    return send(res, 303, "", "text/plain; charset=utf-8", { location: "/rollout" });
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": "text/event-stream; charset=utf-8",
      connection: "keep-alive",
    });
    const push = (v: RolloutView) => res.write(sseMessage("rollout", rolloutBody(v).text));
    push(b.rollout());
    const off = b.onRollout(push);
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), (o.keepAliveSeconds ?? 15) * 1000);
    req.on("close", () => {
      off();
      clearInterval(keepAlive);
    });
  }
}

/** One SSE message; every line of the data gets its own `data:` field. */
export function sseMessage(event: string, data: string): string {
  return `event: ${event}\n${data
    .split("\n")
    .map((l) => `data: ${l}`)
    .join("\n")}\n\n`;
}

export interface RunningUiServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (loopback unless the caller says otherwise) and returns the URL with the token. */
export async function listenUi(o: UiServerOptions, host: string, port: number): Promise<RunningUiServer> {
  let hosts = new Set<string>();
  const handler = createUiHandler(o, () => hosts);
  const server = createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, "content-type": "text/plain" });
      res.end(`internal error: ${(e as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  hosts = allowedHosts(address);
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shown}:${address.port}/?token=${o.token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
