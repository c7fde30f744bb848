import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { closePrivately, listenPrivately } from "../private-socket.js";
import { callerBy, type CallerHookOptions } from "./caller.js";

/** Where a manager serves its local API, and the node it runs on. */
export interface LocalSocket {
  /** The socket's path, `<runDir>/manager.sock` (docs/design/trust.md §4.3). */
  readonly path: string;
  /** The manager's node: callers on the socket are root on this node. */
  readonly nodeId: string;
}

/**
 * Serves `app` also on a Unix socket that only root may open (0600, in place only once it has that mode: it is
 * bound in a private directory, then renamed), so root on a manager node is an admin of the cluster with no
 * certificate, as root is with `docker.sock` on a Swarm manager (root there can read the CA key anyway). The
 * socket listens once the app is ready and goes away with it. `wrap` turns the app's caller resolution into one
 * that makes every request of the socket the local caller.
 */
export function serveLocalSocket(
  app: FastifyInstance,
  o: LocalSocket,
): { wrap(inner: CallerHookOptions | undefined): CallerHookOptions } {
  const sockets = new WeakSet<Socket>();
  let server: Server | undefined;
  app.addHook("onReady", async () => {
    const s = createServer((req, res) => app.routing(req, res));
    s.on("connection", (socket) => sockets.add(socket));
    server = s;
    await listenPrivately(s, o.path);
  });
  app.addHook("onClose", async () => {
    if (server) await closePrivately(server, o.path);
  });
  return {
    wrap: (inner) => ({
      resolve: (req) => (sockets.has(req.raw.socket) ? { kind: "local", nodeId: o.nodeId } : callerBy(inner, req)),
    }),
  };
}
