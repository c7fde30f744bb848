import type { LogLine } from "@shoal/api";
import { useEffect, useRef, useState } from "preact/hooks";
import { taskLogs } from "../api.js";
import { taskTone } from "../lib/format.js";
import { toProblem, type Problem } from "../lib/live.js";
import { nodeName, taskName, type Objects } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Badge, Empty, Loading, ProblemBox, Section } from "../ui.js";

/** Lines kept on the page; older ones drop off the top. */
const MAX_LINES = 5_000;

type Phase = "loading" | "streaming" | "ended" | "failed";

/** A task's logs: the last lines, then new ones as they come while "follow" is on. */
export function LogsPage({ model, taskId }: { model: Objects; taskId: string }) {
  const task = model.tasks.get(taskId);
  const [follow, setFollow] = useState(true);
  const [tail, setTail] = useState(500);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [phase, setPhase] = useState<Phase>("loading");
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const ac = new AbortController();
    setLines([]);
    setPhase("loading");
    setProblem(undefined);
    void (async () => {
      let batch: LogLine[] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flush = () => {
        timer = undefined;
        const add = batch;
        batch = [];
        setLines((old) => [...old, ...add].slice(-MAX_LINES));
      };
      try {
        setPhase("streaming");
        for await (const line of taskLogs(taskId, { tail, follow }, ac.signal)) {
          batch.push(line);
          timer ??= setTimeout(flush, 50);
        }
        if (timer) clearTimeout(timer);
        flush();
        if (!ac.signal.aborted) setPhase("ended");
      } catch (e) {
        if (ac.signal.aborted) return;
        setProblem(toProblem(e));
        setPhase("failed");
      }
    })();
    return () => ac.abort();
  }, [taskId, follow, tail]);

  // Keep the newest line in view while the reader is at the bottom.
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const name = task ? taskName(model, task) : taskId;
  return (
    <Section
      title={`Logs of ${name}`}
      id="h-logs"
      actions={
        <div class="inline">
          <label class="check">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
          </label>
          <label>
            Last{" "}
            <select value={String(tail)} onChange={(e) => setTail(Number(e.currentTarget.value))}>
              {[100, 500, 2000].map((n) => (
                <option key={n} value={String(n)}>
                  {n} lines
                </option>
              ))}
            </select>
          </label>
        </div>
      }
    >
      {task ? (
        <p class="sub">
          <Badge tone={taskTone(task.status.state)}>{task.status.state}</Badge> on{" "}
          {nodeName(model, task.nodeId) || "no node"} ·{" "}
          <a href={href({ page: "service", id: task.serviceId })}>back to the service</a>
        </p>
      ) : (
        <p class="sub">This task is not in the cluster's current state (it may have been removed).</p>
      )}
      {problem ? <ProblemBox problem={problem} title="Cannot read the logs" /> : null}
      {phase === "loading" ? <Loading what="logs" /> : null}
      {lines.length === 0 && phase !== "loading" && !problem ? (
        <Empty>{phase === "ended" ? "This task wrote nothing." : "Waiting for output…"}</Empty>
      ) : null}
      {lines.length > 0 ? (
        <pre
          class="logs"
          ref={box}
          tabIndex={0}
          aria-label={`Log lines of ${name}`}
          aria-live={follow ? "polite" : "off"}
        >
          {lines.map((l, i) => (
            <div key={i} class={l.stream === "stderr" ? "stderr" : ""}>
              <span class="ts">{l.time.slice(11, 23)}</span> {l.line}
            </div>
          ))}
        </pre>
      ) : null}
      {phase === "ended" && follow ? <p class="sub">The log ended: the task is no longer running.</p> : null}
    </Section>
  );
}
