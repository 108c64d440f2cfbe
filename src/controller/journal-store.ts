import type { Plan } from "../plan/index.js";
import { parsePlanJson } from "../plan/index.js";
import type { JournalStore, RolloutJournal } from "../rollout/index.js";
import type { ControllerKube, OwnerRef } from "./kube.js";

const JOURNAL_KEY = "journal.json";
const PLAN_KEY = "plan.json";

/** The ConfigMap beside a TalosCluster that holds its rollout journal and the plan being executed (no secrets). */
export const stateConfigMapName = (cluster: string) => `${cluster}-talform-state`;

export interface ClusterStateStore extends JournalStore {
  /** The plan the unfinished (or last) run executes, as saved before it started. */
  plan(): Promise<Plan | undefined>;
  savePlan(plan: Plan): Promise<void>;
}

/**
 * The rollout journal in the cluster: the same `RolloutJournal` `apply` keeps in `.talform/journal.json`, saved after
 * every step (executePlan calls `save`), so a controller that starts after a crash resumes the run exactly like
 * `talform apply --resume`. The ConfigMap is owned by the TalosCluster and goes when it is deleted.
 */
export function configMapStateStore(kube: ControllerKube, namespace: string, owner: OwnerRef): ClusterStateStore {
  const name = stateConfigMapName(owner.name);
  let data: Record<string, string> | undefined;
  const read = async () => (data ??= (await kube.getConfigMap(namespace, name)) ?? {});
  const write = async (patch: Record<string, string>) => {
    const next = { ...(await read()), ...patch };
    await kube.putConfigMap(namespace, name, next, owner);
    data = next;
  };
  return {
    async load(): Promise<RolloutJournal> {
      const text = (await read())[JOURNAL_KEY];
      if (!text) return { formatVersion: 1, applied: {} };
      const j = JSON.parse(text) as RolloutJournal;
      if (j.formatVersion !== 1)
        throw new Error(`configmap/${name}: journal format ${String(j.formatVersion)} is not supported`);
      return j;
    },
    save: (j) => write({ [JOURNAL_KEY]: JSON.stringify(j, null, 2) + "\n" }),
    async plan() {
      const text = (await read())[PLAN_KEY];
      return text ? parsePlanJson(text, `configmap/${name}`) : undefined;
    },
    savePlan: (plan) => write({ [PLAN_KEY]: JSON.stringify(plan) + "\n" }),
  };
}
