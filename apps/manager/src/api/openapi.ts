import { z } from "zod";
import { ErrorBodySchema, ROUTES, type RouteAccess, type RouteDef } from "@shoal/api";

const json = (s: z.ZodType, io: "input" | "output") =>
  z.toJSONSchema(s, { io, target: "openapi-3.0", unrepresentable: "any" }) as Record<string, unknown>;

/** The OpenAPI 3.0 document of the REST API, made from the same route table the server and client use. Pure. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, r] of Object.entries(ROUTES) as [string, RouteDef][]) {
    const path = r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ["path", r.params],
      ["query", r.query],
    ] as const) {
      if (!schema) continue;
      const js = json(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
      for (const [pname, pschema] of Object.entries(js.properties ?? {})) {
        const { description, ...schema } = pschema as { description?: string };
        parameters.push({
          name: pname,
          in: where,
          ...(description ? { description } : {}),
          required: where === "path" || (js.required ?? []).includes(pname),
          schema,
        });
      }
    }
    const ok: Record<string, unknown> = { description: r.summary };
    if (r.response && r.status !== 204) {
      const media =
        r.stream === "sse" ? "text/event-stream" : r.stream === "ndjson" ? "application/x-ndjson" : "application/json";
      ok.content = { [media]: { schema: json(r.response, "output") } };
    }
    const errorContent = { "application/json": { schema: json(ErrorBodySchema, "output") } };
    const op: Record<string, unknown> = {
      operationId: name,
      summary: r.summary,
      tags: [r.tag],
      description: ACCESS_TEXT[r.access],
      "x-shoal-access": r.access,
      ...(r.access === "public" ? {} : { security: [{ clientCertificate: [] }, { session: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: json(r.body, "input") } } } }
        : {}),
      responses: {
        [String(r.status)]: ok,
        "400": { description: "Invalid request: the fields named are wrong", content: errorContent },
        ...(r.access === "public"
          ? { "401": { description: "The credential the body carries is refused", content: errorContent } }
          : {
              "401": {
                description: "No credential, or one the cluster does not accept (an ended session included)",
                content: errorContent,
              },
              "403": {
                description:
                  "The caller's role may not call this route, or a request with the session cookie did not come from the dashboard's own page (Host, Origin)",
                content: errorContent,
              },
            }),
        ...(name === "sessionCreate"
          ? {
              "403": { description: "Not from the dashboard's own page (Host, Origin)", content: errorContent },
              "429": {
                description: "Too many failed sign-ins from the caller's address; Retry-After says when to try again",
                content: errorContent,
              },
            }
          : {}),
        "404": { description: "Unknown id or name", content: errorContent },
        "409": { description: "Version conflict or name taken", content: errorContent },
        "503": { description: "No leader or no quorum; the hint says what to do", content: errorContent },
      },
    };
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "Shoal API",
      version,
      description:
        "The REST API of Shoal's managers. Any manager answers: writes are forwarded to the leader; reads are linearizable (a read barrier through the leader) unless they ask for stale=true. Without quorum, reads and writes answer 503 SHOAL_ERR_NO_QUORUM. Every answer names the managers' API addresses in the x-shoal-managers header and the leader's in x-shoal-leader. Every route but the join handshake needs a credential (a client certificate the cluster issued, or the dashboard's session cookie): 401 without one, 403 for a role that may not call the route; x-shoal-access names who may call each route.",
    },
    paths,
    components: {
      securitySchemes: {
        clientCertificate: {
          type: "mutualTLS",
          description:
            "A certificate the cluster's CA issued: a user's bundle (shoal cluster user create), a node's certificate",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "shoal_session",
          description: "The dashboard's session, opened with a user's access token (POST /v1/session)",
        },
      },
    },
  };
}

/** Who may call a route, in the words of the OpenAPI document. */
const ACCESS_TEXT: Record<RouteAccess, string> = {
  public: "Public: anyone may call it; the request carries its own credential.",
  read: "Read: users (admin or read-only), the managers, and root on a manager node (its local socket).",
  admin: "Admin: admin users and root on a manager node (its local socket).",
  self: "Self: a node's own agent or manager certificate; it acts on that node only.",
  manager: "Manager: the manager certificate of a node whose role is manager.",
};

/** The OpenAPI document as committed in docs/api/openapi.json: two-space JSON and a final newline. */
export function openApiText(version: string): string {
  return `${JSON.stringify(openApiDocument(version), null, 2)}\n`;
}
