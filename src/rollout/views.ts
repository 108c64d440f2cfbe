import type { Reporter, RolloutEvent } from "./events.js";

type Write = (s: string) => void;

/** One timestamped line per event (CI logs, pipes). */
export function plainReporter(write: Write, now: () => Date = () => new Date()): Reporter {
  return (e) => write(`${now().toISOString()} ${plainLine(e)}\n`);
}

export function plainLine(e: RolloutEvent): string {
  switch (e.type) {
    case "rollout-start":
      return `${e.resumed ? "resuming" : "starting"} rollout: ${e.steps} step(s) on ${e.nodes.length} node(s) (${e.nodes.join(", ")})`;
    case "step-start":
      return `${e.node}: ${e.label} …`;
    case "step-done":
      return `${e.node}: ${e.label} done (${(e.ms / 1000).toFixed(1)} s)`;
    case "step-skip":
      return `${e.node}: ${e.label} skipped (${e.why})`;
    case "step-failed":
      return `${e.node}: ${e.label} FAILED: ${e.error}`;
    case "info":
      return `${e.node ? `${e.node}: ` : ""}${e.message}`;
    case "rollout-done":
      return e.ok
        ? `rollout finished in ${(e.ms / 1000).toFixed(1)} s`
        : `rollout stopped at ${e.failedNode ?? "?"}; nodes after it were not touched (fix, then apply --resume)`;
  }
}

/**
 * A live view for terminals: one line per node with its current step, redrawn in place; messages and the final
 * line scroll above it.
 */
export function ttyReporter(write: Write): Reporter {
  const rows = new Map<string, string>();
  let drawn = 0;
  const redraw = (above: string[] = []) => {
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const line of above) out += `\x1b[2K${line}\n`;
    for (const [node, status] of rows) out += `\x1b[2K  ${node.padEnd(16)} ${status}\n`;
    drawn = rows.size;
    write(out);
  };
  return (e) => {
    switch (e.type) {
      case "rollout-start":
        for (const n of e.nodes) rows.set(n, "waiting");
        return redraw([plainLine(e)]);
      case "step-start":
        rows.set(e.node, `⋯ ${e.label}`);
        return redraw();
      case "step-done":
      case "step-skip":
        rows.set(e.node, `✓ ${e.label}`);
        return redraw();
      case "step-failed":
        rows.set(e.node, `✗ ${e.label}`);
        return redraw([plainLine(e)]);
      case "info":
      case "rollout-done":
        return redraw([plainLine(e)]);
    }
  };
}
