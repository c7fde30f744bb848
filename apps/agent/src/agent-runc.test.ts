import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { certificatePaths, writeCertificateFiles, writeTrustBundle } from "@shoal/trust";
import { testCa } from "@shoal/trust/testing";
import { ensureBusyboxTarball, openTestRuntime, rootSkip } from "@shoal/runtime/testing";
import type { Agent } from "./agent.js";
import { startAgent } from "./start.js";
import { quietLog } from "./log.js";
import { AgentStateFiles } from "./state-files.js";
import { JOIN } from "./testing/agent-harness.js";
import { FakeManager } from "./testing/fake-manager.js";
import { clusterNatsServer, connectManagerBus } from "./testing/test-bus.js";
import { makeTask } from "./testing/tasks.js";
import { localApiCall } from "./testing/local-api-call.js";

test(
  "agent (runc, nats): a real container keeps running through an agent restart and is adopted, not restarted",
  { skip: rootSkip, timeout: 120_000 },
  async (t) => {
    // Cleanups run last-registered first: the agent before the bus, the bus before nats-server.
    const cleanups: (() => unknown)[] = [];
    t.after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    const dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-runc-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // The managers' bus as it runs: mutual TLS, the node's agent confined to its subjects, a manager with all.
    const ca = await testCa("real");
    const server = await ca.manager("m1", ["127.0.0.1"]);
    const nats = await clusterNatsServer({
      dir,
      server,
      trust: ca.trust,
      clusterId: "real",
      nodeId: JOIN.nodeId,
      managerId: "m1",
    });
    cleanups.push(() => nats.stop());
    const url = nats.url;
    const managerCerts = certificatePaths(path.join(dir, "m1"));
    await writeTrustBundle(managerCerts.trust, ca.trust);
    await writeCertificateFiles(managerCerts.manager, server.chain, server.key);
    const bus = await connectManagerBus(url, managerCerts.manager, managerCerts.trust, "real", "test-manager");
    cleanups.push(() => bus.close());
    const manager = new FakeManager(bus, { clusterId: "real", heartbeatPeriodMs: 200 });
    cleanups.push(() => manager.close());

    const fx = await openTestRuntime();
    cleanups.push(() => fx.cleanup());
    const dataDir = path.join(dir, "data");
    const agentCert = await ca.agent(JOIN.nodeId);
    await writeTrustBundle(certificatePaths(dataDir).trust, ca.trust);
    await writeCertificateFiles(certificatePaths(dataDir).agent, agentCert.chain, agentCert.key);
    await new AgentStateFiles(path.join(dataDir, "agent")).writeJoin({
      ...JOIN,
      clusterId: "real",
      natsUrls: [url],
    });
    const options = {
      dataDir,
      runDir: path.join(dir, "run"),
      hostname: "node-r",
      networking: "none" as const,
      log: quietLog,
      requestTimeoutMs: 1_000,
    };

    let agent: Agent | undefined = await startAgent({ ...options, executor: fx.runtime });
    cleanups.push(() => agent?.stop());
    const nodeId = agent.nodeId ?? "";
    manager.assign(nodeId, makeTask("t1", { template: { container: { image: "busybox", args: ["sleep", "3600"] } } }));
    await manager.until(() => manager.tasks.get("t1")?.status.state === "running", "t1 running", 30_000);
    const first = await fx.runtime.inspect("t1");
    assert.equal(first.status, "running");
    assert.equal(first.labels["shoal.node.id"], nodeId);
    const pid = first.pid;
    assert.ok(pid !== undefined && existsSync(`/proc/${pid}`), "a real process");

    // `shoal image load` streams a real image archive through the local socket.
    const sock = path.join(options.runDir, "agent.sock");
    const loaded = await localApiCall(sock, "POST", "/v1/images/load", {
      type: "application/x-tar",
      data: createReadStream(await ensureBusyboxTarball()),
    });
    assert.equal(loaded.status, 200, JSON.stringify(loaded.json));
    assert.ok((loaded.json as { loaded: string[] }).loaded.some((r) => r.includes("busybox")));

    await agent.stop();
    agent = undefined;
    await fx.runtime.close();
    assert.ok(existsSync(`/proc/${pid}`), "the container outlives the agent");

    const updates = manager.updates.length;
    const registrations = manager.registrations.length;
    agent = await startAgent({ ...options, executor: await fx.reopen() });
    await manager.until(() => manager.registrations.length > registrations, "registration after the restart", 10_000);
    assert.equal(agent.nodeId, nodeId);
    assert.deepEqual(manager.registrations.at(-1)?.running, [{ taskId: "t1", state: "running", containerId: "t1" }]);
    const beats = manager.heartbeats;
    await manager.until(() => manager.heartbeats >= beats + 2, "two heartbeats after the full set", 10_000);
    const after = await (await fx.reopen()).inspect("t1");
    assert.equal(after.status, "running");
    assert.equal(after.pid, pid, "the same container, not a restart");
    assert.deepEqual(manager.updates.slice(updates), [], "nothing reported again");
  },
);
