/**
 * An HTTP client of the test key-value servers (kv-server.ts) that finds the leader by itself and says, for
 * every request, whether it took effect: `ok` (with the result), `failed` (it certainly did not), or
 * `unknown` (it may have: the answer was lost). That classification is what a linearizability history needs.
 */
import { Agent, request } from "node:http";
import type { KvInput, KvOutput } from "../linearizability/kv-model.js";

/** What became of one request. */
export type KvOutcome =
  | { readonly kind: "ok"; readonly output: KvOutput }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "unknown"; readonly reason: string };

/** Options of {@link KvClient}. */
export interface KvClientOptions {
  /** Give up on one operation after this long; a write in flight then counts as unknown. Default 5 s. */
  readonly timeoutMs?: number;
  /** Sockets kept per server. Default 64. */
  readonly maxSockets?: number;
}

interface HttpAnswer {
  readonly status: number;
  readonly body: { value?: string | null; ok?: boolean; leader?: number; error?: string };
}

/** Errors raised before the request reached the server: it certainly did not take effect. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EADDRNOTAVAIL"]);

export class KvClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private leaderGuess: number;

  /** `urls`: every member's base URL by id. */
  constructor(
    private readonly urls: ReadonlyMap<number, string>,
    opts: KvClientOptions = {},
  ) {
    if (urls.size === 0) throw new Error("kv-client: give at least one server URL");
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
    this.leaderGuess = [...urls.keys()][0] ?? 1;
  }

  /** Runs one operation against the leader, following redirects and skipping dead members. */
  async run(input: KvInput): Promise<KvOutcome> {
    const deadline = Date.now() + this.timeoutMs;
    const ids = [...this.urls.keys()];
    let lastFailure = "no attempt";
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const target = this.leaderGuess;
      let answer: HttpAnswer;
      try {
        answer = await this.send(target, input, deadline - Date.now());
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (NOT_SENT.has(code)) {
          lastFailure = `member ${target}: ${code}`;
          this.leaderGuess = ids[(ids.indexOf(target) + 1) % ids.length] ?? target;
          if (attempt % ids.length === ids.length - 1) await pause(50);
          continue;
        }
        // The request may have reached the server: a write's fate is unknown; a read observed nothing.
        return { kind: "unknown", reason: `member ${target}: ${(e as Error).message}` };
      }
      switch (answer.status) {
        case 200:
          return { kind: "ok", output: toOutput(input, answer.body) };
        case 421: {
          const hint = answer.body.leader ?? 0;
          lastFailure = `member ${target} is not the leader`;
          if (hint !== 0 && hint !== target && this.urls.has(hint)) {
            this.leaderGuess = hint;
          } else {
            this.leaderGuess = ids[(ids.indexOf(target) + 1) % ids.length] ?? target;
            await pause(50);
          }
          continue;
        }
        case 503:
          lastFailure = `member ${target}: ${answer.body.error ?? "unavailable"}`;
          this.leaderGuess = ids[(ids.indexOf(target) + 1) % ids.length] ?? target;
          await pause(50);
          continue;
        case 504:
          return { kind: "unknown", reason: `member ${target}: ${answer.body.error ?? "outcome unknown"}` };
        default:
          // 4xx from our own client is a bug in the caller: it certainly did not apply.
          return { kind: "failed", reason: `member ${target}: HTTP ${answer.status} ${answer.body.error ?? ""}` };
      }
    }
    return { kind: "failed", reason: `gave up after ${this.timeoutMs} ms; last: ${lastFailure}` };
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private send(id: number, input: KvInput, timeoutMs: number): Promise<HttpAnswer> {
    const base = this.urls.get(id);
    if (base === undefined) throw new Error(`kv-client: no URL for member ${id}`);
    const key = encodeURIComponent(input.key);
    let method: string;
    let path: string;
    let body: string | undefined;
    switch (input.op) {
      case "get":
        method = "GET";
        path = `/kv/${key}`;
        break;
      case "put":
        method = "PUT";
        path = `/kv/${key}`;
        body = input.value;
        break;
      case "cas":
        method = "POST";
        path = `/cas/${key}`;
        body = JSON.stringify({ expected: input.expected, value: input.value });
        break;
    }
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(
        new URL(path, base),
        { method, agent: this.agent, timeout: Math.max(1, timeoutMs) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as HttpAnswer["body"] });
            } catch {
              reject(new Error(`HTTP ${res.statusCode ?? 0} with a body that is not JSON: ${text.slice(0, 80)}`));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}

function toOutput(input: KvInput, body: HttpAnswer["body"]): KvOutput {
  switch (input.op) {
    case "get":
      return { value: body.value ?? null };
    case "put":
      return {};
    case "cas":
      return { ok: body.ok === true };
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
