import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { until } from "@shoal/common";
import { quietLog } from "./log.js";

// A promotion on a node whose agent systemd runs: the manager becomes the shoal-manager unit. systemctl is a
// stand-in on the PATH that records its calls and, on restart, writes the pid file as the unit's
// ExecStartPost does; the units' env dir is a temp dir (set before the module reads it).
test("a promoted node whose agent systemd runs gets its manager as the shoal-manager unit, without the join arguments once joined", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-promote-systemd-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [etc, bin, data] = ["etc", "bin", "data"].map((d) => path.join(dir, d)) as [string, string, string];
  for (const d of [etc, bin, data]) mkdirSync(d);
  const calls = path.join(dir, "systemctl.log");
  writeFileSync(
    path.join(bin, "systemctl"),
    `#!/bin/sh\necho "$*" >> "${calls}"\nif [ "$1" = restart ]; then . "${etc}/manager.env"; echo $$ > "$SHOAL_DATA_DIR/manager.pid"; fi\n`,
  );
  chmodSync(path.join(bin, "systemctl"), 0o755);
  writeFileSync(path.join(etc, "agent.env"), `SHOAL_DATA_DIR="${data}"\nSHOAL_ARGS="--data-dir ${data}"\n`);
  const saved = { PATH: process.env.PATH, dir: process.env.SHOAL_SYSTEMD_ENV_DIR };
  process.env.PATH = `${bin}:${process.env.PATH ?? ""}`;
  process.env.SHOAL_SYSTEMD_ENV_DIR = etc;
  t.after(() => {
    process.env.PATH = saved.PATH;
    if (saved.dir === undefined) delete process.env.SHOAL_SYSTEMD_ENV_DIR;
    else process.env.SHOAL_SYSTEMD_ENV_DIR = saved.dir;
  });
  const { startLocalManager } = await import("./local-manager.js");

  const pid = startLocalManager(
    { dataDir: data, cliBin: "/nonexistent/shoal.mjs", advertiseAddr: "10.0.0.9", log: quietLog },
    { managers: ["10.0.0.1:7070"] },
  );
  assert.equal(pid, Number(readFileSync(path.join(data, "manager.pid"), "utf8").trim()));
  assert.deepEqual(readFileSync(calls, "utf8").trim().split("\n"), [
    "enable shoal-manager.service",
    "restart shoal-manager.service",
  ]);
  const env = () => readFileSync(path.join(etc, "manager.env"), "utf8");
  assert.match(
    env(),
    /SHOAL_ARGS="--join 10\.0\.0\.1:7070 --data-dir \S+ --listen-addr 0\.0\.0\.0 --advertise-addr 10\.0\.0\.9"/,
  );
  assert.equal(existsSync(path.join(data, "logs", "manager.log")), false, "no background manager was spawned");

  // It joined (its state exists): the unit keeps only what later starts need.
  mkdirSync(path.join(data, "manager"));
  writeFileSync(path.join(data, "manager", "manager.json"), "{}");
  await until(() => !env().includes("--join"), 5_000, "the join arguments to leave the unit's env file");
  assert.match(env(), /SHOAL_ARGS="--data-dir \S+ --listen-addr 0\.0\.0\.0 --advertise-addr 10\.0\.0\.9"/);
});
