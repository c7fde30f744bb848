import { InUseError, NotFoundError } from "../errors.js";
import type { VolumeService } from "../executor.js";
import type { VolumeInfo } from "../types.js";
import { checkVolumeLabels, checkVolumeName } from "../volume/volume-name.js";

/**
 * The in-memory twin of VolumeStore, with the same rules: Docker's name pattern (InvalidSpecError naming the
 * field), idempotent create (an existing name returns the existing volume), NotFoundError for unknown names,
 * and InUseError while `usersOf(name)` lists containers. Mountpoints are paths under `root` that do not exist.
 */
export class MemoryVolumeService implements VolumeService {
  private readonly volumes = new Map<string, VolumeInfo>();

  constructor(
    private readonly root: string,
    private readonly now: () => number,
    private readonly usersOf: (name: string) => readonly string[],
  ) {}

  async create(name: string, options: { labels?: Record<string, string> } = {}): Promise<VolumeInfo> {
    await Promise.resolve();
    const info = this.createNow(name, options.labels);
    return { ...info, labels: { ...info.labels } };
  }

  /** Synchronous create, for the executor's create (which makes the volumes a spec mounts). */
  createNow(name: string, labels?: Record<string, string>): VolumeInfo {
    checkVolumeName(name);
    const checked = checkVolumeLabels(labels);
    const existing = this.volumes.get(name);
    if (existing) return existing;
    const info: VolumeInfo = {
      name,
      mountpoint: `${this.root}/${name}/_data`,
      createdAt: new Date(this.now()).toISOString(),
      labels: checked,
    };
    this.volumes.set(name, info);
    return info;
  }

  list(): Promise<VolumeInfo[]> {
    const all = [...this.volumes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return Promise.resolve(all.map((v) => ({ ...v, labels: { ...v.labels } })));
  }

  async inspect(name: string): Promise<VolumeInfo> {
    await Promise.resolve();
    checkVolumeName(name);
    const info = this.volumes.get(name);
    if (!info) throw new NotFoundError("volume", name);
    return { ...info, labels: { ...info.labels } };
  }

  async remove(name: string): Promise<void> {
    await Promise.resolve();
    checkVolumeName(name);
    if (!this.volumes.has(name)) throw new NotFoundError("volume", name);
    const users = this.usersOf(name);
    if (users.length > 0) throw new InUseError("volume", name, [...users]);
    this.volumes.delete(name);
  }
}
