/** The dashboard's one stylesheet, served as /static/ui.css (a file of its own: the CSP allows no inline style). */
export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --ok: #116329; --ok-bg: #dafbe1; --warn: #7d4e00; --warn-bg: #fff8c5; --bad: #a40e26; --bad-bg: #ffebe9;
  --accent: #0a3069; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
header.top { display: flex; align-items: center; gap: 1rem; padding: .5rem 1rem; background: #0d1117; color: #f0f6fc; }
header.top .brand { font-weight: 700; }
header.top .cluster { color: #c9d1d9; }
header.top nav ul { display: flex; gap: .25rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #f0f6fc; text-decoration: none; padding: .3rem .6rem; border-radius: 4px; }
header.top nav a[aria-current="page"] { background: #30363d; font-weight: 600; }
header.top nav a:focus-visible, a:focus-visible, button:focus-visible { outline: 2px solid #58a6ff;
  outline-offset: 2px; }
main { padding: 1rem 1.25rem 2rem; max-width: 1400px; }
h1 { font-size: 1.4rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1rem 0 .4rem; }
h3 { font-size: 1rem; margin: .4rem 0; }
a { color: var(--accent); }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.summary { margin: .25rem 0 .75rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; }
ul.ext { margin: .2rem 0 0; padding-left: 1rem; color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: 12px; border: 1px solid var(--line);
  background: var(--panel); white-space: nowrap; }
.badge.ok { color: var(--ok); background: var(--ok-bg); border-color: #4ac26b; }
.badge.warn { color: var(--warn); background: var(--warn-bg); border-color: #d4a72c; }
.badge.bad { color: var(--bad); background: var(--bad-bg); border-color: #ff8182; }
.badge.ro { color: #0d1117; background: #f2cc60; border-color: #f2cc60; }
.behind { color: var(--bad); font-weight: 600; }
progress { width: 100%; max-width: 40rem; height: .8rem; }
.nodes-progress { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: .75rem;
  margin-top: .75rem; }
.node-progress { border: 1px solid var(--line); border-radius: 6px; padding: .25rem .75rem .5rem;
  background: var(--panel); }
.node-progress.failed { border-color: var(--bad); }
.node-progress.done { border-color: #4ac26b; }
.node-progress ol { list-style: none; padding: 0; margin: 0; }
.step { padding: .15rem 0; }
.step .state { font-size: 12px; color: var(--muted); }
.step .dur { float: right; color: var(--muted); font-variant-numeric: tabular-nums; }
.step.done > span:first-child { color: var(--ok); }
.step.failed > span:first-child, .step.failed .label { color: var(--bad); font-weight: 600; }
.step.running .label { font-weight: 600; }
pre.err, .failure pre { white-space: pre-wrap; color: var(--bad); margin: .2rem 0; }
.failure { border: 1px solid #ff8182; background: var(--bad-bg); border-radius: 6px; padding: .5rem .75rem;
  margin: .5rem 0; }
.plan-node, .finding { border: 1px solid var(--line); border-radius: 6px; padding: .25rem .75rem .5rem;
  margin: .5rem 0; }
.finding.error { border-left: 4px solid var(--bad); }
.finding.warning { border-left: 4px solid #d4a72c; }
.why { color: var(--muted); }
table.diff tr.add td:first-child { color: var(--ok); }
table.diff tr.remove td:first-child { color: var(--bad); }
form.apply { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin-top: 1rem;
  background: var(--panel); }
button { font: inherit; padding: .35rem .9rem; border-radius: 6px; border: 1px solid #1f883d; background: #1f883d;
  color: #fff;
  cursor: pointer; }
pre.log { background: #0d1117; color: #e6edf3; padding: .5rem .75rem; border-radius: 6px; max-height: 24rem;
  overflow: auto;
  white-space: pre-wrap; }
tr.failing th, tr.failing td { background: var(--bad-bg); }
`;
