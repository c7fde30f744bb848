import type { ApiStoreEvent, ClusterStatus, Info, Network, Node, Service, Task } from "@shoal/api";
import { applyEvents, EMPTY_MODEL, fromSnapshot, type Model } from "./model.js";

/** What the page needs from the API (the real one wraps the typed client; tests give a fake). */
export interface LiveApi {
  readonly info: () => Promise<Info>;
  readonly status: () => Promise<ClusterStatus>;
  readonly lists: () => Promise<{ nodes: Node[]; services: Service[]; tasks: Task[]; networks: Network[] }>;
  /** Store changes after `since`, then live ones, until `signal` aborts or the stream breaks. */
  readonly events: (since: number, signal: AbortSignal) => AsyncIterable<ApiStoreEvent>;
}

/** An error as the page shows it. */
export interface Problem {
  code: string;
  message: string;
  hint?: string | undefined;
  /** The HTTP status when the API answered. */
  status?: number | undefined;
}

/** How the page is connected: loading the first time, live, or waiting to retry after a problem. */
export type Connection =
  | { state: "connecting" }
  | { state: "live" }
  | { state: "retrying"; problem: Problem; attempt: number; retryInMs: number };

export interface LiveState {
  model: Model;
  /** False until the first snapshot arrived. */
  loaded: boolean;
  conn: Connection;
  info?: Info | undefined;
  status?: ClusterStatus | undefined;
  /** The latest problem reading the managers' state (info, status), while it lasts. */
  statusProblem?: Problem | undefined;
}

export interface LiveOptions {
  now?: () => number;
  /** Waits `ms` unless `signal` aborts first (then resolves at once). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** How often info and cluster status are read again (they are small and not in the event stream). */
  statusEveryMs?: number;
  /** Delays between reconnection attempts: the first, doubled each time up to the max. */
  retryMs?: number;
  retryMaxMs?: number;
  /** Events arriving within this window are applied together (one render). */
  batchMs?: number;
}

/** Turns any thrown value (an ApiError with its wrong fields, or anything else) into what the page shows. */
export function toProblem(e: unknown): Problem {
  const x = (typeof e === "object" && e !== null ? e : {}) as {
    code?: unknown;
    message?: unknown;
    hint?: unknown;
    status?: unknown;
    issues?: unknown;
  };
  const issues = Array.isArray(x.issues) ? (x.issues as { field: string; message: string }[]) : [];
  const fields = issues.map((i) => `${i.field || "request"}: ${i.message}`).join("; ");
  const message = typeof x.message === "string" ? x.message : String(e);
  return {
    code: typeof x.code === "string" ? x.code : "SHOAL_ERR_UNKNOWN",
    message: fields ? `${message} (${fields})` : message,
    hint: typeof x.hint === "string" ? x.hint : undefined,
    status: typeof x.status === "number" ? x.status : undefined,
  };
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });

/**
 * Keeps a model of the cluster current: reads the lists once, then applies the event stream from the index the
 * manager had applied before the lists were read (so nothing falls between them). When the stream breaks it
 * reconnects with backoff and reads the lists again; the page keeps showing the last state, marked as stale.
 */
export class LiveCluster {
  private state: LiveState = { model: EMPTY_MODEL, loaded: false, conn: { state: "connecting" } };
  private readonly stopper = new AbortController();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private pending: ApiStoreEvent[] = [];
  private flushing = false;

  constructor(
    private readonly api: LiveApi,
    private readonly onChange: (s: LiveState) => void,
    private readonly o: LiveOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? defaultSleep;
  }

  get current(): LiveState {
    return this.state;
  }

  /** Starts the stream loop and the status loop; both end on stop(). */
  start(): { stream: Promise<void>; status: Promise<void> } {
    return { stream: this.streamLoop(), status: this.statusLoop() };
  }

  stop(): void {
    this.stopper.abort();
  }

  /** Reads info and cluster status (small, and not in the event stream). */
  private async refreshStatus(): Promise<void> {
    try {
      const [info, status] = await Promise.all([this.api.info(), this.api.status()]);
      this.set({ info, status, statusProblem: undefined });
    } catch (e) {
      this.set({ statusProblem: toProblem(e) });
    }
  }

  private set(patch: Partial<LiveState>): void {
    this.state = { ...this.state, ...patch };
    this.onChange(this.state);
  }

  private async statusLoop(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      await this.refreshStatus();
      await this.sleep(this.o.statusEveryMs ?? 3_000, signal);
    }
  }

  private async streamLoop(): Promise<void> {
    const signal = this.stopper.signal;
    let attempt = 0;
    while (!signal.aborted) {
      const ac = new AbortController();
      const onStop = () => ac.abort();
      signal.addEventListener("abort", onStop, { once: true });
      try {
        const info = await this.api.info();
        const since = info.raft.appliedIndex;
        const buffered: ApiStoreEvent[] = [];
        let ready = false;
        const stream = (async () => {
          for await (const e of this.api.events(since, ac.signal)) {
            if (ready) this.enqueue(e);
            else buffered.push(e);
          }
        })();
        // The lists are read while the stream replays from `since`: an event the lists already hold is skipped.
        const lists = await Promise.race([
          this.api.lists(),
          stream.then(() => Promise.reject(new Error("the event stream ended before the lists were read"))),
        ]);
        const model = applyEvents(fromSnapshot({ index: since, ...lists }, this.state.model), buffered, this.now());
        ready = true;
        attempt = 0;
        this.set({ model, loaded: true, conn: { state: "live" }, info });
        await stream;
        if (signal.aborted) return;
        throw Object.assign(new Error("the manager closed the event stream"), {
          code: "SHOAL_ERR_STREAM_ENDED",
          hint: "reconnecting; if it keeps happening, the manager may be restarting",
        });
      } catch (e) {
        if (signal.aborted) return;
        attempt++;
        const base = this.o.retryMs ?? 1_000;
        const retryInMs = Math.min(this.o.retryMaxMs ?? 15_000, base * 2 ** (attempt - 1));
        this.set({ conn: { state: "retrying", problem: toProblem(e), attempt, retryInMs } });
        await this.sleep(retryInMs, signal);
      } finally {
        ac.abort();
        signal.removeEventListener("abort", onStop);
      }
    }
  }

  /** Queues a live event; queued events are applied together after the batch window. */
  private enqueue(e: ApiStoreEvent): void {
    this.pending.push(e);
    if (this.flushing) return;
    this.flushing = true;
    const flush = () => {
      this.flushing = false;
      const events = this.pending;
      this.pending = [];
      this.set({ model: applyEvents(this.state.model, events, this.now()) });
    };
    const ms = this.o.batchMs ?? 50;
    if (ms <= 0) flush();
    else setTimeout(flush, ms);
  }
}
