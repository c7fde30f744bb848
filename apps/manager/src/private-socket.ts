import { chmod, mkdir, mkdtemp, rename, rm, unlink } from "node:fs/promises";
import type { Server } from "node:http";
import { dirname, join } from "node:path";

/**
 * Makes `server` listen on the Unix socket `path` with mode 0600 (root only), in place only once it has that
 * mode: it is bound in a private directory beside `path`, chmodded, then renamed over `path` (which replaces a
 * socket file a crash left behind). Used by the manager's local API and by a locked manager's socket.
 */
export async function listenPrivately(server: Server, path: string): Promise<void> {
  const dir = await mkdtemp(join(dirname(path), ".manager-sock-"));
  try {
    const bound = join(dir, "manager.sock");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(bound, () => {
        server.off("error", reject);
        resolve();
      });
    });
    await chmod(bound, 0o600);
    await rename(bound, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Closes a server `listenPrivately` started, with its connections, and removes its socket file. */
export async function closePrivately(server: Server, path: string): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await unlink(path).catch(() => undefined);
}

/** The manager's local socket in `runDir` (made 0755 if missing): `<runDir>/manager.sock`. */
export async function localSocketPath(runDir: string): Promise<string> {
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  return join(runDir, "manager.sock");
}
