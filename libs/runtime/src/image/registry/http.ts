import { Readable } from "node:stream";
import { RegistryError } from "../../errors.js";

/** The `fetch` a registry client uses (the global one unless a test passes another). */
export type FetchFunction = typeof fetch;

/**
 * Sends one request. A network failure becomes a temporary RegistryError naming `what`; an aborted `signal`
 * rejects with the signal's reason, untouched, so callers can tell a cancel from a failure.
 */
export async function send(fetchImpl: FetchFunction, url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetchImpl(url, init);
  } catch (err) {
    if (init.signal?.aborted === true) throw init.signal.reason;
    const reason = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new RegistryError(
      `runtime: ${what}: cannot reach ${new URL(url).host} (${reason}); check the address and the network, then retry`,
      undefined,
      {
        cause: err,
        temporary: true,
      },
    );
  }
}

/** Reads and drops a response body, so its connection can be reused. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // Nothing to do: the body is unwanted.
  }
}

/**
 * A response body as a byte stream (not object mode). A connection lost midway fails the stream with a
 * temporary RegistryError naming `what`; an abort fails it with the signal's reason.
 */
export function bodyStream(res: Response, signal: AbortSignal | undefined, what: string): Readable {
  const body = res.body;
  async function* chunks(): AsyncGenerator<Buffer> {
    if (body === null) return;
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>)
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw new RegistryError(`runtime: ${what}: the connection broke off midway; retry`, undefined, {
        cause: err,
        temporary: true,
      });
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Reads a whole body of at most `limit` bytes.
 *
 * @throws RegistryError when the body is longer.
 */
export async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  const tooLarge = (): RegistryError =>
    new RegistryError(`runtime: ${what} is larger than ${limit} bytes; refusing to read it`, res.status, {
      temporary: false,
    });
  if (declared > limit) {
    await discard(res);
    throw tooLarge();
  }
  if (res.body === null) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) {
      await discard(res);
      throw tooLarge();
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * The RegistryError for an unexpected answer, quoting the registry's own error codes and messages (the
 * distribution spec's `{"errors":[{"code","message"}]}`) when it sent them. 429 and 5xx are temporary.
 */
export async function unexpectedAnswer(res: Response, what: string, hint: string): Promise<RegistryError> {
  let detail = "";
  try {
    const body = (await readLimited(res, 64 * 1024, what)).toString("utf8");
    detail = describeErrors(body);
  } catch {
    // The status alone has to do.
  }
  const temporary = res.status === 429 || res.status >= 500;
  return new RegistryError(
    `runtime: ${what}: the registry answered ${res.status}${detail ? ` (${detail})` : ""}; ${temporary ? "retry later" : hint}`,
    res.status,
    { temporary },
  );
}

/** `CODE: message; CODE: message` from a distribution error body, or the body's start when it is not one. */
function describeErrors(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      return parsed.errors
        .map((e: unknown) => {
          const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
          return [code, message].filter((part) => typeof part === "string").join(": ");
        })
        .filter((s) => s !== "")
        .join("; ");
    }
  } catch {
    // Not JSON.
  }
  return body.trim().slice(0, 200);
}
