import { useState } from "preact/hooks";
import type { FeedItem } from "../lib/describe.js";
import { formatAge } from "../lib/format.js";
import type { Model } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Empty, Section } from "../ui.js";

const TONE_WORD: Record<FeedItem["tone"], string> = { info: "", good: "", warn: "warning: ", bad: "problem: " };

/** Changes, newest first; tasks and services link to their service's page. */
export function Feed({ items, now }: { items: readonly FeedItem[]; now: number }) {
  if (items.length === 0) return <Empty>No changes since this page opened.</Empty>;
  return (
    <ol class="feed" aria-live="polite">
      {items.map((f) => (
        <li key={f.key} class={`tone-line tone-${f.tone}`}>
          <time dateTime={new Date(f.time).toISOString()}>{formatAge(f.time, now)}</time>
          <span class="visually-hidden">{TONE_WORD[f.tone]}</span>
          <span>{f.text}</span>
        </li>
      ))}
    </ol>
  );
}

const KINDS = ["all", "service", "task", "node", "network"] as const;

/** The live feed of every change the page has seen, with a filter by kind. */
export function EventsPage({ model, now }: { model: Model; now: number }) {
  const [kind, setKind] = useState<(typeof KINDS)[number]>("all");
  const items = kind === "all" ? model.feed : model.feed.filter((f) => f.kind === kind);
  return (
    <Section
      title="Events"
      id="h-events-page"
      actions={
        <label>
          Show{" "}
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as (typeof KINDS)[number])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k === "all" ? "all kinds" : `${k}s`}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <p class="sub">
        Live from the managers' event stream. Services and tasks link to{" "}
        <a href={href({ page: "services" })}>their service</a>.
      </p>
      <Feed items={items} now={now} />
    </Section>
  );
}
