// Test-only helper: a small, deterministic-shaped secrets bundle built with talform's own PKI (no reference files).
import { createSelfSignedCertificate, generateKeyPair, privateKeyToTalosPem, type KeyAlgorithm } from "../pki/index.js";
import type { SecretsBundle } from "../secrets/bundle.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const TEN_YEARS = new Date("2036-01-01T00:00:00Z");

async function ca(alg: KeyAlgorithm, organizations: string[]) {
  return createSelfSignedCertificate(generateKeyPair(alg), {
    organizations,
    notBefore: NOW,
    notAfter: TEN_YEARS,
    isCA: true,
    keyUsages: ["digitalSignature", "keyCertSign"],
    extKeyUsages: ["serverAuth", "clientAuth"],
    subjectKeyId: new Uint8Array(20).fill(1),
  });
}

export async function makeTestBundle(): Promise<SecretsBundle> {
  const [etcd, k8s, k8saggregator, os] = await Promise.all([ca("ecdsa-p256", ["etcd"]), ca("ecdsa-p256", ["kubernetes"]), ca("ecdsa-p256", []), ca("ed25519", ["talos"])]);
  return {
    cluster: { id: "Y2x1c3Rlci1pZC1mb3ItdGVzdHMtMDEyMzQ1Njc4OTA=", secret: "c2VjcmV0LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDEyMzQ=" },
    secrets: { bootstraptoken: "abcdef.0123456789abcdef", secretboxencryptionsecret: "c2VjcmV0Ym94LWZvci10ZXN0cy0wMTIzNDU2Nzg5MDE=" },
    trustdinfo: { token: "uvwxyz.0123456789uvwxyz" },
    certs: { etcd, k8s, k8saggregator, os, k8sserviceaccount: { key: privateKeyToTalosPem(generateKeyPair("ecdsa-p256").privateKey) } },
  };
}
