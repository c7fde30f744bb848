import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ensureBusyboxTarball } from "@shoal/runtime/testing";
import { FreshNode } from "./fresh-node.js";
import { createConverges, removeService, scaleConverges } from "./scenarios.js";
import { parseNodeList, sshTarget } from "./target.js";
import { API_PORT, REPO } from "./node.js";
import { clusterClient } from "./trust.js";
import { until } from "./until.js";

const run = promisify(execFile);
const STANDIN = fileURLToPath(new URL("../fixtures/systemctl-standin.sh", import.meta.url));
const INSTALL = `${REPO}/infra/install.sh`;
/** What the installer writes: a listing of paths, sizes, modes and mtimes, to compare two runs by. */
const FOOTPRINT =
  "find /opt/shoal /usr/local/bin/shoal /etc/systemd/system/shoal-manager.service /etc/systemd/system/shoal-agent.service -printf '%p %s %m %T@\\n' | sort | md5sum";

describe("infra/install.sh on a fresh Debian 12 node", { timeout: 900_000 }, () => {
  let node: FreshNode | undefined;
  const n = (): FreshNode => {
    if (!node) throw new Error("the node did not start");
    return node;
  };
  const logs = async (): Promise<string> =>
    (await n().exec(["sh", "-c", "tail -n 40 /var/log/shoal-*.service.log"])).stdout;
  // A failing step prints the daemons' output (the units log there under the systemctl stand-in).
  const step = (name: string, fn: () => Promise<void>): void => {
    void test(name, async () => {
      try {
        await fn();
      } catch (e) {
        if (node) console.log(await logs().catch(() => ""));
        throw e;
      }
    });
  };

  let tar = "";
  before(async () => {
    tar = await ensureBusyboxTarball();
    node = await FreshNode.start(`shoal-install-${randomBytes(3).toString("hex")}`);
    // No systemd runs in a container: the stand-in starts the units' ExecStart as systemd would.
    await n().copyIn(STANDIN, "/usr/local/sbin/systemctl");
  });
  const keys = mkdtempSync(join(tmpdir(), "shoal-install-ssh-"));
  after(() => {
    node?.destroy();
    rmSync(keys, { recursive: true, force: true });
  });

  step("refuses a system that is not Debian or Ubuntu, saying which it is", async () => {
    const r = await n().exec([
      "sh",
      "-c",
      `cp /etc/os-release /tmp/os-release && printf 'ID=fedora\\nPRETTY_NAME="Fedora Linux 40"\\n' >/etc/os-release; bash ${INSTALL}; code=$?; cp /tmp/os-release /etc/os-release; exit $code`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^install: unsupported system: Fedora Linux 40\. Shoal installs on Debian/m);
  });

  step("refuses a Node.js older than 20 and says how to get Node 20 without downloading it", async () => {
    const r = await n().exec([
      "sh",
      "-c",
      `mkdir -p /tmp/old && printf '#!/bin/sh\\necho 18\\n' >/tmp/old/node && chmod +x /tmp/old/node && PATH=/tmp/old:$PATH bash ${INSTALL}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Shoal needs Node\.js 20 or newer.*NodeSource.*never downloads Node\.js binaries/s);
  });

  step("installs the packages, the code, the shoal command and the units", async () => {
    const out = await n().execOk(["bash", INSTALL]);
    assert.match(out, /installing Debian packages: .*runc.*nats-server/);
    assert.equal((await n().execOk(["sh", "-c", "command -v shoal"])).trim(), "/usr/local/bin/shoal");
    for (const p of ["runc", "nats-server", "nft", "ip"]) await n().execOk(["sh", "-c", `command -v ${p}`]);
    await n().execOk(["test", "-x", "/opt/shoal/libs/runtime/bin/shoal-shim"]);
    assert.match(await n().execOk(["cat", "/etc/systemd/system/shoal-agent.service"]), /^KillMode=process$/m);
  });

  step("shoal cluster init --systemd starts the units' daemons, and a service's replica runs", async () => {
    await n().execOk([
      "shoal",
      "cluster",
      "init",
      "--systemd",
      "--advertise-addr",
      n().address,
      "--cgroup-parent",
      n().cgroupParent,
    ]);
    // Once up, the units keep only what later starts need: no --init that could form another cluster.
    const env = await n().execOk(["cat", "/etc/shoal/manager.env"]);
    assert.match(env, /^SHOAL_ARGS=".*--advertise-addr /m);
    assert.doesNotMatch(env, /--init/);
    await n().execOk(["systemctl", "is-active", "shoal-manager.service"]);
    await n().execOk(["shoal", "image", "load", "-i", tar]);
    await n().execOk([
      "shoal",
      "service",
      "create",
      "--detach",
      "--name",
      "web",
      "--replicas",
      "1",
      "busybox:latest",
      "sleep",
      "3600",
    ]);
    // From this host, over HTTPS with the bundle the node got at init.
    const fresh = { hostname: n().name, exec: (cmd: readonly string[]) => n().exec(cmd) };
    const api = await clusterClient(fresh, { managers: [`${n().address}:${API_PORT}`] });
    try {
      await until(
        async () =>
          (await api.client.call("taskList", { query: { service: "web" } })).some((t) => t.status.state === "running"),
        120_000,
        "a running task of web",
      );
      // The installed manager serves the dashboard install.sh bundled (or copied).
      const page = await (await api.fetch(`https://${n().address}:${API_PORT}/`)).text();
      assert.doesNotMatch(page, /found no dashboard build/);
      assert.match(page, /<script/);
    } finally {
      await api.close();
    }
  });

  step("a second run changes nothing and succeeds", async () => {
    const before = await n().execOk(["sh", "-c", FOOTPRINT]);
    const out = await n().execOk(["bash", INSTALL]);
    assert.match(out, /nothing to do/);
    assert.equal(await n().execOk(["sh", "-c", FOOTPRINT]), before);
  });

  step("the ssh target drives the installed node: image load over scp, create and scale over ssh", async () => {
    // sshd on the node, and a key of this test's own.
    await n().execOk([
      "sh",
      "-c",
      "apt-get install -y -qq --no-install-recommends openssh-server >/dev/null && mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && /usr/sbin/sshd",
    ]);
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(keys, "key")]);
    await n().copyIn(join(keys, "key.pub"), "/root/.ssh/authorized_keys");
    await n().execOk(["chown", "root:root", "/root/.ssh/authorized_keys"]);
    const t = await sshTarget(
      "ssh",
      parseNodeList(`m:${n().address}`, {
        user: "root",
        key: join(keys, "key"),
        options: ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"],
      }),
    );
    try {
      const image = await t.loadImage(tar);
      await createConverges(t, "over-ssh", image, 1);
      await scaleConverges(t, "over-ssh", 3, 1);
    } finally {
      await removeService(t, "over-ssh");
      await t.destroy();
    }
  });

  step("shoal cluster leave --force stops and disables the units", async () => {
    await n().execOk(["shoal", "cluster", "leave", "--force"]);
    for (const u of ["shoal-manager.service", "shoal-agent.service"]) {
      assert.equal((await n().exec(["systemctl", "is-active", u])).code, 3);
      assert.equal((await n().exec(["systemctl", "is-enabled", u])).code, 1);
    }
    assert.equal((await n().exec(["ls", "/etc/shoal/manager.env"])).code, 2);
  });
});
