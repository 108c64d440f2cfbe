import { stringify } from "yaml";
import { talconfigJsonSchema } from "../talconfig/index.js";
import { GROUP, KIND, PLURAL, VERSION } from "./types.js";

type Schema = Record<string, unknown>;

/** The safe-integer bounds zod writes on every integer: noise in a CRD (the API server's int64 covers them). */
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Converts our talconfig JSON Schema (draft 2020-12, from zod) into a Kubernetes structural schema: every `$ref`
 * inlined, every node typed, `anyOf` of integer|string as `x-kubernetes-int-or-string`, anything untyped as
 * `x-kubernetes-preserve-unknown-fields`; keywords the API server rejects (`$schema`, `propertyNames`, `deprecated`,
 * `additionalProperties: false`) dropped. Strictness the CRD cannot express stays with talform's own validation,
 * whose findings the controller reports in the `Degraded` condition.
 */
export function structuralSchema(root: Schema): Schema {
  const defs = (root["$defs"] ?? {}) as Record<string, Schema>;
  const convert = (s: Schema, seen: readonly string[]): Schema => {
    const ref = s["$ref"];
    if (typeof ref === "string") {
      const name = ref.replace(/^#\/\$defs\//, "");
      // A recursive structure cannot be inlined; the API server keeps it as is (talform validates it).
      if (seen.includes(name) || !defs[name]) return { type: "object", "x-kubernetes-preserve-unknown-fields": true };
      return convert(defs[name], [...seen, name]);
    }
    const anyOf = s["anyOf"] as Schema[] | undefined;
    if (anyOf) {
      const types = anyOf.map((a) => a["type"]).sort();
      if (types.join() === "integer,string") return withDescription({ "x-kubernetes-int-or-string": true }, s);
      return withDescription({ "x-kubernetes-preserve-unknown-fields": true }, s);
    }
    const type = s["type"];
    if (typeof type !== "string") return withDescription({ "x-kubernetes-preserve-unknown-fields": true }, s);
    const out: Schema = withDescription({ type }, s);
    for (const k of ["enum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "format"])
      if (s[k] !== undefined) out[k] = s[k];
    for (const k of ["minimum", "maximum"]) if (typeof s[k] === "number" && Math.abs(s[k]) !== SAFE) out[k] = s[k];
    if (type === "array") out["items"] = convert((s["items"] ?? {}) as Schema, seen);
    if (type === "object") {
      const props = s["properties"] as Record<string, Schema> | undefined;
      const extra = s["additionalProperties"];
      if (props) {
        // An empty object (`nodeID: {}`): no properties at all. The API server drops an empty `properties: {}`, so
        // writing it would make every apply of the CRD a change.
        if (Object.keys(props).length > 0)
          out["properties"] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, convert(v, seen)]));
        if (Array.isArray(s["required"]) && s["required"].length > 0) out["required"] = s["required"];
      } else if (extra && typeof extra === "object") {
        out["additionalProperties"] = convert(extra as Schema, seen);
      } else {
        out["x-kubernetes-preserve-unknown-fields"] = true;
      }
    }
    return out;
  };
  return convert(root, []);
}

/**
 * Marks every object of the schema `x-kubernetes-preserve-unknown-fields`: known keys are still typed and validated by
 * the API server, but a misspelled one is kept instead of pruned, so talform's own validation reports it located
 * (TF1003, with the key it probably meant) in the Degraded condition. Pruned, the typo would vanish silently.
 */
export function keepUnknownKeys(s: Schema): Schema {
  const out: Schema = { ...s };
  if (s["type"] === "object" && s["properties"]) out["x-kubernetes-preserve-unknown-fields"] = true;
  const props = s["properties"] as Record<string, Schema> | undefined;
  if (props) out["properties"] = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, keepUnknownKeys(v)]));
  if (s["items"]) out["items"] = keepUnknownKeys(s["items"] as Schema);
  if (s["additionalProperties"] && typeof s["additionalProperties"] === "object")
    out["additionalProperties"] = keepUnknownKeys(s["additionalProperties"] as Schema);
  return out;
}

function withDescription(out: Schema, s: Schema): Schema {
  return typeof s["description"] === "string" ? { description: s["description"], ...out } : out;
}

const ref = (what: string): Schema => ({
  type: "object",
  description: what,
  required: ["name"],
  properties: { name: { type: "string", minLength: 1 }, key: { type: "string" } },
});

const condition: Schema = {
  type: "object",
  required: ["type", "status", "reason", "message", "lastTransitionTime"],
  properties: {
    type: { type: "string", enum: ["Planned", "Progressing", "Ready", "Degraded"] },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string" },
    message: { type: "string" },
    lastTransitionTime: { type: "string", format: "date-time" },
    observedGeneration: { type: "integer" },
  },
};

function specSchema(): Schema {
  return {
    type: "object",
    required: ["talconfig", "secrets"],
    properties: {
      talconfig: {
        type: "object",
        description: "The talconfig: inline (the talconfig.yaml schema) or a ConfigMap key holding talconfig.yaml.",
        properties: {
          inline: {
            description: "talconfig.yaml as an object",
            ...keepUnknownKeys(structuralSchema(talconfigJsonSchema())),
          },
          configMapRef: ref("ConfigMap with talconfig.yaml (key default: talconfig.yaml)"),
        },
        "x-kubernetes-validations": [
          { rule: "has(self.inline) != has(self.configMapRef)", message: "set exactly one of inline, configMapRef" },
        ],
      },
      secrets: {
        type: "object",
        description: "The SOPS-encrypted secrets bundle (talsecret.sops.yaml) and the Secret with its age key.",
        required: ["ageKeySecretRef"],
        properties: {
          secretRef: ref("Secret with the encrypted bundle (key default: talsecret.sops.yaml)"),
          configMapRef: ref("ConfigMap with the encrypted bundle (key default: talsecret.sops.yaml)"),
          ageKeySecretRef: ref("Secret with the age identity AGE-SECRET-KEY-1... (key default: age.agekey)"),
        },
        "x-kubernetes-validations": [
          {
            rule: "has(self.secretRef) != has(self.configMapRef)",
            message: "set exactly one of secretRef, configMapRef",
          },
        ],
      },
      rollout: {
        type: "object",
        properties: {
          approval: {
            type: "string",
            enum: ["auto", "manual"],
            default: "auto",
            description: `manual: the plan is published in status and applied only once the annotation talform.dev/approve-plan carries its digest`,
          },
          maxParallel: { type: "integer", minimum: 1, default: 1, description: "workers changed at once" },
          paused: { type: "boolean", description: "observe and plan, change nothing" },
          allowRemove: { type: "boolean", description: "apply plans that remove nodes from the cluster" },
          offline: { type: "boolean", description: "do not register schematics with the Image Factory" },
          maintenanceWindows: {
            type: "array",
            description: "changes start (and continue, re-checked between nodes) only inside one of these",
            items: {
              type: "object",
              required: ["cron", "duration"],
              properties: {
                cron: { type: "string", description: "five-field cron: when the window opens" },
                duration: { type: "string", pattern: "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$", description: "e.g. 2h, 90m" },
                timeZone: { type: "string", description: "IANA time zone of the cron (default UTC)" },
              },
            },
          },
          healthGates: {
            type: "object",
            properties: {
              healthTimeoutSeconds: { type: "integer", minimum: 1 },
              rebootTimeoutSeconds: { type: "integer", minimum: 1 },
            },
          },
        },
      },
    },
  };
}

function statusSchema(): Schema {
  return {
    type: "object",
    properties: {
      observedGeneration: { type: "integer" },
      phase: {
        type: "string",
        enum: ["Pending", "Ready", "Progressing", "AwaitingApproval", "WaitingForWindow", "Paused", "Degraded"],
      },
      nodes: { type: "integer" },
      talosVersion: { type: "string" },
      kubernetesVersion: { type: "string" },
      lastPlan: {
        type: "object",
        properties: {
          digest: { type: "string" },
          createdAt: { type: "string" },
          changes: { type: "integer" },
          summary: { type: "string" },
          kubernetes: { type: "string" },
          errors: { type: "array", items: { type: "string" } },
          nodes: {
            type: "array",
            items: {
              type: "object",
              properties: {
                node: { type: "string" },
                actions: { type: "array", items: { type: "string" } },
                reasons: { type: "string" },
              },
            },
          },
        },
      },
      rollout: {
        type: "object",
        properties: {
          planDigest: { type: "string" },
          stepsDone: { type: "integer" },
          startedAt: { type: "string" },
          finishedAt: { type: "string" },
          failed: { type: "string" },
        },
      },
      conditions: {
        type: "array",
        items: condition,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
      },
    },
  };
}

/** The CustomResourceDefinition of TalosCluster, as committed in deploy/crd/ (scripts/gen-crd.ts writes it). */
export function talosClusterCrd(): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${PLURAL}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: "taloscluster", shortNames: ["tc"] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Nodes", type: "integer", jsonPath: ".status.nodes" },
            { name: "Talos", type: "string", jsonPath: ".status.talosVersion" },
            { name: "Kubernetes", type: "string", jsonPath: ".status.kubernetesVersion" },
            { name: "Phase", type: "string", jsonPath: ".status.phase" },
            { name: "Last Plan", type: "string", jsonPath: ".status.lastPlan.summary" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "A Talos cluster that talform's controller keeps at its talconfig (docs/controller.md).",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: specSchema(),
                status: statusSchema(),
              },
            },
          },
        },
      ],
    },
  };
}

export const CRD_FILE = "deploy/crd/talosclusters.talform.dev.yaml";

/** The committed file's text: a header that says where it comes from, then the YAML. */
export function talosClusterCrdYaml(): string {
  return (
    "# Generated by `node --import tsx scripts/gen-crd.ts` from talform's talconfig schema; do not edit.\n" +
    stringify(talosClusterCrd(), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}
