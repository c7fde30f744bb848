import { watch, type FSWatcher } from "node:fs";

/**
 * Wakes a log follower when its dir may have changed: on inotify events for the dir (writes, renames,
 * creations of the files in it), on a slow fallback poll (for filesystems without inotify, or when the watch
 * could not be set up), and when the container is done or the reader aborts. A wake that arrives while the
 * follower is busy is remembered, so none is lost.
 */
export class LogWakeup {
  private pending = false;
  private waiter: (() => void) | undefined;
  private watcher: FSWatcher | undefined;
  private readonly poll: ReturnType<typeof setInterval>;
  private readonly onAbort = (): void => this.wake();

  constructor(
    dir: string,
    pollIntervalMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.wake());
      this.watcher.on("error", () => this.closeWatcher());
    } catch {
      // No dir yet or no inotify: the poll alone will do.
      this.watcher = undefined;
    }
    this.poll = setInterval(() => this.wake(), pollIntervalMs);
    this.poll.unref();
    signal?.addEventListener("abort", this.onAbort);
  }

  /** Makes the current or next `wait()` return. */
  wake(): void {
    this.pending = true;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  /** Resolves at the next wake, at once if one came since the last call. */
  async wait(): Promise<void> {
    if (!this.pending) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.pending = false;
  }

  /** Stops watching and polling. */
  close(): void {
    this.closeWatcher();
    clearInterval(this.poll);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.wake();
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
