/**
 * The page's sign-in state (docs/design/trust.md §4.6): the page holds no credential of its own; the manager
 * gives the browser an HttpOnly session cookie at sign-in, which the page cannot read, so it learns that the
 * session ended only from an answer: any 401 but the sign-in's own.
 */

/** The sign-in route: its 401 means a wrong access token, not an ended session. */
const SIGN_IN = { method: "POST", path: "/v1/session" } as const;

/** Whether an answer with `status` to `method url` says the page's session ended (it must sign in again). */
export function endsSession(method: string, url: string, status: number): boolean {
  if (status !== 401) return false;
  let path: string;
  try {
    path = new URL(url, "https://page.invalid").pathname;
  } catch {
    return true;
  }
  return !(method.toUpperCase() === SIGN_IN.method && path === SIGN_IN.path);
}

/** Who wants to know when the session ends; the page registers one listener that shows the sign-in form. */
export class SessionWatch {
  private readonly listeners = new Set<() => void>();

  /** Calls `f` each time the session is seen to end; returns a function that stops it. */
  onEnded(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Looks at an answer; tells the listeners when it ends the session. */
  saw(method: string, url: string, status: number): void {
    if (endsSession(method, url, status)) for (const f of [...this.listeners]) f();
  }

  /**
   * `fetch` sending the session cookie (same-origin: the page calls only the manager that served it) and
   * watching every answer, of calls and streams alike.
   */
  fetch(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const res = await inner(input, { ...init, credentials: "same-origin" });
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      this.saw(
        init?.method ?? (typeof input === "object" && "method" in input ? input.method : "GET"),
        url,
        res.status,
      );
      return res;
    };
  }
}
