import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../main.js";
import { captureIo } from "../testing/fake-server.js";

test("shoal manager on an autolocked data dir waits locked on its socket, and SIGTERM stops it with exit 0", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-cli-locked-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, "data");
  const runDir = join(dir, "run");
  mkdirSync(join(dataDir, "manager"), { recursive: true });
  writeFileSync(join(dataDir, "manager", "manager.json"), JSON.stringify({ clusterId: "c1", raftId: 1, nodeId: "n1" }));
  // A data key wrapped with an unlock key the test never gives.
  const envelope = {
    alg: "hkdf-sha256/aes-256-gcm",
    salt: Buffer.alloc(16, 1).toString("base64"),
    nonce: Buffer.alloc(12, 2).toString("base64"),
    data: Buffer.alloc(48, 3).toString("base64"),
  };
  const keys = {
    version: 1,
    kek: { id: "abcd1234", createdAt: "2026-12-01T00:00:00.000Z" },
    dek: { id: "0011223344556677", wrapped: envelope },
  };
  writeFileSync(join(dataDir, "manager", "keys.json"), JSON.stringify(keys), { mode: 0o600 });
  const socket = join(runDir, "manager.sock");
  let stop: (sig: string) => void = () => undefined;
  const io = { ...captureIo(), untilStopped: () => new Promise<string>((resolve) => (stop = resolve)) };
  const ports = ["--api-port", "1", "--raft-port", "2", "--nats-port", "3", "--nats-cluster-port", "4"];
  const run = main(["manager", "--data-dir", dataDir, "--run-dir", runDir, "--listen-addr", "127.0.0.1", ...ports], io);
  for (let i = 0; i < 500 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(existsSync(socket), "the locked manager serves its socket");
  stop("SIGTERM");
  assert.equal(await run, 0);
  assert.match(io.err(), /manager: SIGTERM received before it was ready, stopping/);
  assert.ok(!existsSync(socket), "its socket is gone");
});
