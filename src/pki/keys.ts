import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { decodePem, encodePem } from "./pem.js";

export type KeyAlgorithm = "ed25519" | "ecdsa-p256" | "rsa-4096" | "rsa-2048";

export interface KeyPair {
  readonly algorithm: KeyAlgorithm;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Generates a key pair. RSA-4096 takes ~0.5–2 s on this class of machine; tests that only need "an RSA key"
 * should use rsa-2048 or a fixture.
 */
export function generateKeyPair(algorithm: KeyAlgorithm): KeyPair {
  switch (algorithm) {
    case "ed25519": {
      const { privateKey, publicKey } = generateKeyPairSync("ed25519");
      return { algorithm, privateKey, publicKey };
    }
    case "ecdsa-p256": {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      return { algorithm, privateKey, publicKey };
    }
    case "rsa-4096":
    case "rsa-2048": {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", {
        modulusLength: algorithm === "rsa-4096" ? 4096 : 2048,
      });
      return { algorithm, privateKey, publicKey };
    }
  }
}

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return "ed25519";
    case "ec":
      if (key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
        throw new Error(`unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve ?? "?"}`);
      }
      return "ecdsa-p256";
    case "rsa":
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 4096 ? "rsa-4096" : "rsa-2048";
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? "?"}`);
  }
}

/**
 * Private key PEM exactly as Talos writes it: `EC PRIVATE KEY` (SEC1) for ECDSA, `ED25519 PRIVATE KEY` wrapping
 * PKCS#8 for Ed25519 (a Talos-specific label that Node cannot export directly), `RSA PRIVATE KEY` (PKCS#1) for RSA.
 */
export function privateKeyToTalosPem(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case "ed25519":
      return encodePem("ED25519 PRIVATE KEY", key.export({ format: "der", type: "pkcs8" }));
    case "ec":
      return key.export({ format: "pem", type: "sec1" }).toString();
    case "rsa":
      return key.export({ format: "pem", type: "pkcs1" }).toString();
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType ?? "?"}`);
  }
}

/** Parses any private key PEM Talos accepts, including the non-standard `ED25519 PRIVATE KEY` label. */
export function parsePrivateKeyPem(pem: string): KeyObject {
  if (pem.includes("-----BEGIN ED25519 PRIVATE KEY-----")) {
    const block = decodePem(pem, "ED25519 PRIVATE KEY");
    return createPrivateKey({ key: Buffer.from(block.der), format: "der", type: "pkcs8" });
  }
  return createPrivateKey(pem);
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}
