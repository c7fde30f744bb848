import type { ContainerRecord } from "./record.js";

/** A created container's record for unit tests (busybox, root, no volumes); `patch` overrides fields. */
export function testRecord(id: string, patch: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    spec: { id, image: "busybox" },
    imageId: "sha256:1",
    args: ["sh"],
    cgroupsPath: `/shoal/${id}`,
    stopSignal: 15,
    stopGracePeriodMs: 10_000,
    env: [],
    uid: 0,
    gid: 0,
    additionalGids: [],
    cwd: "/",
    status: "created",
    createdAt: "2026-01-01T00:00:00.000Z",
    volumes: [],
    ...patch,
  };
}
