import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { formatAge, type Tone } from "./lib/format.js";
import { toProblem, type Problem } from "./lib/live.js";

/** A state in words with its colour; the words carry the meaning, the colour only helps. */
export function Badge({ tone, children }: { tone: Tone | "info"; children: ComponentChildren }) {
  return <span class={`badge tone-${tone}`}>{children}</span>;
}

/** Running of desired as a bar, with the numbers in words for screen readers and narrow screens. */
export function ConvergenceBar({ running, desired, label }: { running: number; desired: number; label: string }) {
  const pct = desired === 0 ? 100 : Math.min(100, Math.round((running / desired) * 100));
  const done = running >= desired;
  return (
    <div class="bar-wrap">
      <div
        class={`bar ${done ? "bar-done" : "bar-busy"}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={desired}
        aria-valuenow={running}
        aria-valuetext={`${running} of ${desired} running`}
      >
        <div class="bar-fill" style={{ width: `${pct}%` }} />
      </div>
      <span class="bar-text">
        {running}/{desired}
      </span>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** An API error: what went wrong, and what to do about it when the API says. */
export function ProblemBox({ problem, title }: { problem: Problem; title?: string }) {
  return (
    <div class="problem" role="alert">
      <strong>{title ?? "Something went wrong"}</strong>
      <p>{problem.message}</p>
      {problem.hint ? <p class="hint">What to do: {problem.hint}</p> : null}
      <p class="code">{problem.code}</p>
    </div>
  );
}

/** The current time, ticking every few seconds so ages stay true. */
export function useNow(everyMs = 5_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function Age({ iso, now }: { iso: string; now: number }) {
  const t = Date.parse(iso);
  return (
    <time dateTime={iso} title={new Date(t).toLocaleString()}>
      {formatAge(t, now)}
    </time>
  );
}

/** Runs one action at a time, keeping its error until the next try. */
export function useAction(): { busy: boolean; problem: Problem | undefined; run: (f: () => Promise<unknown>) => void } {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const run = (f: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(undefined);
    f()
      .catch((e: unknown) => setProblem(toProblem(e)))
      .finally(() => setBusy(false));
  };
  return { busy, problem, run };
}

export function Section({
  title,
  id,
  children,
  actions,
}: {
  title: string;
  id: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section aria-labelledby={id} class="card">
      <div class="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A table that scrolls sideways on a narrow screen, with a header row of `columns`. */
export function DataTable({ columns, children }: { columns: readonly string[]; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
