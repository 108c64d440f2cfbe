import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { TalformError, type Diagnostic } from "../diagnostics/index.js";
import { loadDesiredFromTalconfig, type LoadedDesired } from "../plan/from-talconfig.js";
import type { ControllerKube } from "./kube.js";
import type { KeyRef, TalosCluster } from "./types.js";

/** A finding in the spec or the objects it names: what and where; the Degraded condition carries it. */
export class SpecError extends Error {
  constructor(readonly findings: readonly string[]) {
    super(findings.join("; "));
    this.name = "SpecError";
  }
}

export interface ClusterInputs {
  readonly talconfigText: string;
  /** Where findings in the talconfig are located, e.g. `spec.talconfig.inline` or `configmap/lab key talconfig.yaml`. */
  readonly talconfigWhere: string;
  readonly inline: boolean;
  readonly secretsText: string;
  readonly ageKey: string;
}

/** Reads the talconfig, the encrypted secrets bundle and the age key the spec names. */
export async function readClusterInputs(tc: TalosCluster, kube: ControllerKube): Promise<ClusterInputs> {
  const ns = tc.metadata.namespace;
  const findings: string[] = [];
  const read = (kind: "configmap" | "secret") => async (field: string, ref: KeyRef, key: string) => {
    const data = await (kind === "secret" ? kube.getSecret(ns, ref.name) : kube.getConfigMap(ns, ref.name));
    if (!data) return void findings.push(`${field}: ${kind} ${ns}/${ref.name} does not exist`);
    const text = data[ref.key ?? key];
    if (text === undefined) findings.push(`${field}: ${kind} ${ns}/${ref.name} has no key ${ref.key ?? key}`);
    return text;
  };
  const fromConfigMap = read("configmap");
  const fromSecret = read("secret");
  const spec = tc.spec;
  let talconfigText: string | undefined;
  let talconfigWhere = "spec.talconfig.inline";
  if (spec.talconfig?.inline) talconfigText = stringify(spec.talconfig.inline, { lineWidth: 0 });
  else if (spec.talconfig?.configMapRef) {
    const ref = spec.talconfig.configMapRef;
    talconfigWhere = `configmap ${ns}/${ref.name} key ${ref.key ?? "talconfig.yaml"}`;
    talconfigText = await fromConfigMap("spec.talconfig.configMapRef", ref, "talconfig.yaml");
  } else findings.push("spec.talconfig: set inline or configMapRef");
  const s = spec.secrets;
  let secretsText: string | undefined;
  if (s?.secretRef) secretsText = await fromSecret("spec.secrets.secretRef", s.secretRef, "talsecret.sops.yaml");
  else if (s?.configMapRef)
    secretsText = await fromConfigMap("spec.secrets.configMapRef", s.configMapRef, "talsecret.sops.yaml");
  else findings.push("spec.secrets: set secretRef or configMapRef");
  const ageKey = s?.ageKeySecretRef
    ? await fromSecret("spec.secrets.ageKeySecretRef", s.ageKeySecretRef, "age.agekey")
    : void findings.push("spec.secrets.ageKeySecretRef: name the Secret with the age key");
  if (findings.length > 0 || talconfigText === undefined || secretsText === undefined || ageKey === undefined)
    throw new SpecError(findings);
  return {
    talconfigText,
    talconfigWhere,
    inline: !!spec.talconfig.inline,
    secretsText,
    ageKey: ageKey.trim(),
  };
}

/**
 * Renders the desired cluster with the same loader `talform plan` uses. The talconfig and the still-encrypted bundle
 * go into a private temp folder for the loader and are removed right after; the age key stays in memory
 * (`SOPS_AGE_KEY` in the loader's env, never the process's).
 */
export async function renderClusterInputs(
  inputs: ClusterInputs,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedDesired> {
  const dir = await mkdtemp(join(tmpdir(), "talform-controller-"));
  try {
    await writeFile(join(dir, "talconfig.yaml"), inputs.talconfigText, { mode: 0o600 });
    await writeFile(join(dir, "talsecret.sops.yaml"), inputs.secretsText, { mode: 0o600 });
    return await loadDesiredFromTalconfig({
      configPath: join(dir, "talconfig.yaml"),
      cwd: dir,
      env: { ...env, SOPS_AGE_KEY: inputs.ageKey, SOPS_AGE_KEY_FILE: undefined, HOME: dir },
      secretsFile: join(dir, "talsecret.sops.yaml"),
    });
  } catch (e) {
    if (e instanceof TalformError) throw new SpecError(locate(e, inputs));
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A TalformError's diagnostics as findings located in the spec (inline: the field path; a ConfigMap: line:col). */
function locate(e: TalformError, inputs: ClusterInputs): string[] {
  const diags: readonly Diagnostic[] = e.diagnostics.length > 0 ? e.diagnostics : [];
  if (diags.length === 0) return [`${inputs.talconfigWhere}: ${e.message}`];
  return diags.map((d) => {
    const file = d.source?.file ?? "";
    const inSecrets = file.endsWith("talsecret.sops.yaml");
    const where = inSecrets ? "spec.secrets" : inputs.talconfigWhere;
    const at = inputs.inline && d.path ? `.${d.path}` : d.source ? ` line ${d.source.line}:${d.source.col}` : "";
    const node = d.node && !(d.path ?? "").includes(d.node) ? ` (node ${d.node})` : "";
    return `${where}${at}${node}: ${d.message}${d.hint ? ` (${d.hint})` : ""} [${d.code}]`;
  });
}
