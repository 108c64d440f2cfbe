import type { CliContext } from "./context.js";
import type { RolloutEvent } from "../rollout/events.js";

/**
 * Ctrl-C during `apply`: say what was running and how to continue, then exit 130. The journal is already on disk
 * (it is rewritten after every step start and end), so nothing else needs saving.
 */
export function interruptNotice(
  ctx: CliContext,
  journal: string,
  planFile: string | undefined,
): { track(e: RolloutEvent): void; dispose(): void } {
  const running = new Map<string, string>();
  const onSigint = () => {
    const what = [...running].map(([node, label]) => `${node}: ${label}`);
    ctx.stderr.write(
      `\ninterrupted${what.length > 0 ? ` during ${what.join("; ")}` : " between steps"}. The journal ${journal} records every finished step.\n` +
        `resume with \`talform apply ${planFile ? `${planFile} ` : ""}--resume\` (an interrupted step first waits for its node), ` +
        "or forget the run with `talform apply --discard-journal`; a node talform cordoned stays cordoned until then\n",
    );
    process.exit(130);
  };
  process.once("SIGINT", onSigint);
  return {
    track(e) {
      if (e.type === "step-start") running.set(e.node, e.label);
      if (e.type === "step-done" || e.type === "step-failed" || e.type === "step-skip") running.delete(e.node);
    },
    dispose: () => void process.off("SIGINT", onSigint),
  };
}
