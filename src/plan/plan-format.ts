import { z } from "zod";
import type { Plan } from "./types.js";

/** Plans are versioned data (docs/plan-format.md): a reader refuses a format it does not know. */
export const PLAN_FORMAT_VERSION = 1;

const revision = z.object({
  reachable: z.boolean(),
  maintenance: z.boolean(),
  talosVersion: z.string().optional(),
  schematicId: z.string().optional(),
  extensions: z.array(z.string()).optional(),
  configDigest: z.string().optional(),
  stagedConfigDigest: z.string().optional(),
  bootId: z.string().optional(),
});

const action = z.discriminatedUnion("type", [
  z.object({ type: z.literal("install"), reason: z.string(), configDigest: z.string(), talosVersion: z.string() }),
  z.object({ type: z.literal("bootstrap"), reason: z.string() }),
  z.object({
    type: z.literal("upgrade"),
    reason: z.string(),
    from: z.string(),
    to: z.string(),
    image: z.string(),
    schematicId: z.string().optional(),
    extensions: z.array(z.string()),
  }),
  z.object({
    type: z.literal("apply-config"),
    reason: z.string(),
    mode: z.enum(["no-reboot", "reboot"]),
    rebootReasons: z.array(z.string()),
    configDigest: z.string(),
  }),
  z.object({ type: z.literal("reboot"), reason: z.string() }),
  z.object({
    type: z.literal("upgrade-k8s"),
    reason: z.string(),
    from: z.string(),
    to: z.string(),
    configDigest: z.string(),
  }),
  z.object({
    type: z.literal("remove"),
    reason: z.string(),
    etcdMemberId: z.string().optional(),
    reset: z.boolean(),
    kubernetesNode: z.boolean(),
  }),
]);

export const planJsonSchema = z.object({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  tool: z.object({ name: z.literal("talform"), version: z.string() }),
  createdAt: z.string(),
  clusterName: z.string(),
  inputs: z.object({
    talconfig: z.string().optional(),
    talconfigDigest: z.string().optional(),
    desiredDigest: z.string(),
  }),
  etcdBootstrapped: z.boolean(),
  prepare: z
    .array(
      z.object({
        type: z.literal("register-schematic"),
        schematicId: z.string().regex(/^[0-9a-f]{64}$/),
        factory: z.string(),
        schematicEndpoint: z.string(),
        schematic: z.string(),
        nodes: z.array(z.string()),
        reason: z.string(),
      }),
    )
    .default([]),
  offline: z.object({ skipped: z.array(z.string()) }).optional(),
  nodes: z.array(
    z.object({
      hostname: z.string(),
      address: z.string(),
      controlPlane: z.boolean(),
      observed: revision,
      actions: z.array(action),
      reboots: z.boolean(),
      diff: z.array(
        z.object({
          document: z.string(),
          path: z.string(),
          op: z.enum(["add", "remove", "change"]),
          before: z.unknown().optional(),
          after: z.unknown().optional(),
        }),
      ),
      drift: z.object({ lastAppliedDigest: z.string(), observedDigest: z.string() }).optional(),
    }),
  ),
  kubernetes: z
    .object({
      type: z.literal("upgrade-k8s"),
      reason: z.string(),
      from: z.string(),
      to: z.string(),
      hops: z.array(z.string()),
      steps: z.array(
        z.object({
          id: z.string(),
          kind: z.enum(["pre-pull", "static-pod", "kube-proxy", "kubelet", "manifests"]),
          version: z.string(),
          node: z.string().optional(),
          component: z.string().optional(),
          sync: z.enum(["server-side-apply", "legacy"]).optional(),
          label: z.string(),
        }),
      ),
      skippedChecks: z.array(z.string()).optional(),
    })
    .optional(),
  errors: z.array(
    z.object({ node: z.string().optional(), code: z.string(), message: z.string(), hint: z.string().optional() }),
  ),
  warnings: z
    .array(
      z.object({ node: z.string().optional(), code: z.string(), message: z.string(), hint: z.string().optional() }),
    )
    .optional(),
  summary: z.object({ changes: z.number(), nodesChanged: z.number() }),
});

export function parsePlanJson(text: string, source = "plan.json"): Plan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const version = (data as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION)
    throw new Error(
      `${source}: plan format version ${String(version)} is not supported (this talform reads version ${PLAN_FORMAT_VERSION}); plan again`,
    );
  const r = planJsonSchema.safeParse(data);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${source}: invalid plan at ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return r.data as Plan;
}
