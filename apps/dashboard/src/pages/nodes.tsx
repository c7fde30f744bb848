import type { Node } from "@shoal/api";
import { actions } from "../api.js";
import { formatBytes, nodeTone } from "../lib/format.js";
import { sortedNodes, taskName, tasksOnNode, type Objects } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Badge, Empty, ProblemBox, Section, useAction } from "../ui.js";

const AVAILABILITY: readonly Node["spec"]["availability"][] = ["active", "pause", "drain"];
const VERB: Record<Node["spec"]["availability"], string> = { active: "Activate", pause: "Pause", drain: "Drain" };

/** Every node with its labels and tasks, and the buttons that drain, pause or activate it. */
export function NodesPage({ model }: { model: Objects }) {
  const nodes = sortedNodes(model);
  return (
    <Section title="Nodes" id="h-nodes-page">
      {nodes.length === 0 ? (
        <Empty>No node has joined yet.</Empty>
      ) : (
        <div class="node-list">
          {nodes.map((n) => (
            <NodeCard key={n.id} node={n} model={model} />
          ))}
        </div>
      )}
    </Section>
  );
}

function NodeCard({ node, model }: { node: Node; model: Objects }) {
  const act = useAction();
  const tasks = tasksOnNode(model, node.id);
  const host = node.description.hostname;
  const labels = Object.entries(node.spec.labels);
  return (
    <article class="node" aria-labelledby={`node-${node.id}`} data-node={host}>
      <div class="card-head">
        <h3 id={`node-${node.id}`}>{host}</h3>
        <Badge tone={nodeTone(node)}>{node.status.state}</Badge>
        <Badge tone={node.spec.availability === "active" ? "good" : "warn"}>{node.spec.availability}</Badge>
        {node.managerStatus?.leader ? <Badge tone="info">leader</Badge> : null}
      </div>
      <p class="sub">
        {node.spec.role} · {node.status.addr} · {node.description.resources.cpus} CPU ·{" "}
        {formatBytes(node.description.resources.memoryBytes)} · {node.description.platform.os}/
        {node.description.platform.architecture}
        {node.status.message ? ` · ${node.status.message}` : ""}
      </p>
      <p>
        Labels:{" "}
        {labels.length === 0 ? "none" : labels.map(([k, v]) => <code key={k}>{v === "" ? k : `${k}=${v}`}</code>)}
      </p>
      <div class="inline" role="group" aria-label={`Availability of ${host}`}>
        {AVAILABILITY.map((a) => (
          <button
            key={a}
            type="button"
            aria-label={`${VERB[a]} ${host}`}
            aria-pressed={node.spec.availability === a}
            disabled={act.busy || node.spec.availability === a}
            onClick={() => act.run(() => actions.setAvailability(node, a))}
          >
            {VERB[a]}
          </button>
        ))}
      </div>
      {act.problem ? <ProblemBox problem={act.problem} title="The change was refused" /> : null}
      <details>
        <summary>
          {tasks.length} {tasks.length === 1 ? "task" : "tasks"}
        </summary>
        {tasks.length === 0 ? (
          <Empty>No tasks on this node.</Empty>
        ) : (
          <ul class="plain">
            {tasks.map((t) => (
              <li key={t.id}>
                <a href={href({ page: "service", id: t.serviceId })}>{taskName(model, t)}</a>{" "}
                <Badge tone={t.status.state === "running" ? "good" : "busy"}>{t.status.state}</Badge>
              </li>
            ))}
          </ul>
        )}
      </details>
    </article>
  );
}
