import type { z } from "zod";
import { BusProtocolError } from "./errors.js";

/** Encodes a message (validated first, so a sender's bug fails at the sender). */
export function encode<S extends z.ZodType>(schema: S, subject: string, message: z.input<S>): Uint8Array {
  const r = schema.safeParse(message);
  if (!r.success) throw new BusProtocolError(subject, issues(r.error));
  return Buffer.from(JSON.stringify(r.data));
}

/** Decodes and validates a message. */
export function decode<S extends z.ZodType>(schema: S, subject: string, data: Uint8Array): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch (err) {
    throw new BusProtocolError(subject, `not JSON (${(err as Error).message})`);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new BusProtocolError(subject, issues(r.error));
  return r.data;
}

function issues(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.map(String).join(".") || "(message)"}: ${i.message}`).join("; ");
}
