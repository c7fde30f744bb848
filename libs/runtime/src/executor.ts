import type {
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  ExecResult,
  ExecSpec,
  ExitInfo,
  ImageRecord,
  LogEntry,
  LogReadOptions,
  VolumeInfo,
} from "./types.js";

/** Where an image comes from when loaded from a file. */
export interface ImageLoadResult {
  /** The images the archive held, with the tags it gave them. */
  images: ImageRecord[];
}

/** Images on this node: what the agent needs of the image store. */
export interface ImageService {
  /** Loads a `docker save` or OCI image-layout tarball (plain or gzip-compressed). All or nothing. */
  load(tarball: string): Promise<ImageLoadResult>;
  /** Pulls `ref` from its registry (HTTP API v2, token auth). */
  pull(ref: string, options?: { signal?: AbortSignal }): Promise<ImageRecord>;
  list(): Promise<ImageRecord[]>;
  /** By reference (`busybox`, `busybox:latest`, `name@sha256:...`), full id, or unique id prefix. */
  inspect(ref: string): Promise<ImageRecord>;
  tag(source: string, target: string): Promise<ImageRecord>;
  /**
   * Removes a tag; the image goes when no tag names it any more (or at once when named by id). Refused while a
   * container uses it unless `force`. Returns what was untagged and deleted.
   */
  remove(ref: string, options?: { force?: boolean }): Promise<{ untagged: string[]; deleted: string[] }>;
  /** Deletes images without tags and no container (all unused images with `all`), then unreferenced layers and blobs. */
  prune(options?: {
    all?: boolean;
  }): Promise<{ deletedImages: string[]; deletedLayers: string[]; reclaimedBytes: number }>;
}

/** Named volumes on this node. */
export interface VolumeService {
  create(name: string, options?: { labels?: Record<string, string> }): Promise<VolumeInfo>;
  list(): Promise<VolumeInfo[]>;
  inspect(name: string): Promise<VolumeInfo>;
  /** Refused with InUseError while a container (running or not) mounts it. */
  remove(name: string): Promise<void>;
}

/**
 * The node's container executor: what the agent drives. The real one runs containers with runc
 * (`openRuntime`); `MemoryExecutor` in `./testing` is its in-memory twin.
 *
 * Containers outlive the process that started them: a new Executor on the same data and run dirs re-adopts
 * running containers and learns how the others ended.
 */
export interface Executor {
  readonly images: ImageService;
  readonly volumes: VolumeService;
  /** Prepares rootfs, bundle and log files; the container is `created`, not started. Volumes named are created. */
  create(spec: ContainerSpec): Promise<ContainerInfo>;
  /** Starts a created container; resolves once its process runs. */
  start(id: string): Promise<ContainerInfo>;
  /** Sends a signal (name like `SIGTERM` or `TERM`, or number) to the container's init. */
  kill(id: string, signal: string | number): Promise<void>;
  /** Stop signal, then SIGKILL after the grace period (the spec's unless given); resolves when it has exited. */
  stop(id: string, options?: { graceMs?: number }): Promise<ExitInfo>;
  /** Removes a stopped or created container: runc state, cgroups, rootfs mount, upper dir and logs. `force` stops it first. */
  remove(id: string, options?: { force?: boolean }): Promise<void>;
  inspect(id: string): Promise<ContainerInfo>;
  list(): Promise<ContainerInfo[]>;
  /** Resolves when the container has exited (at once if it already has). */
  wait(id: string, options?: { signal?: AbortSignal }): Promise<ExitInfo>;
  logs(id: string, options?: LogReadOptions): AsyncIterable<LogEntry>;
  stats(id: string): Promise<ContainerStats>;
  exec(id: string, spec: ExecSpec): Promise<ExecResult>;
  /** Subscribes to container events; returns the unsubscribe function. */
  subscribe(listener: (event: ContainerEvent) => void): () => void;
  /** Stops health checkers and watchers; containers keep running. */
  close(): Promise<void>;
}
