import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { detectHostFacts } from "../host-facts.js";
import { detectCgroupLayout } from "../stats/index.js";
import { unpackBusybox, type BusyboxRootfs } from "../testing/busybox.js";
import { removeCgroupTree } from "../testing/runtime-fixture.js";
import type { ContainerSpec } from "../types.js";
import { buildOciConfig } from "./build-config.js";
import { renderHostnameFile, renderHostsFile } from "./etc-files.js";
import type { HostFacts } from "./host-facts.js";
import { mergeWithImage } from "./merge-image.js";
import type { OciConfig } from "./oci-config.js";
import { resolveUser } from "./resolve-user.js";

/** What one foreground container run gave. */
export interface BundleRun {
  config: OciConfig;
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/**
 * Busybox containers run with runc from configs buildOciConfig makes, for tests that prove what the configs do.
 * Everything lives in one temp dir and one cgroup parent; `close` removes it all, also after a failed test.
 */
export interface BundleRunner {
  /** The temp dir all bundles live in; tests may put their own files there. */
  work: string;
  /** The busybox root filesystem every container runs on. */
  rootfs: string;
  host: HostFacts;
  /** Registers a clean-up to run at `close`, before those registered earlier. */
  defer: (cleanup: () => Promise<unknown>) => void;
  /** Runs `script` with busybox sh in the foreground as container `id` (`patch` may replace cmd). */
  run: (id: string, script: string, patch?: Partial<ContainerSpec>) => Promise<BundleRun>;
  /** Removes the containers, their cgroups and the temp dir; throws an AggregateError listing what failed. */
  close: () => Promise<void>;
}

/** Unpacks busybox into a new temp dir named after `prefix` and returns a runner using it. */
export async function openBundleRunner(prefix: string): Promise<BundleRunner> {
  const cgroupParent = `${prefix}-${process.pid}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const work = await fs.mkdtemp(path.join(os.tmpdir(), `${prefix}-`));
  cleanups.push(() => fs.rm(work, { recursive: true, force: true }));
  cleanups.push(() => Promise.resolve(removeCgroupTree(cgroupParent)));
  const close = async () => {
    const errors: unknown[] = [];
    // Last created, first removed: containers before their cgroups, everything before the temp dir.
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => errors.push(e));
    cleanups.length = 0;
    if (errors.length > 0) throw new AggregateError(errors, "bundle test cleanup failed");
  };
  let image: BusyboxRootfs;
  let host: HostFacts;
  try {
    image = await unpackBusybox(work);
    host = await detectHostFacts(await detectCgroupLayout());
  } catch (e) {
    await close();
    throw e;
  }
  const runcRoot = path.join(work, "runc");

  const run = async (id: string, script: string, patch: Partial<ContainerSpec> = {}): Promise<BundleRun> => {
    const spec: ContainerSpec = { id, image: "busybox", cmd: ["sh", "-c", script], ...patch };
    const bundle = path.join(work, id);
    await fs.mkdir(bundle);
    const proc = mergeWithImage(spec, image.config);
    const etcFiles = {
      hosts: path.join(bundle, "hosts"),
      hostname: path.join(bundle, "hostname"),
      resolvConf: path.join(bundle, "resolv.conf"),
    };
    await fs.writeFile(etcFiles.hosts, renderHostsFile({ hostname: proc.hostname ?? "localhost" }));
    await fs.writeFile(etcFiles.hostname, renderHostnameFile(proc.hostname ?? "localhost"));
    await fs.writeFile(etcFiles.resolvConf, "nameserver 127.0.0.1\n");
    const config = buildOciConfig({
      spec,
      process: proc,
      user: resolveUser(proc.user, image.passwd, image.group),
      host,
      rootfsPath: image.rootfs,
      cgroupsPath: `/${cgroupParent}/${id}`,
      etcFiles,
      volumePaths: {},
    });
    await fs.writeFile(path.join(bundle, "config.json"), JSON.stringify(config, null, 2));
    cleanups.push(() => execa("runc", ["--root", runcRoot, "delete", "-f", id], { reject: false }));
    // The timeout only guards against a hung runc; a passing run takes milliseconds.
    const r = await execa("runc", ["--root", runcRoot, "run", "--bundle", bundle, id], {
      reject: false,
      stdin: "ignore",
      timeout: 30_000,
    });
    return { config, stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  };

  return { work, rootfs: image.rootfs, host, defer: (c) => cleanups.push(c), run, close };
}

/** The `key=value` lines of a container's output (lines starting with `mnt ` are left out). */
export function outputFields(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0 && !line.startsWith("mnt ")) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
