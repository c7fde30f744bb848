import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { cgroupDirs, cgroupLayoutFrom, parseCgroupMounts } from "./cgroup-layout.js";

/** A hybrid host with separate cpu and cpuacct hierarchies and a controller-less v2 hierarchy. */
const HYBRID_SPLIT = `22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** A systemd hybrid host: joint cpu,cpuacct, a subtree mount of memory elsewhere, optional fields present. */
const HYBRID_JOINT = `25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
90 80 0:31 /docker/abc /mnt/mem rw,relatime - cgroup cgroup rw,memory
31 25 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory
`;

/** A pure v2 host. */
const PURE_V2 = `25 24 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

describe("parseCgroupMounts and cgroupLayoutFrom", () => {
  it("maps each v1 controller of a hybrid host to its mountpoint; the empty v2 hierarchy does not count", () => {
    const mounts = parseCgroupMounts(HYBRID_SPLIT);
    assert.equal(mounts.unified, "/sys/fs/cgroup/unified");
    const layout = cgroupLayoutFrom(mounts, "hugetlb\n");
    assert.deepEqual(layout, {
      version: 1,
      controllers: {
        cpu: "/sys/fs/cgroup/cpu",
        cpuacct: "/sys/fs/cgroup/cpuacct",
        memory: "/sys/fs/cgroup/memory",
        pids: "/sys/fs/cgroup/pids",
      },
    });
  });

  it("puts a joint cpu,cpuacct mount under both names and prefers a mount of the hierarchy's root", () => {
    const layout = cgroupLayoutFrom(parseCgroupMounts(HYBRID_JOINT), "");
    assert.deepEqual(layout?.controllers, {
      cpu: "/sys/fs/cgroup/cpu,cpuacct",
      cpuacct: "/sys/fs/cgroup/cpu,cpuacct",
      memory: "/sys/fs/cgroup/memory",
    });
  });

  it("is version 2 when the unified hierarchy has controllers and no v1 hierarchy is mounted", () => {
    const layout = cgroupLayoutFrom(parseCgroupMounts(PURE_V2), "cpuset cpu io memory pids\n");
    assert.equal(layout?.version, 2);
    assert.equal(layout?.controllers["memory"], "/sys/fs/cgroup");
    assert.equal(layout?.controllers["pids"], "/sys/fs/cgroup");
    assert.equal(cgroupLayoutFrom(parseCgroupMounts(PURE_V2), ""), undefined, "a v2 hierarchy without controllers");
  });

  it("decodes octal escapes in mountpoints", () => {
    const mounts = parseCgroupMounts("40 31 0:37 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n");
    assert.equal(mounts.v1["pids"], "/mnt/my cgroups");
  });
});

describe("cgroupDirs", () => {
  it("joins runc's cgroupsPath under each controller's mountpoint", () => {
    const layout = cgroupLayoutFrom(parseCgroupMounts(HYBRID_SPLIT), undefined);
    assert.ok(layout);
    const dirs = cgroupDirs(layout, "/shoal/c1");
    assert.equal(dirs["memory"], "/sys/fs/cgroup/memory/shoal/c1");
    assert.equal(dirs["cpuacct"], "/sys/fs/cgroup/cpuacct/shoal/c1");
  });

  for (const bad of ["shoal/c1", "/shoal/../etc", "/shoal//c1", "/", "/shoal/c1/"]) {
    it(`refuses the cgroupsPath ${JSON.stringify(bad)}`, () => {
      const layout = { version: 2 as const, controllers: { memory: "/sys/fs/cgroup" } };
      assert.throws(
        () => cgroupDirs(layout, bad),
        (err: unknown) => err instanceof InvalidSpecError && err.field === "linux.cgroupsPath",
      );
    });
  }
});
