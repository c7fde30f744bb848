import type { LogLine } from "@shoal/api";
import { parseDurationMs } from "../args/units.js";

/** What a log line's prefix is made of. */
export interface LogContext {
  serviceNames: ReadonlyMap<string, string>;
  nodeNames: ReadonlyMap<string, string>;
  timestamps: boolean;
}

/** `web.1.abcdef012345@node1    | text`, with the time first when asked, as `docker service logs` prints. */
export function formatLogLine(l: LogLine, ctx: LogContext): string {
  const service = ctx.serviceNames.get(l.serviceId) ?? l.serviceId.slice(0, 12);
  const node = ctx.nodeNames.get(l.nodeId) ?? l.nodeId.slice(0, 12);
  const prefix = `${service}.${l.slot ?? l.nodeId.slice(0, 12)}.${l.taskId.slice(0, 12)}@${node}    | `;
  return `${ctx.timestamps ? `${l.time} ` : ""}${prefix}${l.line}\n`;
}

/**
 * `--since` as the API takes it: a duration (`10m`) becomes the time that long before `now`; anything else
 * (RFC 3339, seconds since the epoch) is passed on.
 */
export function sinceQuery(value: string, now: number): string {
  const ms = parseDurationMs(value);
  return ms === undefined ? value : new Date(now - ms).toISOString();
}
