import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Where the built dashboard is: the dashboard package's `dist/web`, or undefined when the package is absent. */
export function defaultDashboardDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("@shoal/dashboard/package.json")), "dist", "web");
  } catch {
    return undefined;
  }
}

/**
 * The page itself may only load what the manager serves and call this origin: a dashboard that carries the
 * user's credentials must not run scripts from anywhere else or be framed by another site.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * Serves the web dashboard at `/`: index.html (never cached, so a new build shows at once) and its hashed
 * assets under `/assets/` (cached for good). Without a build, `/` answers a page that says how to make one.
 */
export async function registerDashboard(app: FastifyInstance, dir: string | undefined): Promise<void> {
  if (!dir || !existsSync(join(dir, "index.html"))) {
    app.get("/", (_req, reply) =>
      reply
        .status(503)
        .type("text/html; charset=utf-8")
        .send(
          `<!doctype html><html lang="en"><meta charset="utf-8"><title>Shoal</title><h1>The dashboard is not built</h1>` +
            `<p>This manager found no dashboard build${dir ? ` in <code>${escapeHtml(dir)}</code>` : ""}. In the Shoal checkout, run ` +
            `<code>npm run build -w @shoal/dashboard</code> (or <code>bash scripts/setup.sh</code>), then reload this page.</p>` +
            `<p>The API works without it: see <a href="/docs">/docs</a>.</p></html>`,
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: "/",
    wildcard: false,
    index: ["index.html"],
    decorateReply: false,
    setHeaders: (reply, path) => {
      if (path.endsWith(".html")) {
        void reply.header("cache-control", "no-cache");
        void reply.header("content-security-policy", DASHBOARD_CSP);
        void reply.header("x-content-type-options", "nosniff");
        void reply.header("referrer-policy", "same-origin");
      } else {
        void reply.header("cache-control", "public, max-age=31536000, immutable");
      }
    },
  });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
