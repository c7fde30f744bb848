import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { certificatePaths, readCertificateFiles } from "@shoal/trust";
import { testCa } from "@shoal/trust/testing";
import { MemoryBusHub } from "@shoal/bus";
import { ManualClock, MemoryExecutor, MemoryHost, memoryImage } from "@shoal/runtime/testing";
import type { Agent } from "./agent.js";
import { startAgent } from "./start.js";
import { InvalidTokenError, NotJoinedError } from "./errors.js";
import { quietLog } from "./log.js";
import { MemoryNetwork } from "@shoal/overlay";
import { AgentStateFiles } from "./state-files.js";
import { FakeManager } from "./testing/fake-manager.js";
import { startJoinServer, type JoinAnswerBase } from "./testing/join-server.js";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";
import { localApiCall } from "./testing/local-api-call.js";

test("agent: the first start joins through the managers' API and stores it; the local API serves info, images and leave", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-api-"));
  const hub = new MemoryBusHub();
  const base: JoinAnswerBase = {
    clusterId: "c1",
    nodeId: "n1",
    natsUrls: ["nats://127.0.0.1:1"],
    managers: ["127.0.0.1:1"],
  };
  const manager = new FakeManager(hub.connect(), { clusterId: "c1" });
  const ca = await testCa("c1");
  const api = await startJoinServer(ca, base);
  const host = new MemoryHost({ clock: new ManualClock() });
  host.images.addImage(memoryImage("busybox", { cmd: ["sh"] }));
  const executor = new MemoryExecutor(host);
  const network = new MemoryNetwork();
  let agent: Agent | undefined;
  t.after(async () => {
    await agent?.stop();
    await executor.close();
    manager.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const opts = {
    dataDir: path.join(dir, "data"),
    runDir: path.join(dir, "run"),
    hostname: "node-a",
    executor,
    network,
    log: quietLog,
    requestTimeoutMs: 200,
    statusFlushMs: 20,
  };

  await assert.rejects(startAgent({ ...opts, bus: hub.connect() }), NotJoinedError);
  const wrong = `${api.token.slice(0, -1)}${api.token.endsWith("0") ? "1" : "0"}`;
  await assert.rejects(
    startAgent({ ...opts, bus: hub.connect(), join: { managers: [api.addr], token: wrong } }),
    InvalidTokenError,
  );
  agent = await startAgent({ ...opts, bus: hub.connect(), join: { managers: [api.addr], token: api.token } });
  const stored = await new AgentStateFiles(path.join(opts.dataDir, "agent")).readJoin();
  assert.deepEqual(
    { ...stored, certificate: "", trust: "", time: "" },
    { ...base, role: "worker", certificate: "", trust: "", time: "" },
  );
  const certs = certificatePaths(opts.dataDir);
  assert.equal(statSync(certs.agent.key).mode & 0o777, 0o600, "the node's key is private");
  assert.equal((await readCertificateFiles(certs.agent)).certificates[0]?.subject.includes("CN=n1"), true);
  const nodeId = agent.nodeId ?? "";
  manager.assign(nodeId, makeTask("t1"));
  await manager.until(() => manager.tasks.get("t1")?.status.state === "running", "t1 running");

  const sock = path.join(opts.runDir, "agent.sock");
  assert.equal(statSync(sock).mode & 0o777, 0o600);
  assert.deepEqual((await localApiCall(sock, "GET", "/v1/info")).json, {
    nodeId,
    hostname: "node-a",
    clusterId: "c1",
    connected: true,
    tasks: 1,
    containers: 1,
  });
  const images = (await localApiCall(sock, "GET", "/v1/images")).json as { repoTags: string[] }[];
  assert.deepEqual(
    images.map((i) => i.repoTags),
    [["docker.io/library/busybox:latest"]],
  );

  // The in-memory image store loads JSON fixtures in place of tarballs; the route streams the body either way.
  const fixture = JSON.stringify({ images: [memoryImage("app:1")] });
  const loaded = await localApiCall(sock, "POST", "/v1/images/load", { type: "application/x-tar", data: fixture });
  assert.equal(loaded.status, 200);
  assert.deepEqual((loaded.json as { loaded: string[] }).loaded, ["docker.io/library/app:1"]);
  const noBody = await localApiCall(sock, "POST", "/v1/images/load", { type: "application/json", data: "{}" });
  assert.equal(noBody.status, 400);

  const inUse = await localApiCall(sock, "DELETE", "/v1/images/busybox");
  assert.equal(inUse.status, 409);
  assert.equal((inUse.json as { error: { code: string } }).error.code, "SHOAL_ERR_IN_USE");
  const missing = await localApiCall(sock, "DELETE", "/v1/images/nope");
  assert.equal(missing.status, 404);
  assert.match((missing.json as { error: { message: string } }).error.message, /nope/);
  assert.equal((await localApiCall(sock, "DELETE", "/v1/images/app:1")).status, 200);

  const left = await localApiCall(sock, "POST", "/v1/leave");
  assert.deepEqual(left.json, { left: true });
  assert.equal(await agent.done, undefined);
  agent = undefined;
  assert.equal(host.containers.size, 0, "task containers removed");
  assert.deepEqual(await network.attachments(), []);
  assert.equal(existsSync(path.join(opts.dataDir, "agent")), false, "agent state deleted");
  assert.equal(existsSync(certificatePaths(opts.dataDir).agent.key), false, "the node's key deleted");
  await eventually(() => !existsSync(sock), "socket removed");
});
