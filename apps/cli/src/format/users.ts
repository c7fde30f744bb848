import type { UserInfo } from "@shoal/api";
import { humanDuration } from "../args/units.js";
import { renderTable, shortId } from "./table.js";

/** When the user's latest certificate expires, as of `now`: `2027-12-08 (in 12 months)`, `... (expired)`, or `-`. */
export function certificateExpiry(user: UserInfo, now: number): string {
  const last = Math.max(...user.certificates.map((c) => Date.parse(c.notAfter)));
  if (!Number.isFinite(last)) return "-";
  const date = new Date(last).toISOString().slice(0, 10);
  return last <= now ? `${date} (expired)` : `${date} (in ${humanDuration(last - now).toLowerCase()})`;
}

/** `cluster user ls`: `ID NAME ROLE CERTIFICATE EXPIRES`, by name. */
export function userTable(users: readonly UserInfo[], now: number): string {
  const rows = [...users]
    .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
    .map((u) => [shortId(u.id), u.spec.name, u.spec.role, certificateExpiry(u, now)]);
  return renderTable(["ID", "NAME", "ROLE", "CERTIFICATE EXPIRES"], rows);
}
