// The dashboard in a real headless Chromium (Debian's `chromium`, installed by scripts/setup-browser.sh), against
// simulated nodes, with `talform ui` and `talform apply` run as the CLI, each in its own process.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startLab, startUiProcess, talconfigText, talform, waitExit, NODES, type Lab } from "./support.js";

const CHROMIUM = process.env.TALFORM_CHROMIUM ?? "/usr/bin/chromium";
// Where the screenshots go besides the test's temp folder (docs/ when refreshing the committed ones).
const SHOTS = process.env.TALFORM_UI_SCREENSHOTS;
const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let lab: Lab;
let ui: Awaited<ReturnType<typeof startUiProcess>>;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const base = () => ui.url.replace(/\/\?token=.*$/, "");

before(async () => {
  // timeScale 0.1: a reboot takes ~0.2 s, slow enough for the page to show each step as it happens.
  lab = await startLab("v1.12.11", "1.35.4", 0.1);
  ui = await startUiProcess(lab.dir);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await (await browser.newContext({ viewport: { width: 1360, height: 820 } })).newPage();
  page.on("console", (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await ui?.stop();
  await lab?.fleet.stop();
  await lab?.factory.stop();
  if (lab) await rm(lab.dir, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  const file = join(lab.dir, "screenshots", `${name}.png`);
  await mkdir(join(lab.dir, "screenshots"), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  if (SHOTS) await copyFile(file, join(SHOTS, `ui-${name}.png`));
}

async function axeSerious(): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (the page itself allows no eval).
  const result = (await page.evaluate(`${axeSource}; axe.run(document, { resultTypes: ["violations"] })`)) as {
    violations: { id: string; impact: string; help: string; nodes: unknown[] }[];
  };
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} ×${v.nodes.length}`);
}

test("a request without the token gets 401; the token URL sets an HttpOnly SameSite=Strict cookie", async () => {
  for (const path of ["/", "/plan", "/rollout", "/events/rollout", "/static/htmx.min.js", "/?token=wrong"]) {
    const r = await fetch(base() + path, { redirect: "manual" });
    assert.equal(r.status, 401, path);
    assert.match(r.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  }
  const r = await fetch(ui.url, { redirect: "manual" });
  assert.equal(r.status, 303);
  assert.match(r.headers.get("set-cookie") ?? "", /^talform_ui=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);
  assert.equal(r.headers.get("location"), "/");
});

test("a rollout started from the CLI shows live step updates in the rollout page", async () => {
  await page.goto(ui.url);
  await page.goto(base() + "/rollout");
  await page.locator("[data-state=none]").waitFor();
  await page.evaluate("window.__sameDocument = true");
  // A second tab on the cluster view, opened while the nodes are still in maintenance mode.
  const clusterTab = await page.context().newPage();
  await clusterTab.goto(base() + "/");
  assert.equal(await clusterTab.locator("td .badge", { hasText: "maintenance" }).count(), NODES.length);
  await clusterTab.evaluate("window.__sameDocument = true");
  const apply = talform(["apply", "--yes", "-c", "talconfig.yaml"], lab.dir);
  // Sample the page while the CLI runs: the count of finished steps must move through several values.
  const seen = new Set<string>();
  let state = "none";
  const deadline = Date.now() + 120_000;
  while (state !== "finished" && state !== "failed" && Date.now() < deadline) {
    const summary = page.locator("#rollout-live .summary");
    state = (await summary.getAttribute("data-state").catch(() => null)) ?? state;
    const count = await page
      .locator("#rollout-live .count")
      .textContent()
      .catch(() => null);
    if (count) seen.add(count);
    await new Promise((r) => setTimeout(r, 40));
  }
  const code = await waitExit(apply);
  assert.equal(code, 0, apply.output());
  assert.equal(state, "finished", apply.output());
  assert.equal(await page.evaluate("window.__sameDocument"), true, "the page reloaded instead of updating live");
  assert.ok(seen.size >= 3, `the page showed only ${[...seen].join(" | ")}`);
  for (const n of NODES) {
    const card = page.locator(`.node-progress[data-node="${n.hostname}"]`);
    assert.equal(await card.locator(".badge").first().textContent(), "done", n.hostname);
    const steps = await card.locator("li.step.done").count();
    assert.ok(steps >= 2, `${n.hostname}: ${steps} done steps`);
    assert.match((await card.locator("li.step .dur").first().textContent()) ?? "", /^\d+\.\d s$/);
  }
  assert.match((await page.locator("#rollout-live .count").textContent()) ?? "", /^(\d+) of \1 steps$/);
  await shot("rollout");
  // The cluster tab refreshed by itself: every node now runs, without a reload.
  await clusterTab
    .locator("td .badge.ok", { hasText: "running" })
    .nth(NODES.length - 1)
    .waitFor({ timeout: 30_000 });
  assert.equal(await clusterTab.evaluate("window.__sameDocument"), true, "the cluster tab reloaded");
  await clusterTab.close();
  assert.deepEqual(await axeSerious(), []);
});

test("the cluster page lists every node with the versions the nodes report, refreshed live", async () => {
  await page.goto(base() + "/");
  for (const n of NODES) {
    const row = page.locator(`tr[data-node="${n.hostname}"]`);
    await row.locator("td .badge.ok", { hasText: "running" }).waitFor({ timeout: 30_000 });
    await row.locator(".badge", { hasText: /^Ready$/ }).waitFor({ timeout: 30_000 });
    const sim = lab.fleet.node(n.hostname);
    assert.equal(await row.locator("[data-col=talos]").textContent(), sim.talosVersion, n.hostname);
    assert.equal((await row.locator("[data-col=kubernetes]").textContent())?.trim(), "1.35.4", n.hostname);
    assert.equal(await row.locator("td").first().textContent(), n.controlPlane ? "controlplane" : "worker");
  }
  assert.equal(await page.locator("tr[data-node]").count(), NODES.length);
  assert.match((await page.locator("tr[data-node=cp1]").textContent()) ?? "", /member, healthy/);
  await shot("cluster");
  assert.deepEqual(await axeSerious(), []);
});

test("the doctor and node views render the nodes' findings, services, logs and kernel log", async () => {
  await page.goto(base() + "/doctor");
  await page.locator("h1", { hasText: "Doctor" }).waitFor();
  assert.deepEqual(await axeSerious(), []);
  await page.goto(base() + "/node/cp1?service=etcd");
  assert.equal(await page.locator("tr[data-service=etcd] td").first().textContent(), "Running");
  assert.match((await page.locator("pre.log").first().textContent()) ?? "", /etcd/);
  assert.ok(((await page.locator("pre.log").nth(1).textContent()) ?? "").split("\n").length > 1, "kernel log lines");
  assert.deepEqual(await axeSerious(), []);
});

test("apply from the UI: review the plan, confirm it; a stale plan and a missing CSRF token are refused", async () => {
  await writeFile(lab.talconfig, talconfigText("v1.13.9", "1.35.4"));
  await page.goto(ui.url);
  await page.goto(base() + "/plan");
  for (const n of NODES) {
    assert.match(
      (await page.locator(`.plan-node[data-node="${n.hostname}"]`).textContent()) ?? "",
      /upgrade Talos v1\.12\.11 → v1\.13\.9/,
    );
  }
  assert.deepEqual(await axeSerious(), []);
  // A POST without the page's CSRF token (the cookie alone) is refused.
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const forged = await fetch(base() + "/apply", {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: "plan=x&confirm=yes",
    redirect: "manual",
  });
  assert.equal(forged.status, 403);
  // The configuration changes under the reviewed plan: the UI refuses the now stale plan and changes nothing.
  await writeFile(
    lab.talconfig,
    talconfigText("v1.13.9", "1.35.4").replace("installDisk: /dev/sda", "installDisk: /dev/sdb"),
  );
  await page.locator("input[name=confirm]").check();
  await page.locator("button[type=submit]").click();
  await page
    .locator("h1", { hasText: "Apply refused" })
    .waitFor()
    .catch(async (e: Error) => {
      await shot("failure");
      throw new Error(`${e.message}\n${page.url()}\n${ui.output()}`);
    });
  assert.match((await page.locator("main").textContent()) ?? "", /stale/);
  assert.equal(lab.fleet.node("cp1").talosVersion, "v1.12.11");
  // Plan again, review, confirm: the rollout runs and the page follows it.
  await page.goto(base() + "/plan");
  await page.locator("input[name=confirm]").check();
  await page.locator("button[type=submit]").click();
  await page.waitForURL(/\/rollout$/, { timeout: 60_000 });
  const end = page.locator("#rollout-live [data-state=finished], #rollout-live [data-state=failed]");
  await end.waitFor({ timeout: 240_000 });
  await shot("apply");
  assert.equal(
    await end.getAttribute("data-state"),
    "finished",
    (await page.locator("#rollout-live").textContent()) ?? "",
  );
  for (const n of NODES) assert.equal(lab.fleet.node(n.hostname).talosVersion, "v1.13.9", n.hostname);
  assert.deepEqual(cspViolations, []);
});
