import { NotFoundError } from "../errors.js";
import type { RuntimeLayout } from "./layout.js";
import { writeJsonAtomic, type ContainerRecord } from "./record.js";

/**
 * The runtime's containers by id: each one's current record in memory, mirrored in its `container.json`.
 * Answers which containers use an image or a volume (the stores refuse to remove those).
 */
export class RecordTable {
  private readonly records = new Map<string, ContainerRecord>();

  constructor(private readonly layout: RuntimeLayout) {}

  /** The record of `id`; NotFoundError when there is no such container. */
  get(id: string): ContainerRecord {
    const rec = this.records.get(id);
    if (!rec) throw new NotFoundError("container", id);
    return rec;
  }

  /** The record of `id`, or undefined. */
  find(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  /** Whether a container `id` exists. */
  has(id: string): boolean {
    return this.records.has(id);
  }

  /** Makes `rec` the current record in memory only (its file is the caller's business). */
  set(rec: ContainerRecord): void {
    this.records.set(rec.spec.id, rec);
  }

  /** Writes `rec` to its file, then makes it current: a failed write leaves the old record in place. */
  async persist(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.layout.record(rec.spec.id), rec);
    this.records.set(rec.spec.id, rec);
  }

  /** Forgets container `id` (its files are the caller's business). */
  delete(id: string): void {
    this.records.delete(id);
  }

  /** Every container id, in the order they were added. */
  ids(): string[] {
    return [...this.records.keys()];
  }

  /** Every current record, in the order they were added. */
  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  /** The ids of the containers created from image `imageId`. */
  usersOfImage(imageId: string): string[] {
    return this.all()
      .filter((r) => r.imageId === imageId)
      .map((r) => r.spec.id);
  }

  /** The ids of the containers that mount volume `name`. */
  usersOfVolume(name: string): string[] {
    return this.all()
      .filter((r) => r.volumes.includes(name))
      .map((r) => r.spec.id);
  }
}
