import { X509Certificate } from "node:crypto";
import type { Diagnostic } from "../diagnostics/index.js";
import { keyAlgorithmOf, parsePrivateKeyPem, publicKeyOf, type KeyAlgorithm } from "../pki/index.js";
import type { SecretsBundle } from "./bundle.js";

const TOKEN = /^[0-9a-z]{6}\.[0-9a-z]{16}$/;
const EXPECTED_CA: Record<"os" | "etcd" | "k8s" | "k8saggregator", KeyAlgorithm> = {
  os: "ed25519",
  etcd: "ecdsa-p256",
  k8s: "ecdsa-p256",
  k8saggregator: "ecdsa-p256",
};
const DAY_MS = 24 * 3600 * 1000;

export interface ValidateOptions {
  readonly now: Date;
  /** Warn when a CA expires within this many days (default 365). */
  readonly expiryWarningDays?: number;
}

function decodesTo32Bytes(b64: string): boolean {
  const bytes = Buffer.from(b64, "base64");
  return bytes.length === 32 && bytes.toString("base64") === b64;
}

/**
 * What Talos's `Bundle.Validate` checks (every secret present and parseable), plus what would break a cluster
 * later: a CA whose key does not match its certificate, a certificate that is not a CA or has expired,
 * malformed tokens. Algorithms other than Talos's defaults are accepted with an info note (Talos accepts them too).
 */
export function validateSecretsBundle(bundle: SecretsBundle, options: ValidateOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (path: string, message: string, hint?: string) =>
    out.push({ severity: "error", code: "secrets-bundle", path, message, ...(hint ? { hint } : {}) });
  const warningDays = options.expiryWarningDays ?? 365;

  for (const [path, token] of [
    ["secrets.bootstraptoken", bundle.secrets.bootstraptoken],
    ["trustdinfo.token", bundle.trustdinfo.token],
  ] as const) {
    if (!TOKEN.test(token))
      err(
        path,
        `${path} is not a token of the form [0-9a-z]{6}.[0-9a-z]{16}`,
        "regenerate the bundle with `talform gensecret`",
      );
  }
  const enc = bundle.secrets.secretboxencryptionsecret ?? bundle.secrets.aescbcencryptionsecret;
  if (enc === undefined || !decodesTo32Bytes(enc))
    err("secrets.secretboxencryptionsecret", "the encryption secret must be 32 bytes in standard base64");
  if (!decodesTo32Bytes(bundle.cluster.secret))
    err("cluster.secret", "cluster.secret must be 32 bytes in standard base64");
  if (Buffer.from(bundle.cluster.id.replaceAll("-", "+").replaceAll("_", "/"), "base64").length !== 32)
    err("cluster.id", "cluster.id must be 32 bytes in base64");

  for (const name of ["os", "etcd", "k8s", "k8saggregator"] as const) {
    const path = `certs.${name}`;
    const pair = bundle.certs[name];
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pair.crt);
    } catch (e) {
      err(`${path}.crt`, `${path}.crt is not a valid certificate: ${(e as Error).message}`);
      continue;
    }
    if (!cert.ca) err(`${path}.crt`, `${path}.crt is not a CA certificate`);
    const notAfter = new Date(cert.validTo);
    if (notAfter.getTime() <= options.now.getTime()) {
      err(
        `${path}.crt`,
        `${path}.crt expired on ${notAfter.toISOString()}`,
        "rotate the CA (see Talos docs: CA rotation)",
      );
    } else if (notAfter.getTime() - options.now.getTime() < warningDays * DAY_MS) {
      out.push({
        severity: "warning",
        code: "secrets-expiry",
        path: `${path}.crt`,
        message: `${path}.crt expires on ${notAfter.toISOString()}`,
        hint: "plan a CA rotation",
      });
    }
    try {
      const key = parsePrivateKeyPem(pair.key);
      if (!cert.checkPrivateKey(key)) err(`${path}.key`, `${path}.key does not belong to ${path}.crt`);
      const alg = keyAlgorithmOf(key);
      if (alg !== EXPECTED_CA[name])
        out.push({
          severity: "info",
          code: "secrets-algorithm",
          path: `${path}.key`,
          message: `${path} uses ${alg}; Talos generates ${EXPECTED_CA[name]}`,
        });
    } catch (e) {
      err(`${path}.key`, `${path}.key is not a valid private key: ${(e as Error).message}`);
    }
  }
  try {
    publicKeyOf(parsePrivateKeyPem(bundle.certs.k8sserviceaccount.key));
  } catch (e) {
    err(
      "certs.k8sserviceaccount.key",
      `certs.k8sserviceaccount.key is not a valid private key: ${(e as Error).message}`,
    );
  }
  return out;
}
