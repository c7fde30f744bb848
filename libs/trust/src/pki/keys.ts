import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from "node:crypto";
import { CaSignerError } from "../errors.js";

/** ECDSA P-256 with SHA-256: the only key and signature algorithm Shoal makes and accepts. */
export const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A WebCrypto key pair (what @peculiar/x509 signs with). */
export type WebKeyPair = webcrypto.CryptoKeyPair;

/** A new P-256 key pair, extractable so its private key can be written as PKCS#8 PEM. */
export async function generateP256(): Promise<WebKeyPair> {
  return webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"]);
}

/** A private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form of key files and of the store. */
export async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" }).export({
    format: "pem",
    type: "pkcs8",
  }) as string;
}

/** A PEM private key (PKCS#8 or SEC1) as a WebCrypto signing key; throws a CaSignerError unless it is P-256. */
export async function signingKey(pem: string): Promise<webcrypto.CryptoKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new CaSignerError("its private key is not a PEM private key", { cause: err });
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new CaSignerError(`its private key is ${key.asymmetricKeyType ?? "unknown"}, not ECDSA P-256`);
  }
  const der = key.export({ format: "der", type: "pkcs8" });
  return webcrypto.subtle.importKey("pkcs8", der, EC_P256, false, ["sign"]);
}

/** The SPKI DER of the public half of a PEM private key (to check that a key matches a certificate). */
export function publicKeyDerOf(privatePem: string): Buffer {
  return createPublicKey(privatePem).export({ format: "der", type: "spki" });
}
