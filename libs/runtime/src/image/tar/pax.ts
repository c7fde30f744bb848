import { CorruptImageError } from "../../errors.js";

/** PAX extended header records: keyword -> raw value bytes (values may be binary, e.g. xattrs). */
export type PaxRecords = Map<string, Buffer>;

/**
 * Parses the body of a PAX `x` or `g` header: records `"<len> <key>=<value>\n"` where `len` counts the whole
 * record in bytes. Throws CorruptImageError naming `where` for a malformed record.
 */
export function parsePax(body: Buffer, where: string): PaxRecords {
  const records: PaxRecords = new Map();
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // NUL padding after the last record
    const space = body.indexOf(0x20, pos);
    const lenText = space === -1 ? "" : body.subarray(pos, space).toString("latin1");
    const len = /^[0-9]{1,9}$/.test(lenText) ? Number(lenText) : NaN;
    if (!(len > 0) || pos + len > body.length || body[pos + len - 1] !== 0x0a) {
      throw new CorruptImageError(`runtime: ${where}: malformed PAX record at byte ${pos} of the extended header`);
    }
    const record = body.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0)
      throw new CorruptImageError(
        `runtime: ${where}: PAX record without a keyword at byte ${pos} of the extended header`,
      );
    records.set(record.subarray(0, eq).toString("utf8"), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return records;
}

/** Reads a PAX decimal integer value; undefined when absent, CorruptImageError when malformed. */
export function paxInteger(records: PaxRecords, key: string, where: string): number | undefined {
  const raw = records.get(key);
  if (raw === undefined) return undefined;
  const text = raw.toString("latin1");
  if (!/^[0-9]{1,16}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    throw new CorruptImageError(`runtime: ${where}: bad PAX ${key} ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Reads a PAX time (`seconds[.fraction]`, possibly negative); undefined when absent. */
export function paxTime(records: PaxRecords, key: string, where: string): number | undefined {
  const raw = records.get(key);
  if (raw === undefined) return undefined;
  const text = raw.toString("latin1");
  if (!/^-?[0-9]{1,16}(\.[0-9]+)?$/.test(text))
    throw new CorruptImageError(`runtime: ${where}: bad PAX ${key} ${JSON.stringify(text)}`);
  return Number(text);
}
