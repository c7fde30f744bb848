import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { request } from "node:http";
import { HarnessError } from "./errors.js";
import { until } from "./until.js";

/** The Docker daemon's socket the harness talks to. */
export const DOCKER_SOCKET = "/var/run/docker.sock";
/** Where a dockerd the harness starts writes its log. */
export const DOCKERD_LOG = "/var/log/dockerd-harness.log";
/** Label on every container, network and volume the harness creates (value: the cluster's name). */
export const HARNESS_LABEL = "dev.shoal.harness.cluster";

/** Whether the daemon at `socket` answers `GET /_ping`. */
export function dockerPing(socket = DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: "/_ping", method: "GET", timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once("error", () => resolve(false));
    req.once("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Makes sure a Docker daemon answers on {@link DOCKER_SOCKET}: starts `dockerd` in the background (this machine
 * has no init system to do it) when none does, and waits until it answers. The daemon is left running.
 */
export async function ensureDockerd(timeoutMs = 60_000): Promise<void> {
  // Ryuk, testcontainers' reaper, needs an image from a registry; the harness removes what it made itself.
  process.env["TESTCONTAINERS_RYUK_DISABLED"] = "true";
  if (await dockerPing()) return;
  const log = openSync(DOCKERD_LOG, "a");
  let failed: Error | undefined;
  const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] });
  child.once("error", (e) => (failed = e));
  child.unref();
  await until(
    async () => {
      if (failed)
        throw new HarnessError(
          "SHOAL_ERR_HARNESS_DOCKER",
          `harness: cannot start dockerd (${failed.message}); install docker.io (scripts/setup.sh does)`,
          { cause: failed },
        );
      return dockerPing();
    },
    timeoutMs,
    `dockerd to answer on ${DOCKER_SOCKET} (log: ${DOCKERD_LOG})`,
  );
}
