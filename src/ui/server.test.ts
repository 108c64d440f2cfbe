import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { clusterView, planView, rolloutView, type RolloutView } from "./model.js";
import { listenUi, sseMessage, CONTENT_SECURITY_POLICY, type UiBackend } from "./server.js";
import { escapeHtml, html } from "./html.js";
import { parseListen } from "./start.js";
import { planOf } from "./test-support.js";

// The HTTP edge against a fake backend: token, cookie, Host check, CSP, CSRF, read-only, SSE. Loopback only.

const PLAN = planOf([
  {
    hostname: "cp1",
    address: "127.0.0.1",
    controlPlane: true,
    observed: { reachable: true, maintenance: false },
    actions: [{ type: "reboot", reason: "<script>alert(1)</script>" }],
    reboots: true,
    diff: [],
  },
]);

function fakeBackend(readOnly: boolean) {
  const applied: string[] = [];
  const listeners = new Set<(v: RolloutView) => void>();
  const backend: UiBackend = {
    clusterName: "lab",
    readOnly,
    cluster: async () =>
      clusterView({
        clusterName: "lab",
        desired: [],
        observed: { nodes: [], etcdBootstrapped: false },
        observedAt: "2026-01-01T00:00:00Z",
      }),
    plan: async () => ({ id: "plan-1", view: planView(PLAN) }),
    apply: async (id) => {
      applied.push(id);
      return id === "plan-1" ? { started: true } : { started: false, reason: "the plan is stale: cp1 rebooted" };
    },
    rollout: () => rolloutView([]),
    onRollout: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    doctor: async () => ({ errors: 0, warnings: 0, groups: [], notes: [] }),
    node: async () => undefined,
  };
  return { backend, applied, listeners };
}

const TOKEN = "tok-123";
const CSRF = "csrf-456";
let rw: Awaited<ReturnType<typeof listenUi>>;
let ro: Awaited<ReturnType<typeof listenUi>>;
let fake: ReturnType<typeof fakeBackend>;
const base = (s: { url: string }) => s.url.replace(/\/\?token=.*$/, "");
const cookie = `talform_ui=${TOKEN}`;

before(async () => {
  fake = fakeBackend(false);
  rw = await listenUi(
    { backend: fake.backend, token: TOKEN, csrf: CSRF, scripts: { "htmx.min.js": "/*htmx*/" } },
    "127.0.0.1",
    0,
  );
  ro = await listenUi({ backend: fakeBackend(true).backend, token: TOKEN, csrf: CSRF, scripts: {} }, "127.0.0.1", 0);
});
after(async () => {
  await rw.close();
  await ro.close();
});

test("the printed URL carries the token; every path needs it (401), a wrong token is refused too", async () => {
  assert.match(rw.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=tok-123$/);
  for (const path of [
    "/",
    "/plan",
    "/rollout",
    "/events/rollout",
    "/doctor",
    "/static/htmx.min.js",
    "/?token=tok-12",
    "/nope",
  ]) {
    const r = await fetch(base(rw) + path, { redirect: "manual" });
    assert.equal(r.status, 401, path);
    assert.equal(r.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
  }
  const wrongCookie = await fetch(base(rw) + "/", { headers: { cookie: "talform_ui=tok-124" } });
  assert.equal(wrongCookie.status, 401);
});

test("the token moves into an HttpOnly SameSite=Strict cookie and out of the URL", async () => {
  const r = await fetch(`${base(rw)}/plan?token=${TOKEN}&x=1`, { redirect: "manual" });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get("location"), "/plan?x=1");
  assert.equal(r.headers.get("set-cookie"), `talform_ui=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
  const page = await fetch(base(rw) + "/", { headers: { cookie } });
  assert.equal(page.status, 200);
});

test("every page has a strict CSP and no inline script or style; interpolated text is escaped", async () => {
  const r = await fetch(base(rw) + "/plan", { headers: { cookie } });
  const csp = r.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.equal(r.headers.get("x-frame-options"), "DENY");
  const body = await r.text();
  assert.doesNotMatch(body, /<script(?![^>]*\ssrc=)[^>]*>/, "inline <script>");
  assert.doesNotMatch(body, /\sstyle=|<style|\son[a-z]+=/i, "inline style or handler");
  assert.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(html`<p>${["<b>", html`<i>ok</i>`]}</p>`.text, "<p>&lt;b&gt;<i>ok</i></p>");
});

test("a Host that is not the listening address is refused (DNS rebinding)", async () => {
  const { request } = await import("node:http");
  const port = Number(new URL(rw.url).port);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/", headers: { host: `evil.example:${port}`, cookie } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
  assert.equal(status, 421);
});

const post = (s: { url: string }, body: string, headers: Record<string, string> = {}) =>
  fetch(base(s) + "/apply", {
    method: "POST",
    redirect: "manual",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
    body,
  });

test("apply needs the CSRF token, the confirmation and a same-origin request; then starts and redirects", async () => {
  const cases: [string, Record<string, string>, number][] = [
    ["plan=plan-1&confirm=yes", {}, 403],
    [`csrf=wrong&plan=plan-1&confirm=yes`, {}, 403],
    [`csrf=${CSRF}&plan=plan-1&confirm=yes`, { origin: "http://evil.example" }, 403],
    [`csrf=${CSRF}&plan=plan-1&confirm=yes`, { origin: "null" }, 403],
    [`csrf=${CSRF}&plan=plan-1`, {}, 400],
    [`csrf=${CSRF}&plan=old&confirm=yes`, {}, 409],
  ];
  for (const [body, headers, status] of cases)
    assert.equal((await post(rw, body, headers)).status, status, `${body} ${JSON.stringify(headers)}`);
  assert.deepEqual(fake.applied, ["old"], "only the well-formed request reached the backend");
  const ok = await post(rw, `csrf=${CSRF}&plan=plan-1&confirm=yes`, { origin: base(rw) });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/rollout");
  assert.deepEqual(fake.applied, ["old", "plan-1"]);
  // Without a cookie, a POST is a 401 like any request.
  assert.equal((await fetch(base(rw) + "/apply", { method: "POST", body: "" })).status, 401);
});

test("the plan page offers the form with its CSRF token; read-only shows no form and refuses the POST", async () => {
  const page = await (await fetch(base(rw) + "/plan", { headers: { cookie } })).text();
  assert.match(page, new RegExp(`name="csrf" value="${CSRF}"`));
  assert.match(page, /name="plan" value="plan-1"/);
  const roPage = await (await fetch(base(ro) + "/plan", { headers: { cookie } })).text();
  assert.doesNotMatch(roPage, /<form/);
  assert.match(roPage, /read-only/);
  assert.equal((await post(ro, `csrf=${CSRF}&plan=plan-1&confirm=yes`)).status, 403);
});

test("the rollout stream is Server-Sent Events: the current view first, then each change", async () => {
  const ac = new AbortController();
  const r = await fetch(base(rw) + "/events/rollout", { headers: { cookie }, signal: ac.signal });
  assert.equal(r.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = r.body!.getReader();
  const read = async () => new TextDecoder().decode((await reader.read()).value);
  assert.match(await read(), /^event: rollout\ndata: .*No rollout yet/s);
  const running = rolloutView([
    { at: "2026-01-01T00:00:00Z", event: { type: "rollout-start", nodes: ["cp1"], steps: 3, resumed: false } },
    { at: "2026-01-01T00:00:01Z", event: { type: "step-start", node: "cp1", step: "cp1/verify", label: "verify" } },
  ]);
  for (const l of fake.listeners) l(running);
  const next = await read();
  assert.match(next, /data-state="running"/);
  assert.match(next, /data-step="cp1\/verify"/);
  ac.abort();
  assert.equal(sseMessage("x", "a\nb"), "event: x\ndata: a\ndata: b\n\n");
});

test("--listen takes IP:PORT, refuses names and wildcards", () => {
  assert.deepEqual(parseListen("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListen("[::1]:8080"), { host: "::1", port: 8080 });
  for (const bad of ["localhost:80", "0.0.0.0:80", "[::]:80", "127.0.0.1", "127.0.0.1:99999"])
    assert.throws(() => parseListen(bad), bad);
});
