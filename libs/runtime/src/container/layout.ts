import { join } from "node:path";

/**
 * Where the runtime keeps things. Durable state lives under the data dir (survives reboots); what only makes
 * sense while the host is up (runc state, pid and exit files of running containers) lives under the run dir,
 * normally a tmpfs.
 *
 *   <data>/images/...                 image store
 *   <data>/volumes/<name>/_data        named volumes
 *   <data>/containers/<id>/            bundle: config.json, container.json (the record), rootfs/ (overlay
 *                                      mount point), upper/, work/, hosts, hostname, resolv.conf, logs
 *   <run>/runc/                        runc's --root
 *   <run>/containers/<id>/             init.pid, exec pid files
 *   <run>/exits/<id>.json              written by the shim when the container exits
 */
export class RuntimeLayout {
  constructor(
    readonly dataDir: string,
    readonly runDir: string,
  ) {}

  get images(): string {
    return join(this.dataDir, "images");
  }
  get volumes(): string {
    return join(this.dataDir, "volumes");
  }
  get containers(): string {
    return join(this.dataDir, "containers");
  }
  get runcRoot(): string {
    return join(this.runDir, "runc");
  }
  get runContainers(): string {
    return join(this.runDir, "containers");
  }
  get exits(): string {
    return join(this.runDir, "exits");
  }

  container(id: string): string {
    return join(this.containers, id);
  }
  record(id: string): string {
    return join(this.containers, id, "container.json");
  }
  rootfs(id: string): string {
    return join(this.containers, id, "rootfs");
  }
  upper(id: string): string {
    return join(this.containers, id, "upper");
  }
  work(id: string): string {
    return join(this.containers, id, "work");
  }
  logDir(id: string): string {
    return join(this.containers, id, "logs");
  }
  runState(id: string): string {
    return join(this.runContainers, id);
  }
  pidFile(id: string): string {
    return join(this.runContainers, id, "init.pid");
  }
  exitFile(id: string): string {
    return join(this.exits, `${id}.json`);
  }
}
