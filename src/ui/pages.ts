import { html, type Html } from "./html.js";
import type {
  ClusterView,
  DoctorView,
  NodeDetailView,
  NodeRow,
  PlanView,
  RolloutView,
  StepRow,
  VersionCell,
} from "./model.js";

/**
 * The dashboard's HTML, rendered on the server from the view-models. Live parts are declared with htmx attributes
 * (a polled fragment for the cluster table, a Server-Sent Events stream for the rollout); no page has inline script
 * or style, so the Content-Security-Policy forbids both.
 */

export type Tab = "cluster" | "plan" | "rollout" | "doctor" | "node";

export interface PageOptions {
  readonly clusterName: string;
  readonly tab: Tab;
  readonly title: string;
  readonly readOnly: boolean;
}

const TABS: readonly [Tab, string, string][] = [
  ["cluster", "/", "Cluster"],
  ["plan", "/plan", "Plan"],
  ["rollout", "/rollout", "Rollout"],
  ["doctor", "/doctor", "Doctor"],
];

export function layout(o: PageOptions, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content='{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false}' />
        <title>${o.title} &middot; ${o.clusterName} &middot; talform</title>
        <link rel="stylesheet" href="/static/ui.css" />
        <script src="/static/htmx.min.js" defer></script>
        <script src="/static/sse.min.js" defer></script>
      </head>
      <body>
        <header class="top">
          <span class="brand">talform</span> <span class="cluster">${o.clusterName}</span>
          <nav aria-label="views">
            <ul>
              ${TABS.map(
                ([t, href, label]) =>
                  html`<li><a href="${href}" ${t === o.tab ? html` aria-current="page"` : ""}>${label}</a></li>`,
              )}
            </ul>
          </nav>
          ${o.readOnly ? html`<span class="badge ro" title="apply is disabled">read-only</span>` : ""}
        </header>
        <main id="main">${body}</main>
      </body>
    </html> `;
}

// ---- cluster ---------------------------------------------------------------------------------------------------

function version(v: VersionCell): Html {
  if (!v.observed) return html`<span class="muted">${v.desired ? `— (wants ${v.desired})` : "—"}</span>`;
  return v.behind
    ? html`<span class="behind">${v.observed}</span> <span class="muted">&rarr; ${v.desired}</span>`
    : html`${v.observed}`;
}

const DASH = html`<span class="muted">&mdash;</span>`;
const shortId = (s: string | undefined) => (s ? s.slice(0, 12) : undefined);

function stageBadge(n: NodeRow): Html {
  const cls = n.stage === "running" ? "ok" : n.stage === "unreachable" ? "bad" : "warn";
  return html`<span class="badge ${cls}" ${n.error ? html` title="${n.error}"` : ""}>${n.stage}</span>`;
}

function readyCell(n: NodeRow): Html {
  const cls = n.ready === "Ready" ? "ok" : n.ready === "NotReady" ? "bad" : "muted";
  return html`<span class="badge ${cls}">${n.ready}</span
    >${n.cordoned ? html` <span class="badge warn">cordoned</span>` : ""}`;
}

export function clusterTable(v: ClusterView): Html {
  return html`<section
    id="cluster-live"
    hx-get="/fragment/cluster"
    hx-trigger="every 2s"
    hx-swap="outerHTML"
    aria-live="polite"
  >
    <p class="summary">
      ${v.counts.nodes} nodes &middot; ${v.counts.reachable} reachable &middot; ${v.counts.ready}
      Ready${v.counts.behind ? html` &middot; <strong>${v.counts.behind} not at the talconfig version</strong>` : ""}
      &middot;
      <span class="muted">observed ${v.observedAt.slice(11, 19)} UTC</span>
    </p>
    <div class="scroll">
      <table class="nodes">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Role</th>
            <th scope="col">Address</th>
            <th scope="col">Stage</th>
            <th scope="col">Talos</th>
            <th scope="col">Kubernetes</th>
            <th scope="col">Schematic and extensions</th>
            <th scope="col">etcd</th>
            <th scope="col">Kubernetes node</th>
            <th scope="col">Last boot</th>
          </tr>
        </thead>
        <tbody>
          ${v.nodes.map(
            (n) =>
              html`<tr data-node="${n.hostname}">
                <th scope="row"><a href="/node/${encodeURIComponent(n.hostname)}">${n.hostname}</a></th>
                <td>${n.role}</td>
                <td><code>${n.address}</code></td>
                <td>${stageBadge(n)}</td>
                <td data-col="talos">${version(n.talos)}</td>
                <td data-col="kubernetes">${version(n.kubernetes)}</td>
                <td>
                  ${n.schematic ? html`<code title="${n.schematic}">${shortId(n.schematic)}</code>` : DASH}
                  ${
                    n.extensions.length
                      ? html`<ul class="ext">
                          ${n.extensions.map((e) => html`<li>${e}</li>`)}
                        </ul>`
                      : ""
                  }
                </td>
                <td>${n.etcd ? html`<span class="badge ${n.etcdHealthy ? "ok" : "bad"}">${n.etcd}</span>` : DASH}</td>
                <td>${readyCell(n)}</td>
                <td>
                  ${n.bootId ? html`<code title="boot id ${n.bootId}">${n.bootId.slice(0, 8)}</code>` : DASH}${
                    n.rebootSeenAt ? html` <span class="muted">rebooted ${n.rebootSeenAt.slice(11, 19)}</span>` : ""
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

export function clusterPage(o: PageOptions, v: ClusterView): Html {
  return layout(
    o,
    html`<h1>Cluster ${v.clusterName}</h1>
      ${clusterTable(v)}`,
  );
}

// ---- rollout ---------------------------------------------------------------------------------------------------

const seconds = (ms: number | undefined) => (ms === undefined ? "" : `${(ms / 1000).toFixed(1)} s`);

function stepItem(s: StepRow): Html {
  const mark = { running: "⋯", done: "✓", skipped: "↷", failed: "✗" }[s.status];
  return html`<li class="step ${s.status}" data-step="${s.id}">
    <span aria-hidden="true">${mark}</span> <span class="label">${s.label}</span>
    <span class="state">${s.status}</span>
    ${s.ms !== undefined ? html`<span class="dur">${seconds(s.ms)}</span>` : ""}${
      s.why ? html` <span class="muted">(${s.why})</span>` : ""
    }
    ${s.error ? html`<pre class="err">${s.error}</pre>` : ""}
  </li>`;
}

export function rolloutBody(v: RolloutView): Html {
  if (v.state === "none") {
    return html`<p class="summary" data-state="none">
      No rollout yet. Start one with <code>talform apply</code>, or review the <a href="/plan">plan</a>.
    </p>`;
  }
  const label = { running: "running", finished: "finished", failed: "stopped" }[v.state];
  return html`<p class="summary" data-state="${v.state}">
      <span class="badge ${v.state === "finished" ? "ok" : v.state === "failed" ? "bad" : "warn"}">${label}</span>
      ${v.resumed ? "resumed " : ""}rollout started ${v.startedAt?.slice(11, 19)} UTC &middot;
      <span class="count">${v.finishedSteps} of ${v.totalSteps} steps</span
      >${v.ms !== undefined ? html` &middot; ${seconds(v.ms)}` : ""}
    </p>
    <progress max="${v.totalSteps}" value="${v.finishedSteps}" aria-label="steps finished"></progress>
    ${
      v.failure
        ? html`<div class="failure" role="alert">
            <strong>${v.failure.node}: ${v.failure.label} failed</strong>
            <pre>${v.failure.error}</pre>
            <p>Nodes after it were not touched. Fix the cause, then run <code>talform apply --resume</code>.</p>
          </div>`
        : ""
    }
    <div class="nodes-progress">
      ${v.nodes.map(
        (n) =>
          html`<section
            class="node-progress ${n.status.replace(" ", "-")}"
            data-node="${n.hostname}"
            aria-label="${n.hostname}"
          >
            <h2>${n.hostname} <span class="badge">${n.status}</span></h2>
            ${
              n.steps.length
                ? html`<ol>
                    ${n.steps.map(stepItem)}
                  </ol>`
                : html`<p class="muted">no step yet</p>`
            }
          </section>`,
      )}
    </div>
    ${
      v.messages.length
        ? html`<h2>Messages</h2>
            <ul class="messages">
              ${v.messages.map((m) => html`<li>${m.at.slice(11, 19)} ${m.node ? `${m.node}: ` : ""}${m.message}</li>`)}
            </ul>`
        : ""
    }`;
}

export function rolloutPage(o: PageOptions, v: RolloutView): Html {
  return layout(
    o,
    html`<h1>Rollout</h1>
      <section id="rollout-live" hx-ext="sse" sse-connect="/events/rollout" sse-swap="rollout" aria-live="polite">
        ${rolloutBody(v)}
      </section>`,
  );
}

// ---- plan ------------------------------------------------------------------------------------------------------

export interface ApplyForm {
  readonly planId: string;
  readonly csrf: string;
}

export function planPage(o: PageOptions, v: PlanView, form: ApplyForm | undefined, notice?: Html): Html {
  return layout(
    o,
    html`<h1>Plan</h1>
      ${notice ?? ""}
      <p class="summary">
        ${
          v.changes === 0
            ? "No changes: the nodes run what talconfig.yaml says."
            : `${v.changes} change(s) on ${v.nodesChanged} node(s)`
        }
        &middot; <span class="muted">planned ${v.createdAt.slice(11, 19)} UTC</span> &middot;
        <a href="/plan">plan again</a>
      </p>
      ${
        v.errors.length
          ? html`<div class="failure" role="alert">
              <h2>The plan has errors and cannot be applied</h2>
              <ul>
                ${v.errors.map(
                  (e) =>
                    html`<li>
                      ${e.node ? `${e.node}: ` : ""}${e.message}${
                        e.hint ? html` <span class="muted">(${e.hint})</span>` : ""
                      }
                    </li>`,
                )}
              </ul>
            </div>`
          : ""
      }
      ${v.nodes.map(
        (n) =>
          html`<section class="plan-node" data-node="${n.hostname}" aria-label="${n.hostname}">
            <h2>
              ${n.hostname}
              <span class="muted">${n.role} &middot; ${n.address}</span
              >${n.reboots ? html` <span class="badge warn">reboots</span>` : ""}${
                n.drift ? html` <span class="badge bad">changed outside talform</span>` : ""
              }
            </h2>
            <ol class="actions">
              ${n.actions.map(
                (a) => html`<li><strong>${a.summary}</strong><br /><span class="why">why: ${a.reason}</span></li>`,
              )}
            </ol>
            ${
              n.diff.length
                ? html`<details>
                    <summary>config diff (${n.diff.length} change(s), secrets redacted)</summary>
                    <table class="diff">
                      <thead>
                        <tr>
                          <th scope="col">op</th>
                          <th scope="col">where</th>
                          <th scope="col">value</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${n.diff.map(
                          (d) =>
                            html`<tr class="${d.op}">
                              <td>${d.op}</td>
                              <td><code>${d.where}</code></td>
                              <td><code>${d.text}</code></td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </details>`
                : ""
            }
          </section>`,
      )}
      ${v.unchanged.length ? html`<p class="muted">Unchanged: ${v.unchanged.join(", ")}</p>` : ""}
      ${applyForm(o, v, form)}`,
  );
}

function applyForm(o: PageOptions, v: PlanView, form: ApplyForm | undefined): Html {
  if (!v.appliable) return html``;
  if (o.readOnly || !form) {
    return html`<p class="muted">
      Read-only dashboard: apply this plan from a terminal with <code>talform apply</code>.
    </p>`;
  }
  return html`<form class="apply" method="post" action="/apply">
    <input type="hidden" name="csrf" value="${form.csrf}" />
    <input type="hidden" name="plan" value="${form.planId}" />
    <p>
      <label
        ><input type="checkbox" name="confirm" value="yes" required /> I reviewed this plan and want to apply exactly
        it</label
      >
    </p>
    <button type="submit">Apply this plan</button>
    <p class="muted">
      The rollout refuses a stale plan: if a node or the configuration changed since this page was planned, nothing is
      changed and you are asked to plan again.
    </p>
  </form>`;
}

// ---- doctor and node -------------------------------------------------------------------------------------------

export function doctorPage(o: PageOptions, v: DoctorView): Html {
  return layout(
    o,
    html`<h1>Doctor</h1>
      <p class="summary">
        ${v.errors + v.warnings === 0 ? "No findings." : `${v.errors} error(s), ${v.warnings} warning(s)`}
      </p>
      ${v.notes.map((n) => html`<p class="muted">${n}</p>`)}
      ${v.groups.map(
        (g) =>
          html`<section class="findings" aria-label="${g.node}">
            <h2>${g.node}</h2>
            ${g.findings.map(
              (f) =>
                html`<article class="finding ${f.severity}" data-code="${f.code}">
                  <h3>
                    <span class="badge ${f.severity === "error" ? "bad" : "warn"}">${f.severity}</span> ${f.symptom}
                  </h3>
                  ${
                    f.evidence.length
                      ? html`<ul class="evidence">
                          ${f.evidence.map((e) => html`<li><code>${e}</code></li>`)}
                        </ul>`
                      : ""
                  }
                  <p>fix: <code class="fix">${f.fix}</code></p>
                </article>`,
            )}
          </section>`,
      )}`,
  );
}

export function nodePage(o: PageOptions, v: NodeDetailView, services: readonly string[]): Html {
  return layout(
    o,
    html`<h1>${v.hostname} <span class="muted">${v.address}</span></h1>
      ${v.error ? html`<div class="failure" role="alert">${v.error}</div>` : ""}
      <h2>Services</h2>
      <table class="services">
        <thead>
          <tr>
            <th scope="col">service</th>
            <th scope="col">state</th>
            <th scope="col">health</th>
            <th scope="col">restarts</th>
            <th scope="col">message</th>
          </tr>
        </thead>
        <tbody>
          ${v.services.map(
            (s) =>
              html`<tr data-service="${s.id}" ${s.failing ? html` class="failing"` : ""}>
                <th scope="row"><a href="?service=${encodeURIComponent(s.id)}">${s.id}</a></th>
                <td>${s.state}</td>
                <td>${s.healthUnknown ? "?" : s.healthy ? "OK" : "unhealthy"}</td>
                <td>${s.restarts}</td>
                <td>${s.message}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>Extensions</h2>
      ${
        v.extensions.length
          ? html`<ul>
              ${v.extensions.map((e) => html`<li>${e.name} <span class="muted">${e.version}</span></li>`)}
            </ul>`
          : html`<p class="muted">none</p>`
      }
      <h2>Logs of ${v.logService}</h2>
      <p class="muted">
        other services:
        ${services
          .filter((s) => s !== v.logService)
          .map((s) => html`<a href="?service=${encodeURIComponent(s)}">${s}</a> `)}
      </p>
      <pre class="log" tabindex="0" aria-label="logs of ${v.logService}">${v.logs.join("\n") || "(no lines)"}</pre>
      <h2>Kernel log</h2>
      <pre class="log" tabindex="0" aria-label="kernel log">${v.kernel.join("\n") || "(no lines)"}</pre>`,
  );
}

export function messagePage(o: PageOptions, heading: string, body: Html): Html {
  return layout(
    o,
    html`<h1>${heading}</h1>
      ${body}`,
  );
}
