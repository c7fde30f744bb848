import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { mergeEnv, resolveUser, type ResolvedUser } from "../bundle/index.js";
import type { ContainerRecord } from "../container/record.js";
import { ExecTimeoutError, InvalidSpecError, InvalidStateError } from "../errors.js";
import type { ExecResult, ExecSpec } from "../types.js";
import type { LifecycleContext } from "./lifecycle-context.js";

/**
 * Runs `spec.cmd` in running container `id` with `runc exec`, as the container's user unless `spec.user` names
 * another (resolved in the container's own /etc/passwd and /etc/group), with its env plus `spec.env`. With
 * `timeoutMs`, a command still running then is killed and ExecTimeoutError thrown.
 */
export async function execInContainer(
  ctx: Pick<LifecycleContext, "layout" | "runc" | "records">,
  id: string,
  spec: ExecSpec,
): Promise<ExecResult> {
  const rec = ctx.records.get(id);
  if (rec.status !== "running")
    throw new InvalidStateError(
      id,
      rec.status,
      `runtime: cannot exec in container ${id}: it is ${rec.status}, not running`,
    );
  if (!Array.isArray(spec.cmd) || spec.cmd.length === 0)
    throw new InvalidSpecError("cmd", "give the command to run as a non-empty list");
  const user = await execUser(ctx.layout.rootfs(id), rec, spec.user);
  const pidFile = join(ctx.layout.runState(id), `exec-${randomBytes(6).toString("hex")}.pid`);
  const { child, done } = ctx.runc.exec(id, {
    args: spec.cmd,
    env: mergeEnv([...rec.env, ...(spec.env ?? [])]),
    user: `${user.uid}:${user.gid}`,
    additionalGids: user.additionalGids,
    cwd: spec.workdir ?? rec.cwd,
    pidFile,
    ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}),
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  if (spec.timeoutMs !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      // Kill the process inside the container (runc exec cannot pass SIGKILL on), then runc itself.
      void readFile(pidFile, "utf8")
        .then((p) => process.kill(Number(p), "SIGKILL"))
        .catch(() => {})
        .finally(() => child.kill("SIGKILL"));
    }, spec.timeoutMs);
  }
  try {
    const r = await done;
    if (timedOut) throw new ExecTimeoutError(id, spec.timeoutMs ?? 0);
    return r;
  } finally {
    clearTimeout(timer);
    await rm(pidFile, { force: true });
  }
}

/** Who an exec runs as: `user` resolved in the mounted rootfs, or else the container's own user. */
async function execUser(rootfs: string, rec: ContainerRecord, user: string | undefined): Promise<ResolvedUser> {
  if (!user) return { uid: rec.uid, gid: rec.gid, additionalGids: rec.additionalGids };
  return resolveUser(
    user,
    await readFile(join(rootfs, "etc/passwd"), "utf8").catch(() => undefined),
    await readFile(join(rootfs, "etc/group"), "utf8").catch(() => undefined),
  );
}
