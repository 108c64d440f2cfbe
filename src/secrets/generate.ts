import {
  createSelfSignedCertificate,
  generateKeyPair,
  privateKeyToTalosPem,
  systemPkiEnv,
  type CertificateTemplate,
  type KeyAlgorithm,
  type PkiEnv,
} from "../pki/index.js";
import type { TalosContract } from "../contract/index.js";
import type { CertAndKeyPem, SecretsBundle } from "./bundle.js";

/** Talos's `secrets.CAValidityTime` = 87600h (10 years of 365 days). */
export const CA_VALIDITY_MS = 87600 * 3600 * 1000;

const TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A `[0-9a-z]{a}.[0-9a-z]{b}` token like Talos's `genToken`: random bytes ≥ 252 are rejected so every character
 * is uniform over the 36-letter alphabet (252 = 7 × 36).
 */
export function generateToken(env: Pick<PkiEnv, "randomBytes">, first = 6, second = 16): string {
  const pick = (n: number): string => {
    let out = "";
    while (out.length < n) {
      for (const b of env.randomBytes(n * 2)) {
        if (b >= 252) continue;
        out += TOKEN_ALPHABET[b % 36];
        if (out.length === n) break;
      }
    }
    return out;
  };
  return `${pick(first)}.${pick(second)}`;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
// Go's base64.URLEncoding is padded (unlike Node's "base64url").
const b64url = (bytes: Uint8Array): string => b64(bytes).replaceAll("+", "-").replaceAll("/", "_");

/** The CA template of siderolabs/crypto `NewSelfSignedCertificateAuthority` as Talos calls it. */
function caTemplate(env: PkiEnv, organizations: readonly string[]): CertificateTemplate {
  const notBefore = env.now();
  return {
    organizations,
    notBefore,
    notAfter: new Date(notBefore.getTime() + CA_VALIDITY_MS),
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
    extKeyUsages: ["serverAuth", "clientAuth"],
    // 20 random bytes, deliberately not a SHA-1 of the key (Talos does this for FIPS).
    subjectKeyId: env.randomBytes(20),
  };
}

async function ca(env: PkiEnv, algorithm: KeyAlgorithm, organizations: readonly string[]): Promise<CertAndKeyPem> {
  return createSelfSignedCertificate(generateKeyPair(algorithm), caTemplate(env, organizations), env);
}

export interface GenerateOptions {
  /**
   * Only for tests that do not check the service-account key: RSA-4096 generation takes seconds, RSA-2048 a
   * fraction of that. Real bundles always use the contract's algorithm.
   */
  readonly serviceAccountRsa?: "rsa-4096" | "rsa-2048";
}

/**
 * A complete new secrets bundle, exactly as `talosctl gen secrets` / `talhelper gensecret` make one for `contract`
 * (`secrets.NewBundle` → `populate`): one clock reading shared by every certificate.
 */
export async function generateSecretsBundle(
  contract: TalosContract,
  env: PkiEnv = systemPkiEnv,
  options: GenerateOptions = {},
): Promise<SecretsBundle> {
  const now = env.now();
  const fixedEnv: PkiEnv = { now: () => now, randomBytes: env.randomBytes };
  const os = await ca(fixedEnv, "ed25519", ["talos"]);
  const etcd = await ca(fixedEnv, "ecdsa-p256", ["etcd"]);
  const k8s = await ca(fixedEnv, "ecdsa-p256", ["kubernetes"]);
  // Talos passes CommonName("front-proxy") but the CA helper only copies Organizations: the subject is empty.
  const k8saggregator = await ca(fixedEnv, "ecdsa-p256", []);
  const saAlgorithm: KeyAlgorithm = contract.useRSAServiceAccountKey()
    ? (options.serviceAccountRsa ?? "rsa-4096")
    : "ecdsa-p256";
  const serviceAccountKey = privateKeyToTalosPem(generateKeyPair(saAlgorithm).privateKey);
  const encryptionSecret = b64(env.randomBytes(32));
  const clusterIdBytes = env.randomBytes(32);
  return {
    cluster: {
      id: contract.clusterIdStdBase64() ? b64(clusterIdBytes) : b64url(clusterIdBytes),
      secret: b64(env.randomBytes(32)),
    },
    secrets: {
      bootstraptoken: generateToken(env),
      ...(contract.secretboxEncryptionSupported()
        ? { secretboxencryptionsecret: encryptionSecret }
        : { aescbcencryptionsecret: encryptionSecret }),
    },
    trustdinfo: { token: generateToken(env) },
    certs: { etcd, k8s, k8saggregator, k8sserviceaccount: { key: serviceAccountKey }, os },
  };
}
