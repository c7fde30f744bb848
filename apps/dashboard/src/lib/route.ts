/** The dashboard's pages, addressed by the URL's hash so the manager serves one document for all of them. */
export type Route =
  | { page: "overview" }
  | { page: "services" }
  | { page: "service"; id: string }
  | { page: "nodes" }
  | { page: "networks" }
  | { page: "events" }
  | { page: "logs"; taskId: string }
  | { page: "not-found"; path: string };

/** Reads a location hash (`#/services/abc`) as a route; an empty hash is the overview. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/\/+$/, "") || "/";
  const parts = path
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
  const [first, second, third] = parts;
  if (parts.length === 0) return { page: "overview" };
  if (first === "services" && parts.length === 1) return { page: "services" };
  if (first === "services" && second && parts.length === 2) return { page: "service", id: second };
  if (first === "nodes" && parts.length === 1) return { page: "nodes" };
  if (first === "networks" && parts.length === 1) return { page: "networks" };
  if (first === "events" && parts.length === 1) return { page: "events" };
  if (first === "tasks" && second && third === "logs" && parts.length === 3) return { page: "logs", taskId: second };
  return { page: "not-found", path };
}

/** The hash of a route, for links. */
export function href(r: Route): string {
  switch (r.page) {
    case "overview":
      return "#/";
    case "service":
      return `#/services/${encodeURIComponent(r.id)}`;
    case "logs":
      return `#/tasks/${encodeURIComponent(r.taskId)}/logs`;
    case "not-found":
      return `#${r.path}`;
    case "services":
    case "nodes":
    case "networks":
    case "events":
      return `#/${r.page}`;
  }
}
