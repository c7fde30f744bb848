import type { ClusterStatus } from "@shoal/api";
import { formatBytes, nodeTone } from "../lib/format.js";
import { serviceRows, sortedNodes, tasksOnNode, totals } from "../lib/model.js";
import type { LiveState } from "../lib/live.js";
import { href } from "../lib/route.js";
import { Badge, ConvergenceBar, Empty, Section, DataTable } from "../ui.js";
import { Feed } from "./events.js";

/** The cluster at a glance: managers and leader, nodes, counts, services' convergence, recent events. */
export function Overview({ live, now }: { live: LiveState; now: number }) {
  const m = live.model;
  const t = totals(m);
  const rows = serviceRows(m);
  return (
    <div class="grid">
      <Section title="Cluster" id="h-cluster">
        <dl class="stats">
          <Stat label="Nodes ready" value={`${t.nodesReady}/${t.nodes}`} />
          <Stat label="Services" value={String(t.services)} />
          <Stat label="Tasks running" value={`${t.tasksRunning}/${t.tasksDesired}`} />
          <Stat label="Pending" value={String(t.tasksPending)} tone={t.tasksPending > 0 ? "warn-text" : ""} />
          <Stat label="Failed (kept)" value={String(t.tasksFailed)} tone={t.tasksFailed > 0 ? "bad-text" : ""} />
        </dl>
      </Section>
      <Managers status={live.status} />
      <Section title="Nodes" id="h-nodes" actions={<a href={href({ page: "nodes" })}>All nodes</a>}>
        {m.nodes.size === 0 ? (
          <Empty>No node has joined yet. Run `shoal cluster join` on a machine with the worker token.</Empty>
        ) : (
          <DataTable columns={["Hostname", "Role", "State", "Availability", "Resources", "Tasks"]}>
            {sortedNodes(m).map((n) => (
              <tr key={n.id} data-node={n.description.hostname}>
                <td>{n.description.hostname}</td>
                <td>
                  {n.spec.role}
                  {n.managerStatus?.leader ? <Badge tone="info">leader</Badge> : null}
                </td>
                <td>
                  <Badge tone={nodeTone(n)}>{n.status.state}</Badge>
                </td>
                <td>{n.spec.availability}</td>
                <td>
                  {n.description.resources.cpus} CPU, {formatBytes(n.description.resources.memoryBytes)}
                </td>
                <td>{tasksOnNode(m, n.id).length}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
      <Section title="Services" id="h-services" actions={<a href={href({ page: "services" })}>All services</a>}>
        {rows.length === 0 ? (
          <Empty>No services. Create one with `shoal service create --name web --replicas 3 -p 8080:80 IMAGE`.</Empty>
        ) : (
          <ul class="plain">
            {rows.map((r) => (
              <li key={r.service.id} class="service-line">
                <a href={href({ page: "service", id: r.service.id })}>{r.service.spec.name}</a>
                <ConvergenceBar
                  running={r.counts.runningTasks}
                  desired={r.counts.desiredTasks}
                  label={`${r.service.spec.name} tasks running`}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Recent events" id="h-events" actions={<a href={href({ page: "events" })}>All events</a>}>
        <Feed items={m.feed.slice(0, 12)} now={now} />
      </Section>
    </div>
  );
}

function Stat({ label, value, tone = "" }: { label: string; value: string; tone?: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd class={tone}>{value}</dd>
    </div>
  );
}

/** The managers as the leader sees them (or, without a leader, as this manager does). */
export function Managers({ status }: { status: ClusterStatus | undefined }) {
  return (
    <Section title="Managers" id="h-managers">
      {!status ? (
        <Empty>Reading the managers' state…</Empty>
      ) : (
        <>
          <p class="sub">
            {status.leaderId !== undefined
              ? `Leader: manager ${status.leaderId}${status.leaderApiAddr ? ` at ${status.leaderApiAddr}` : ""}`
              : "No leader"}{" "}
            · term {status.term} · commit index {status.commitIndex} · quorum {status.quorum}
          </p>
          {status.warning ? <p class="warn-text">{status.warning}</p> : null}
          <ul class="plain managers">
            {status.managers.map((mg) => (
              <li key={mg.raftId} data-manager={mg.raftId}>
                <span>
                  manager {mg.raftId}
                  {mg.apiAddr ? ` · ${mg.apiAddr}` : ""}
                </span>
                {mg.leader ? <Badge tone="info">leader</Badge> : null}
                <Badge tone={mg.reachable ? "good" : "bad"}>{mg.reachable ? "reachable" : "unreachable"}</Badge>
                {mg.role === "learner" ? <Badge tone="busy">learner</Badge> : null}
                {mg.lag !== undefined && mg.lag > 0 ? <span class="sub">{mg.lag} entries behind</span> : null}
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}
