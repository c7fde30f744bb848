import type { z } from "zod";
import { COMMON_ERRORS } from "@shoal/common/errors";
import { API_ERRORS } from "./errors.js";
import { ErrorBodySchema, ROUTES, type RouteDef, type RouteInput, type RouteName, type RouteOutput } from "./routes.js";
import { classifyTlsFailure, tlsFailureError, type TlsFailure } from "./tls-failure.js";

/**
 * An error answer of the API, or no answer at all: status 503, code SHOAL_ERR_UNREACHABLE; or 502,
 * SHOAL_ERR_TLS or SHOAL_ERR_PEER_IDENTITY when a manager failed its TLS handshake.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly { field: string; message: string }[] = [],
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
  /** The message with each wrong field and the hint, one per line, as the CLI prints it. */
  describe(): string {
    const lines = [this.message, ...this.issues.map((i) => `  ${i.field || "(request)"}: ${i.message}`)];
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join("\n");
  }
}

/** A code a client raises without an answer: one of the client's own, with a status, or a common one. */
export type ClientErrorCode = Exclude<keyof typeof API_ERRORS, "SHOAL_ERR_HTTP"> | keyof typeof COMMON_ERRORS;

/** An ApiError a client raises itself (no server answered): its status comes from the code's registry entry. */
export function clientError(
  code: ClientErrorCode,
  message: string,
  issues: readonly { field: string; message: string }[] = [],
  hint?: string,
): ApiError {
  const doc =
    code in API_ERRORS
      ? API_ERRORS[code as Exclude<ClientErrorCode, keyof typeof COMMON_ERRORS>]
      : COMMON_ERRORS[code as keyof typeof COMMON_ERRORS];
  return new ApiError(doc.status, code, message, issues, hint);
}

export interface ClientOptions {
  /** Managers' API addresses, `host:port` or `http(s)://host:port`; tried in order when one cannot be reached. */
  managers: readonly string[];
  /**
   * The scheme of manager addresses without one, given or learned from answers (which name `host:port`):
   * "https" with a TLS `fetch`, so the managers the cluster names are dialed over TLS too. Default "http".
   */
  scheme?: "http" | "https";
  /** Per-request timeout (not for streams); default 30 s. */
  timeoutMs?: number;
  /**
   * Pause before going round the managers again when none has a leader (503 SHOAL_ERR_NO_LEADER), times the
   * round; default 250 ms. Three rounds at most, within the request's timeout.
   */
  retryMs?: number;
  /**
   * Called after an answer when the manager list changed: the one that answered first, then the others the
   * cluster lists (every answer carries them), so a caller can remember them for next time.
   */
  onManagers?: (managers: readonly string[]) => void;
  /**
   * Stay on the managers given, never moving to the others the cluster names (a web page can only call the
   * manager that served it). Default false.
   */
  pinned?: boolean;
  /** Extra headers of every request, read at each call (credentials once the API requires them). */
  headers?: () => Record<string, string>;
  fetch?: typeof fetch;
}

/** Header of every API answer: the managers' API addresses, comma-separated. */
const MANAGERS_HEADER = "x-shoal-managers";
/** Rounds over the managers while they answer "no leader". */
const NO_LEADER_ROUNDS = 3;

const baseUrl = (m: string, scheme: "http" | "https"): string =>
  (m.startsWith("http://") || m.startsWith("https://") ? m : `${scheme}://${m}`).replace(/\/+$/, "");

type Present<N extends RouteName, K extends "params" | "body"> = RouteInput<N>[K] extends undefined ? never : K;
/** A call's arguments: `params` and `body` where the route has them, `query` always optional. */
type Args<N extends RouteName> = {
  [K in Present<N, "params"> | Present<N, "body">]: RouteInput<N>[K];
} & (RouteInput<N>["query"] extends undefined ? unknown : { query?: RouteInput<N>["query"] });

/**
 * A typed client of the REST API, driven by the same route table as the server: `client.call("serviceCreate",
 * { body: spec })`. It follows the managers: a connection failure moves on to the next manager, so does a
 * manager without a leader (503 SHOAL_ERR_NO_LEADER, going round again after a short pause), and every answer
 * updates the list with the managers the cluster names. API errors throw ApiError.
 *
 * A manager whose TLS handshake fails (its certificate is untrusted, expired or names another identity, or it
 * refused this client's certificate) is skipped like an unreachable one, since nothing was sent to it: one
 * rogue or misconfigured manager does not block the others. When no manager answered and one failed so, the
 * error is SHOAL_ERR_PEER_IDENTITY or SHOAL_ERR_TLS naming each manager and what was wrong, not
 * SHOAL_ERR_UNREACHABLE. A TLS fetch for Node processes is `createTlsFetch` of `@shoal/api/node`.
 */
export class ShoalClient {
  /** Managers as given or learned (`host:port`), and their base URLs, in the order they are tried. */
  private addrs: string[];
  private bases: string[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private readonly doFetch: typeof fetch;
  private readonly onManagers: ((managers: readonly string[]) => void) | undefined;
  private readonly pinned: boolean;
  private readonly headers: (() => Record<string, string>) | undefined;
  private readonly scheme: "http" | "https";

  constructor(o: ClientOptions) {
    if (o.managers.length === 0) throw new Error("client: give at least one manager address");
    this.scheme = o.scheme ?? "http";
    this.addrs = [...o.managers];
    this.bases = this.addrs.map(this.toBase);
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retryMs = o.retryMs ?? 250;
    // Called unbound: a browser refuses `fetch` called as a method of another object.
    this.doFetch = o.fetch ?? ((input, init) => fetch(input, init));
    this.onManagers = o.onManagers;
    this.pinned = o.pinned ?? false;
    this.headers = o.headers;
  }

  /** The base URL of a manager address: as given, or with this client's scheme. */
  private readonly toBase = (m: string): string => baseUrl(m, this.scheme);

  /** Calls a route and returns its parsed body. */
  async call<N extends RouteName>(name: N, args: Args<N> = {} as Args<N>): Promise<RouteOutput<N>> {
    const route: RouteDef = ROUTES[name];
    const res = await this.send(route, args, AbortSignal.timeout(this.timeoutMs));
    if (route.status === 204) {
      await res.body?.cancel();
      return undefined as RouteOutput<N>;
    }
    const json: unknown = await res.json();
    return (route.response ? route.response.parse(json) : json) as RouteOutput<N>;
  }

  /** Streams a newline-delimited JSON or SSE route item by item; stop by breaking out or aborting `signal`. */
  async *stream<N extends RouteName>(
    name: N,
    args: Args<N> = {} as Args<N>,
    signal?: AbortSignal,
  ): AsyncGenerator<RouteOutput<N>> {
    const route: RouteDef = ROUTES[name];
    if (!route.stream) throw new Error(`client: ${name} is not a stream`);
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await this.send(route, args, ac.signal);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buf = "";
      try {
        for await (const chunk of res.body) {
          buf += decoder.decode(chunk as Uint8Array, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trimEnd();
            buf = buf.slice(nl + 1);
            const payload = route.stream === "sse" ? (line.startsWith("data:") ? line.slice(5).trim() : "") : line;
            if (!payload) continue;
            const value: unknown = JSON.parse(payload);
            yield (route.response ? route.response.parse(value) : value) as RouteOutput<N>;
          }
        }
      } catch (e) {
        if (ac.signal.aborted) return;
        throw e;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      ac.abort();
    }
  }

  /** The manager address in use (after failovers). */
  get manager(): string {
    return this.bases[this.current] as string;
  }

  /** The managers this client knows, the one in use first after an answer. */
  get managers(): readonly string[] {
    return [...this.addrs];
  }

  private async send(
    route: RouteDef,
    args: Partial<{ params: unknown; query: unknown; body: unknown }>,
    signal: AbortSignal,
  ): Promise<Response> {
    const path = route.path.replace(/:([A-Za-z]+)/g, (_m, k: string) => {
      const v = (args.params as Record<string, string | number | undefined> | undefined)?.[k];
      if (v === undefined || v === "")
        throw clientError("SHOAL_ERR_INVALID_ARGUMENT", `client: missing path parameter ${k}`);
      return encodeURIComponent(String(v));
    });
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(
      (args.query as Record<string, string | number | boolean | undefined> | undefined) ?? {},
    ))
      if (v !== undefined) qs.set(k, String(v));
    const suffix = qs.size > 0 ? `?${qs.toString()}` : "";
    const init: RequestInit = {
      method: route.method,
      signal,
      headers: { ...this.headers?.(), accept: "application/json" },
    };
    if (args.body !== undefined) {
      init.body = JSON.stringify(args.body);
      init.headers = { ...init.headers, "content-type": "application/json" };
    }
    let lastErr: unknown;
    let noLeader: ApiError | undefined;
    // Per manager tried, the TLS failure or the connection failure of its last attempt.
    const tlsFailures = new Map<string, TlsFailure>();
    const unreachable = new Map<string, string>();
    const tried = new Set<string>();
    for (let round = 0; round < NO_LEADER_ROUNDS; round++) {
      if (round > 0) await pause(this.retryMs * round, signal, this.manager);
      noLeader = undefined;
      // The list may change while going round (an answer names the managers): go round a copy.
      const order = this.bases.map((_, i) => (this.current + i) % this.bases.length);
      const addrs = [...this.addrs];
      for (const i of order) {
        const base = this.toBase(addrs[i] as string);
        tried.add(base);
        let res: Response;
        try {
          res = await this.doFetch(`${base}${path}${suffix}`, init);
        } catch (e) {
          if (signal.aborted) throw timeoutOrAbort(signal, base);
          const tls = classifyTlsFailure(e);
          if (tls) tlsFailures.set(base, tls);
          else {
            lastErr = e;
            unreachable.set(base, causeOf(e));
          }
          continue;
        }
        if (res.status === 503) {
          const e = await toApiError(res);
          // Another manager may have a leader (this one may be cut off from it): try the next.
          if (e.code === "SHOAL_ERR_NO_LEADER") {
            noLeader = e;
            continue;
          }
          this.answered(addrs[i] as string, res);
          throw e;
        }
        this.answered(addrs[i] as string, res);
        if (res.ok) return res;
        throw await toApiError(res);
      }
      // Nobody answered at all: going round again will not help within one call.
      if (!noLeader) break;
    }
    if (noLeader) throw noLeader;
    if (tlsFailures.size > 0) {
      for (const base of tlsFailures.keys()) unreachable.delete(base);
      const e = tlsFailureError(tlsFailures, unreachable);
      throw new ApiError(e.status, e.code, e.message, [], e.hint);
    }
    throw clientError(
      "SHOAL_ERR_UNREACHABLE",
      `cannot reach a manager at ${[...tried].join(", ")} (${causeOf(lastErr)})`,
      [],
      "is `shoal manager` running there? start the cluster with `shoal cluster init` or pass --host",
    );
  }

  /** `addr` answered: use it first from now on, with the other managers its answer names. */
  private answered(addr: string, res: Response): void {
    const named = this.pinned
      ? []
      : (res.headers.get(MANAGERS_HEADER) ?? "")
          .split(",")
          .map((m) => m.trim())
          .filter((m) => m !== "");
    const others = named.length > 0 ? named : this.addrs;
    const next = [addr, ...others.filter((m) => this.toBase(m) !== this.toBase(addr))].filter(
      (m, i, all) => all.findIndex((x) => this.toBase(x) === this.toBase(m)) === i,
    );
    const changed = next.length !== this.addrs.length || next.some((m, i) => m !== this.addrs[i]);
    this.current = 0;
    if (!changed) return;
    this.addrs = next;
    this.bases = next.map(this.toBase);
    this.onManagers?.(this.managers);
  }
}

/** The cause of a failed fetch in words: its cause's message (fetch itself says only "fetch failed"). */
const causeOf = (e: unknown): string =>
  e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);

/** Waits `ms`, or throws as the request does when `signal` ends first. */
function pause(ms: number, signal: AbortSignal, base: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(timeoutOrAbort(signal, base));
    const onAbort = () => {
      clearTimeout(timer);
      reject(timeoutOrAbort(signal, base));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function timeoutOrAbort(signal: AbortSignal, base: string): ApiError {
  const r: unknown = signal.reason;
  if (r instanceof DOMException && r.name === "TimeoutError")
    return clientError(
      "SHOAL_ERR_TIMEOUT",
      `no answer from ${base} in time`,
      [],
      "the manager may be overloaded or without a leader; retry",
    );
  return clientError("SHOAL_ERR_ABORTED", "request aborted");
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: z.infer<typeof ErrorBodySchema> | undefined;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    // not JSON: fall through
  }
  if (!body)
    return new ApiError(res.status, "SHOAL_ERR_HTTP", `HTTP ${res.status}: ${text.slice(0, 200) || res.statusText}`);
  return new ApiError(res.status, body.error.code, body.error.message, body.error.issues ?? [], body.error.hint);
}
