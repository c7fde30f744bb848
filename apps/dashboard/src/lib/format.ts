import type { Node, Service, TaskState } from "@shoal/api";

/** The image a service runs. */
export const imageOf = (s: Pick<Service, "spec">): string => s.spec.taskTemplate.container.image;

/** "3 replicas", "1 replica" or "global". */
export function replicasText(s: Pick<Service, "spec">): string {
  const m = s.spec.mode;
  return m.mode === "global" ? "global" : `${m.replicas} ${m.replicas === 1 ? "replica" : "replicas"}`;
}

/** Published ports as Docker prints them: `*:8080->80/tcp` (mesh) or `8080->80/tcp (host)`. */
export function portsText(s: Pick<Service, "spec" | "endpoint">): string {
  const ports: readonly {
    publishedPort?: number | undefined;
    targetPort: number;
    protocol: string;
    publishMode: string;
  }[] = s.endpoint.ports.length > 0 ? s.endpoint.ports : s.spec.endpoint.ports;
  return ports
    .map((p) => {
      const published = p.publishedPort ?? "?";
      return p.publishMode === "host"
        ? `${published}->${p.targetPort}/${p.protocol} (host)`
        : `*:${published}->${p.targetPort}/${p.protocol}`;
    })
    .join(", ");
}

/** How long ago, as a person says it: "just now", "42 s", "5 min", "3 h", "2 d". */
export function formatAge(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (s < 2) return "just now";
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Bytes in binary units with one decimal below 10: "512 MiB", "1.5 GiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const shown = v < 10 && i > 0 ? v.toFixed(1).replace(/\.0$/, "") : String(Math.round(v));
  return `${shown} ${units[i] ?? "B"}`;
}

/** The first 12 characters of an id, as the CLI shows ids. */
export const shortId = (id: string): string => id.slice(0, 12);

/** How a state should look: good, in progress, bad, or past. */
export type Tone = "good" | "busy" | "bad" | "muted" | "warn";

export function taskTone(state: TaskState): Tone {
  switch (state) {
    case "running":
      return "good";
    case "failed":
    case "rejected":
    case "orphaned":
      return "bad";
    case "pending":
      return "warn";
    case "complete":
    case "shutdown":
    case "remove":
      return "muted";
    case "new":
    case "assigned":
    case "accepted":
    case "preparing":
    case "ready":
    case "starting":
      return "busy";
  }
}

export function nodeTone(n: Pick<Node, "status" | "spec">): Tone {
  if (n.status.state === "ready") return n.spec.availability === "active" ? "good" : "warn";
  if (n.status.state === "unknown") return "busy";
  return "bad";
}
