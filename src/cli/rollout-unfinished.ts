import { ExitCode, TalformError } from "../diagnostics/index.js";
import type { CliContext } from "./context.js";
import { fileJournal, journalPathFor, type RolloutJournal } from "../rollout/journal.js";

/** Node steps of the journal's run (register-schematic steps touch no node). */
function touchedNodes(j: RolloutJournal): string[] {
  const ids = Object.keys(j.run?.steps ?? {}).filter((id) => !id.startsWith("factory/"));
  return [...new Set(ids.map((id) => id.split("/")[0]!))];
}

/** A run that started on some node and neither finished nor was discarded. */
export function unfinishedRun(j: RolloutJournal): { nodes: string[]; startedAt: string; failed?: string } | undefined {
  if (!j.run || j.run.finishedAt) return undefined;
  const nodes = touchedNodes(j);
  if (nodes.length === 0) return undefined;
  return {
    nodes,
    startedAt: j.run.startedAt,
    ...(j.run.failed ? { failed: `${j.run.failed.step}: ${j.run.failed.error}` } : {}),
  };
}

/**
 * A plain `apply` must not start over a run that stopped half-way (a node may be drained, an upgrade half done):
 * it refuses and names `--resume` and `--discard-journal`; `--resume` without an unfinished run is refused too. `--discard-journal` forgets the run (not the record of
 * applied configs, which drift detection needs).
 */
export async function refuseUnfinishedRun(
  ctx: CliContext,
  path: string,
  o: { resume?: boolean; discardJournal?: boolean },
): Promise<void> {
  const store = fileJournal(path);
  const j = await store.load();
  // Before planning (which observes every node): with nothing to resume, say so at once.
  if (o.resume) {
    if (!j.run)
      throw new TalformError("there is no interrupted apply to resume", {
        code: "no-resume",
        hint: "run `talform apply` without --resume",
      });
    if (j.run.finishedAt)
      throw new TalformError("the last apply finished: there is nothing to resume", {
        code: "no-resume",
        hint: "run `talform plan` to see what is left, then `talform apply`",
      });
    return;
  }
  const u = unfinishedRun(j);
  if (!u) return;
  if (o.discardJournal) {
    delete j.run;
    await store.save(j);
    ctx.stderr.write(
      `discarded the unfinished run started ${u.startedAt} (it had touched ${u.nodes.join(", ")})\n${cordonLines(j).join("")}`,
    );
    return;
  }
  throw new TalformError(
    `an earlier apply (started ${u.startedAt}) did not finish: it had touched ${u.nodes.join(", ")}${u.failed ? `; it failed at ${u.failed}` : ""}`,
    {
      code: "unfinished-run",
      exitCode: ExitCode.userError,
      hint: "continue it with `talform apply --resume`, or forget it with `talform apply --discard-journal` (nodes it cordoned stay cordoned)",
    },
  );
}

function cordonLines(j: RolloutJournal): string[] {
  return Object.entries(j.cordoned ?? {}).map(
    ([node, c]) =>
      `! ${node} is cordoned by talform since ${c.at} (${c.reason}); fix: \`talform apply --resume\` finishes its rollout and uncordons it, or \`kubectl uncordon ${node}\`\n`,
  );
}

/** What `plan`, `health` and `doctor` say about the journal: nodes talform left cordoned, an unfinished run. */
export async function journalWarnings(path: string): Promise<string> {
  let j: RolloutJournal;
  try {
    j = await fileJournal(path).load();
  } catch (e) {
    return `! cannot read the rollout journal ${path}: ${(e as Error).message}\n`;
  }
  const lines = cordonLines(j);
  const u = unfinishedRun(j);
  if (u) {
    lines.push(
      `! an apply started ${u.startedAt} did not finish (touched ${u.nodes.join(", ")}${u.failed ? `; failed at ${u.failed}` : ""}); ` +
        "`talform apply --resume` continues it, `talform apply --discard-journal` forgets it\n",
    );
  }
  return lines.join("");
}

/** `journalWarnings` of the journal beside a talconfig. */
export function journalWarningsFor(talconfigPath: string): Promise<string> {
  return journalWarnings(journalPathFor(talconfigPath));
}
