import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { JoinInfo } from "@shoal/api";
import { MemoryBusHub } from "@shoal/bus";
import { ManualClock, MemoryExecutor, MemoryHost, memoryImage } from "@shoal/runtime/testing";
import type { Agent } from "./agent.js";
import { startAgent } from "./start.js";
import { InvalidTokenError, NotJoinedError } from "./errors.js";
import { quietLog } from "./log.js";
import { MemoryNetwork } from "@shoal/overlay";
import { AgentStateFiles } from "./state-files.js";
import { FakeManager } from "./testing/fake-manager.js";
import { makeTask } from "./testing/tasks.js";
import { eventually } from "./testing/wait.js";
import { localApiCall } from "./testing/local-api-call.js";

/** A managers' API that answers only POST /v1/cluster/join. */
async function joinServer(info: JoinInfo, token: string): Promise<{ addr: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const ok =
        req.method === "POST" &&
        req.url === "/v1/cluster/join" &&
        (JSON.parse(body) as { token?: string }).token === token;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          ok
            ? info
            : { error: { code: "SHOAL_ERR_INVALID_TOKEN", message: "the join token is not valid for this cluster" } },
        ),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    addr: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

test("agent: the first start joins through the managers' API and stores it; the local API serves info, images and leave", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-api-"));
  const hub = new MemoryBusHub();
  const info: JoinInfo = {
    clusterId: "c1",
    role: "worker",
    natsUrls: ["nats://127.0.0.1:1"],
    natsToken: "bus",
    managers: ["127.0.0.1:1"],
    joinToken: "tok",
  };
  const manager = new FakeManager(hub.connect(), { clusterId: "c1", joinToken: "tok" });
  const api = await joinServer(info, "tok");
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
  const base = {
    dataDir: path.join(dir, "data"),
    runDir: path.join(dir, "run"),
    hostname: "node-a",
    executor,
    network,
    log: quietLog,
    requestTimeoutMs: 200,
    statusFlushMs: 20,
  };

  await assert.rejects(startAgent({ ...base, bus: hub.connect() }), NotJoinedError);
  await assert.rejects(
    startAgent({ ...base, bus: hub.connect(), join: { managers: [api.addr], token: "wrong" } }),
    InvalidTokenError,
  );
  agent = await startAgent({ ...base, bus: hub.connect(), join: { managers: [api.addr], token: "tok" } });
  assert.deepEqual(await new AgentStateFiles(path.join(base.dataDir, "agent")).readJoin(), info);
  const nodeId = agent.nodeId ?? "";
  manager.assign(nodeId, makeTask("t1"));
  await manager.until(() => manager.tasks.get("t1")?.status.state === "running", "t1 running");

  const sock = path.join(base.runDir, "agent.sock");
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
  assert.equal(existsSync(path.join(base.dataDir, "agent")), false, "agent state deleted");
  await eventually(() => !existsSync(sock), "socket removed");
});
