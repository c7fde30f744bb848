import type { Objects } from "../lib/model.js";
import { href } from "../lib/route.js";
import { Badge, Empty, Section, DataTable } from "../ui.js";

/** Networks with their subnets, VXLAN id and the services attached. */
export function NetworksPage({ model }: { model: Objects }) {
  const networks = [...model.networks.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  const services = [...model.services.values()];
  return (
    <Section title="Networks" id="h-networks-page">
      {networks.length === 0 ? (
        <Empty>No networks. Create one with `shoal network create NAME`.</Empty>
      ) : (
        <DataTable columns={["Name", "Driver", "Subnets", "VXLAN id", "Services"]}>
          {networks.map((n) => {
            const attached = services.filter((s) =>
              s.spec.taskTemplate.networks.some((a) => a.target === n.id || a.target === n.spec.name),
            );
            return (
              <tr key={n.id} data-network={n.spec.name}>
                <td>
                  {n.spec.name}
                  {n.spec.ingress ? <Badge tone="info">ingress</Badge> : null}
                  {n.spec.attachable ? <Badge tone="muted">attachable</Badge> : null}
                </td>
                <td>{n.spec.driver}</td>
                <td class="mono">{n.subnets.map((s) => `${s.subnet} (gateway ${s.gateway})`).join(", ") || "—"}</td>
                <td>{n.vni ?? "—"}</td>
                <td>
                  {attached.length === 0
                    ? "—"
                    : attached.map((s, i) => (
                        <span key={s.id}>
                          {i > 0 ? ", " : ""}
                          <a href={href({ page: "service", id: s.id })}>{s.spec.name}</a>
                        </span>
                      ))}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </Section>
  );
}
