import type { Network } from "@shoal/api";
import { renderTable, shortId } from "./table.js";

/** `network ls`: `ID NAME DRIVER SCOPE SUBNETS VNI`, by name. */
export function networkTable(networks: readonly Network[]): string {
  const rows = [...networks]
    .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
    .map((n) => [
      shortId(n.id),
      n.spec.name,
      n.spec.driver,
      "swarm",
      (n.subnets.length > 0 ? n.subnets : n.spec.subnets).map((s) => s.subnet).join(",") || "(allocating)",
      n.vni === undefined ? "" : String(n.vni),
      [n.spec.attachable ? "attachable" : "", n.spec.ingress ? "ingress" : ""].filter(Boolean).join(","),
    ]);
  return renderTable(["ID", "NAME", "DRIVER", "SCOPE", "SUBNETS", "VNI", "FLAGS"], rows);
}
