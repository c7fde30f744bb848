import { ShoalClient, type LogLine, type Node, type Service } from "@shoal/api";
import type { LiveApi } from "./lib/live.js";

/**
 * Credentials for when the API requires them: a bearer token kept for this browser tab only. Every request
 * and stream sends it, so the page works the same with and without authentication.
 */
const TOKEN_KEY = "shoal.token";
export const credentials = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** The typed API client, pinned to the manager that served this page (a page cannot call other origins). */
export const client = new ShoalClient({
  managers: [location.origin],
  pinned: true,
  timeoutMs: 15_000,
  headers: (): Record<string, string> => {
    const token = credentials.get();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
});

export const liveApi: LiveApi = {
  info: () => client.call("info"),
  status: () => client.call("clusterStatus"),
  lists: async () => {
    const [nodes, services, tasks, networks] = await Promise.all([
      client.call("nodeList"),
      client.call("serviceList"),
      client.call("taskList"),
      client.call("networkList"),
    ]);
    return { nodes, services, tasks, networks };
  },
  events: (since, signal) => client.stream("events", { query: { since } }, signal),
};

/** What the pages change: each is one API call; the change comes back through the event stream. */
export const actions = {
  scale: (s: Service, replicas: number) =>
    client.call("serviceScale", { params: { ref: s.id }, body: { replicas, version: s.version } }),
  updateImage: (s: Service, image: string) =>
    client.call("serviceUpdate", {
      params: { ref: s.id },
      body: {
        version: s.version,
        spec: {
          ...s.spec,
          taskTemplate: { ...s.spec.taskTemplate, container: { ...s.spec.taskTemplate.container, image } },
        },
      },
    }),
  rollback: (s: Service) => client.call("serviceRollback", { params: { ref: s.id } }),
  remove: (s: Service) => client.call("serviceRemove", { params: { ref: s.id } }),
  setAvailability: (n: Node, availability: Node["spec"]["availability"]) =>
    client.call("nodeUpdate", {
      params: { ref: n.id },
      body: { version: n.version, spec: { ...n.spec, availability } },
    }),
};

/** A task's log lines, the last `tail` and then new ones while `follow`. */
export function taskLogs(
  taskId: string,
  o: { tail: number; follow: boolean },
  signal: AbortSignal,
): AsyncGenerator<LogLine> {
  return client.stream(
    "taskLogs",
    { params: { ref: taskId }, query: { tail: o.tail, follow: o.follow ? "true" : "false", timestamps: "true" } },
    signal,
  );
}
