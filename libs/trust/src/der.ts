/**
 * Just enough DER reading to get what Node's `X509Certificate` does not expose: the BasicConstraints path length
 * and the KeyUsage bits of a certificate. Anything unexpected gives undefined; callers treat that as "absent",
 * and `verifyChain` refuses a CA certificate whose constraints cannot be read.
 */

interface Tlv {
  tag: number;
  /** First byte of the contents. */
  start: number;
  /** One past the last byte of the contents. */
  end: number;
}

function readTlv(buf: Uint8Array, at: number, limit: number): Tlv | undefined {
  if (at + 2 > limit) return undefined;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // high tag numbers do not occur in what we read
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

/** The children of a constructed value. */
function children(buf: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const t = readTlv(buf, at, parent.end);
    if (!t) return undefined;
    out.push(t);
    at = t.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BOOLEAN = 0x01;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const BIT_STRING = 0x03;
const EXTENSIONS = 0xa3;

const OID_BASIC_CONSTRAINTS = [0x55, 0x1d, 0x13];
const OID_KEY_USAGE = [0x55, 0x1d, 0x0f];

/** The DER contents (extnValue) of the extension with `oid`, or undefined. */
function extensionValue(der: Uint8Array, oid: readonly number[]): Uint8Array | undefined {
  const cert = readTlv(der, 0, der.length);
  if (cert?.tag !== SEQUENCE) return undefined;
  const tbs = children(der, cert)?.[0];
  if (tbs?.tag !== SEQUENCE) return undefined;
  const exts = children(der, tbs)?.find((t) => t.tag === EXTENSIONS);
  if (!exts) return undefined;
  const list = children(der, exts)?.[0];
  if (list?.tag !== SEQUENCE) return undefined;
  for (const ext of children(der, list) ?? []) {
    const parts = children(der, ext);
    const id = parts?.[0];
    const value = parts?.[parts.length - 1];
    if (id?.tag !== OID || value?.tag !== OCTET_STRING) continue;
    const idBytes = der.subarray(id.start, id.end);
    if (idBytes.length === oid.length && idBytes.every((b, i) => b === oid[i])) {
      return der.subarray(value.start, value.end);
    }
  }
  return undefined;
}

/** A certificate's BasicConstraints: `{ca, pathLength}` (pathLength undefined when unlimited), or undefined when absent. */
export function basicConstraints(der: Uint8Array): { ca: boolean; pathLength: number | undefined } | undefined {
  const value = extensionValue(der, OID_BASIC_CONSTRAINTS);
  if (!value) return undefined;
  const seq = readTlv(value, 0, value.length);
  if (seq?.tag !== SEQUENCE) return undefined;
  const parts = children(value, seq);
  if (!parts) return undefined;
  let ca = false;
  let pathLength: number | undefined;
  for (const p of parts) {
    if (p.tag === BOOLEAN && p.end - p.start === 1) ca = value[p.start] !== 0;
    else if (p.tag === INTEGER && p.end - p.start >= 1 && p.end - p.start <= 2) {
      pathLength = 0;
      for (let i = p.start; i < p.end; i++) pathLength = pathLength * 256 + value[i]!;
    } else return undefined;
  }
  return { ca, pathLength };
}

/** The KeyUsage bits of a certificate as flags (bit 0 = digitalSignature, ... 5 = keyCertSign, 6 = cRLSign), or undefined when absent. */
export function keyUsageFlags(der: Uint8Array): number | undefined {
  const value = extensionValue(der, OID_KEY_USAGE);
  if (!value) return undefined;
  const bits = readTlv(value, 0, value.length);
  if (bits?.tag !== BIT_STRING || bits.end - bits.start < 2) return undefined;
  let flags = 0;
  // The first content byte counts unused bits; the named bits follow, most significant bit first.
  for (let i = bits.start + 1, base = 0; i < bits.end && base < 16; i++, base += 8) {
    const byte = value[i]!;
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) flags |= 1 << (base + b);
  }
  return flags;
}

/** KeyUsage flag of keyCertSign (as {@link keyUsageFlags} numbers them). */
export const KU_KEY_CERT_SIGN = 1 << 5;
/** KeyUsage flag of digitalSignature. */
export const KU_DIGITAL_SIGNATURE = 1 << 0;
/** KeyUsage flag of cRLSign. */
export const KU_CRL_SIGN = 1 << 6;
