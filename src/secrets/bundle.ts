import { parseDocument } from "yaml";
import { TalformError } from "../diagnostics/index.js";

/**
 * The Talos secrets bundle (`talosctl gen secrets` / `talhelper gensecret`), in memory with PEM text decoded.
 * On disk the YAML keys are lowercase Go field names and every crt/key is base64 of the whole PEM text.
 */
export interface CertAndKeyPem {
  /** PEM certificate text. */
  readonly crt: string;
  /** PEM private key text (Talos labels). Empty for worker-side copies. */
  readonly key: string;
}

export interface SecretsBundle {
  readonly cluster: { readonly id: string; readonly secret: string };
  readonly secrets: {
    readonly bootstraptoken: string;
    /** Contract > 1.2 (every version talform supports). */
    readonly secretboxencryptionsecret?: string;
    /** Only in bundles made for Talos ≤ 1.2; accepted when reading. */
    readonly aescbcencryptionsecret?: string;
  };
  readonly trustdinfo: { readonly token: string };
  readonly certs: {
    readonly etcd: CertAndKeyPem;
    readonly k8s: CertAndKeyPem;
    readonly k8saggregator: CertAndKeyPem;
    readonly k8sserviceaccount: { readonly key: string };
    readonly os: CertAndKeyPem;
  };
}

const CERT_FIELDS = ["etcd", "k8s", "k8saggregator", "os"] as const;

function decodeB64Pem(value: unknown, where: string): string {
  if (typeof value !== "string" || value === "") {
    throw new TalformError(`secrets bundle: ${where} is missing`, {
      code: "secrets-bundle",
      hint: "regenerate or restore the secrets file; never hand-edit it",
    });
  }
  const text = Buffer.from(value, "base64").toString("utf8");
  if (!text.includes("-----BEGIN ")) {
    throw new TalformError(`secrets bundle: ${where} is not base64-encoded PEM`, { code: "secrets-bundle" });
  }
  return text;
}

function str(obj: Record<string, unknown> | undefined, key: string, where: string): string {
  const v = obj?.[key];
  if (typeof v !== "string" || v === "")
    throw new TalformError(`secrets bundle: ${where}.${key} is missing`, { code: "secrets-bundle" });
  return v;
}

/**
 * Parses the YAML (or JSON) text of a plaintext secrets bundle. Unknown top-level or nested keys are errors
 * (stricter than Talos's `LoadBundle`), so a typo can never silently drop a secret.
 */
export function parseSecretsBundle(text: string, fileName = "secrets bundle"): SecretsBundle {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new TalformError(`${fileName}: ${doc.errors[0]!.message}`, { code: "secrets-bundle" });
  }
  const root = doc.toJS({ maxAliasCount: 0 }) as Record<string, Record<string, unknown>> | null;
  if (root === null || typeof root !== "object")
    throw new TalformError(`${fileName}: not a secrets bundle`, { code: "secrets-bundle" });
  const allowed: Record<string, readonly string[]> = {
    cluster: ["id", "secret"],
    secrets: ["bootstraptoken", "secretboxencryptionsecret", "aescbcencryptionsecret"],
    trustdinfo: ["token"],
    certs: ["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"],
  };
  for (const [key, value] of Object.entries(root)) {
    const fields = allowed[key];
    if (!fields) throw new TalformError(`${fileName}: unknown key "${key}"`, { code: "secrets-bundle" });
    for (const sub of Object.keys(value ?? {})) {
      if (!fields.includes(sub))
        throw new TalformError(`${fileName}: unknown key "${key}.${sub}"`, { code: "secrets-bundle" });
    }
  }
  const certs = root.certs as Record<string, Record<string, unknown>> | undefined;
  const certPairs = Object.fromEntries(
    CERT_FIELDS.map((name) => [
      name,
      {
        crt: decodeB64Pem(certs?.[name]?.crt, `certs.${name}.crt`),
        key: decodeB64Pem(certs?.[name]?.key, `certs.${name}.key`),
      },
    ]),
  ) as Record<(typeof CERT_FIELDS)[number], CertAndKeyPem>;
  const secrets = root.secrets;
  const secretbox = secrets?.secretboxencryptionsecret;
  const aescbc = secrets?.aescbcencryptionsecret;
  if ((typeof secretbox === "string") === (typeof aescbc === "string")) {
    throw new TalformError(
      `${fileName}: exactly one of secrets.secretboxencryptionsecret and secrets.aescbcencryptionsecret must be set`,
      { code: "secrets-bundle" },
    );
  }
  return {
    cluster: { id: str(root.cluster, "id", "cluster"), secret: str(root.cluster, "secret", "cluster") },
    secrets: {
      bootstraptoken: str(secrets, "bootstraptoken", "secrets"),
      ...(typeof secretbox === "string" ? { secretboxencryptionsecret: secretbox } : {}),
      ...(typeof aescbc === "string" ? { aescbcencryptionsecret: aescbc } : {}),
    },
    trustdinfo: { token: str(root.trustdinfo, "token", "trustdinfo") },
    certs: {
      ...certPairs,
      k8sserviceaccount: { key: decodeB64Pem(certs?.k8sserviceaccount?.key, "certs.k8sserviceaccount.key") },
    },
  };
}
