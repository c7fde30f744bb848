import { X509Certificate } from "node:crypto";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks of a text (a chain or a trust bundle), in order, each ending in a newline. */
export function splitPemCertificates(text: string): string[] {
  return [...text.matchAll(CERT_BLOCK)].map((m) => `${m[0].replace(/\r\n/g, "\n")}\n`);
}

/** The certificates of a PEM text as Node `X509Certificate`s, in order (throws on a malformed block). */
export function parseCertificates(text: string | readonly string[]): X509Certificate[] {
  const blocks = typeof text === "string" ? splitPemCertificates(text) : text.flatMap(splitPemCertificates);
  return blocks.map((b) => new X509Certificate(b));
}

/** PEM blocks joined into one text (a chain file or a bundle). */
export function joinPem(blocks: readonly string[]): string {
  return blocks.map((b) => (b.endsWith("\n") ? b : `${b}\n`)).join("");
}

/** A certificate as PEM, from a Node `X509Certificate` or DER bytes. */
export function certificatePem(cert: X509Certificate | Uint8Array): string {
  const der = cert instanceof X509Certificate ? cert.raw : Buffer.from(cert);
  const b64 = der.toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`;
}
