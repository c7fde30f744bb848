import { isTerminal, type Service, type Task } from "@shoal/api";
import { useEffect, useState } from "preact/hooks";
import { actions } from "../api.js";
import { imageOf, portsText, replicasText, shortId, taskTone } from "../lib/format.js";
import { nodeName, serviceRow, taskName, tasksOfService, type Objects } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Age, Badge, ConvergenceBar, Empty, ProblemBox, Section, useAction, DataTable } from "../ui.js";

/** One service: its tasks, and the forms that scale it, change its image, or remove it. */
export function ServicePage({ model, id, now }: { model: Objects; id: string; now: number }) {
  const service = model.services.get(id) ?? [...model.services.values()].find((s) => s.spec.name === id);
  const [showOld, setShowOld] = useState(false);
  if (!service) {
    return (
      <Section title="Service not found" id="h-service">
        <Empty>
          No service {id} (it may have been removed). See <a href={href({ page: "services" })}>all services</a>.
        </Empty>
      </Section>
    );
  }
  const row = serviceRow(model, service);
  const tasks = tasksOfService(model, service.id);
  const shown = showOld ? tasks : tasks.filter((t) => t.desiredState === "running" || !isTerminal(t.status.state));
  return (
    <div class="grid">
      <Section title={`Service ${service.spec.name}`} id="h-service">
        <ConvergenceBar
          running={row.counts.runningTasks}
          desired={row.counts.desiredTasks}
          label={`${service.spec.name} tasks running`}
        />
        <dl class="props">
          <dt>Image</dt>
          <dd class="mono">{imageOf(service)}</dd>
          <dt>Mode</dt>
          <dd>{replicasText(service)}</dd>
          <dt>Ports</dt>
          <dd class="mono">{portsText(service) || "none"}</dd>
          <dt>Update</dt>
          <dd>
            {service.updateStatus
              ? `${service.updateStatus.state.replace("_", " ")}${service.updateStatus.message ? `: ${service.updateStatus.message}` : ""}`
              : "none yet"}
          </dd>
          <dt>Id</dt>
          <dd class="mono">{service.id}</dd>
          <dt>Version</dt>
          <dd>{service.version}</dd>
        </dl>
        <ServiceControls service={service} />
      </Section>
      <Section
        title="Tasks"
        id="h-tasks"
        actions={
          <label class="check">
            <input type="checkbox" checked={showOld} onChange={(e) => setShowOld(e.currentTarget.checked)} /> Show ended
            tasks
          </label>
        }
      >
        {row.pending.length > 0 ? <Pending tasks={row.pending} model={model} /> : null}
        {shown.length === 0 ? (
          <Empty>No tasks{showOld ? "" : " running or starting"}.</Empty>
        ) : (
          <DataTable columns={["Task", "State", "Desired", "Node", "Since", "Error or exit code", "Logs"]}>
            {shown.map((t) => (
              <tr key={t.id} data-task={t.id} data-state={t.status.state}>
                <td>
                  {taskName(model, t)} <span class="mono sub">{shortId(t.id)}</span>
                </td>
                <td>
                  <Badge tone={taskTone(t.status.state)}>{t.status.state}</Badge>
                </td>
                <td>{t.desiredState}</td>
                <td>{nodeName(model, t.nodeId) || "—"}</td>
                <td>
                  <Age iso={t.status.timestamp} now={now} />
                </td>
                <td>
                  {[t.status.exitCode !== undefined ? `exit ${t.status.exitCode}` : "", t.status.err ?? ""]
                    .filter(Boolean)
                    .join(": ") || "—"}
                </td>
                <td>
                  {t.nodeId ? (
                    <a href={href({ page: "logs", taskId: t.id })} aria-label={`Logs of ${taskName(model, t)}`}>
                      logs
                    </a>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </Section>
    </div>
  );
}

/** Pending tasks with the scheduler's explanation, node by node. */
function Pending({ tasks, model }: { tasks: Task[]; model: Objects }) {
  return (
    <div class="pending" role="note">
      <strong>
        {tasks.length} {tasks.length === 1 ? "task waits" : "tasks wait"} for a node
      </strong>
      {tasks.map((t) => (
        <div key={t.id} data-pending={t.id}>
          <p>
            {taskName(model, t)}: {t.status.message || "no node can take it yet"}
          </p>
          {t.unschedulable && t.unschedulable.length > 0 ? (
            <ul>
              {t.unschedulable.map((u) => (
                <li key={u.nodeId}>
                  {u.hostname}: {u.reason}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}

function ServiceControls({ service }: { service: Service }) {
  const replicated = service.spec.mode.mode === "replicated" ? service.spec.mode.replicas : undefined;
  const [replicas, setReplicas] = useState(String(replicated ?? ""));
  const [image, setImage] = useState(imageOf(service));
  // A change made elsewhere (the CLI, another page, a rollback) shows in the fields.
  const current = imageOf(service);
  useEffect(() => setReplicas(String(replicated ?? "")), [replicated]);
  useEffect(() => setImage(current), [current]);
  const [confirm, setConfirm] = useState(false);
  const act = useAction();
  const scale = (e: Event) => {
    e.preventDefault();
    const n = Number(replicas);
    act.run(() =>
      Number.isInteger(n) && n >= 0
        ? actions.scale(service, n)
        : Promise.reject(
            Object.assign(new Error(`replicas must be a whole number of 0 or more, not "${replicas}"`), {
              code: "SHOAL_ERR_INVALID_ARGUMENT",
            }),
          ),
    );
  };
  const update = (e: Event) => {
    e.preventDefault();
    act.run(() => actions.updateImage(service, image.trim()));
  };
  return (
    <div class="controls">
      {replicated !== undefined ? (
        <form onSubmit={scale} class="inline">
          <label for="replicas">Replicas</label>
          <input
            id="replicas"
            type="number"
            min={0}
            value={replicas}
            onInput={(e) => setReplicas(e.currentTarget.value)}
          />
          <button type="submit" disabled={act.busy}>
            Scale
          </button>
        </form>
      ) : null}
      <form onSubmit={update} class="inline">
        <label for="image">Image</label>
        <input id="image" type="text" value={image} onInput={(e) => setImage(e.currentTarget.value)} />
        <button type="submit" disabled={act.busy || image.trim() === imageOf(service)}>
          Update image
        </button>
      </form>
      {service.previousSpec ? (
        <button type="button" disabled={act.busy} onClick={() => act.run(() => actions.rollback(service))}>
          Roll back to the previous spec
        </button>
      ) : null}
      {confirm ? (
        <div class="inline" role="group" aria-label="Confirm removal">
          <span>Remove {service.spec.name} and stop its tasks?</span>
          <button
            type="button"
            class="danger"
            disabled={act.busy}
            onClick={() =>
              act.run(() => actions.remove(service).then(() => (location.hash = href({ page: "services" }))))
            }
          >
            Remove {service.spec.name}
          </button>
          <button type="button" onClick={() => setConfirm(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" class="danger" onClick={() => setConfirm(true)}>
          Remove service…
        </button>
      )}
      {act.problem ? <ProblemBox problem={act.problem} title="The change was refused" /> : null}
    </div>
  );
}
