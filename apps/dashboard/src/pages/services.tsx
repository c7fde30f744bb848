import { imageOf, portsText, replicasText } from "../lib/format.js";
import { serviceRows, type Objects } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Badge, ConvergenceBar, Empty, Section, DataTable } from "../ui.js";

/** Every service: convergence, image, ports, mode and update state. */
export function ServicesPage({ model }: { model: Objects }) {
  const rows = serviceRows(model);
  return (
    <Section title="Services" id="h-services-page">
      {rows.length === 0 ? (
        <Empty>
          No services yet. Create one with `shoal service create --name web --replicas 3 -p 8080:80 IMAGE` or through
          the API.
        </Empty>
      ) : (
        <DataTable columns={["Name", "Running", "Mode", "Image", "Ports", "Update"]}>
          {rows.map((r) => (
            <tr key={r.service.id} data-service={r.service.spec.name}>
              <td>
                <a href={href({ page: "service", id: r.service.id })}>{r.service.spec.name}</a>
              </td>
              <td>
                <ConvergenceBar
                  running={r.counts.runningTasks}
                  desired={r.counts.desiredTasks}
                  label={`${r.service.spec.name} tasks running`}
                />
                {r.pending.length > 0 ? <Badge tone="warn">{r.pending.length} pending</Badge> : null}
              </td>
              <td>{replicasText(r.service)}</td>
              <td class="mono">{imageOf(r.service)}</td>
              <td class="mono">{portsText(r.service) || "—"}</td>
              <td>
                {r.service.updateStatus ? (
                  <Badge
                    tone={
                      r.service.updateStatus.state.endsWith("paused")
                        ? "bad"
                        : r.service.updateStatus.state.endsWith("completed")
                          ? "muted"
                          : "busy"
                    }
                  >
                    {r.service.updateStatus.state.replace("_", " ")}
                  </Badge>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </Section>
  );
}
