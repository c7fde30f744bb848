import { ShoalClient, type LogLine, type Node, type Service } from "@shoal/api";
import type { LiveApi } from "./lib/live.js";
import { SessionWatch } from "./lib/session.js";

/**
 * The page's session: signed in, the browser holds an HttpOnly session cookie the page cannot read, sent with
 * every request to the manager that served the page (same-origin); any 401 tells the page to sign in again.
 */
export const sessionWatch = new SessionWatch();

/** The typed API client, pinned to the manager that served this page (a page cannot call other origins). */
export const client = new ShoalClient({
  managers: [location.origin],
  pinned: true,
  timeoutMs: 15_000,
  // Called unbound: a browser refuses `fetch` called as a method of another object.
  fetch: sessionWatch.fetch((input, init) => fetch(input, init)),
});

/** Sign-in and sign-out: the manager sets and clears the session cookie. */
export const session = {
  signIn: (accessToken: string) => client.call("sessionCreate", { body: { accessToken } }),
  signOut: () => client.call("sessionDelete"),
};

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
