// The agent's bus connection against a real nats-server with mutual TLS: it talks on its node's subjects and is
// refused others', and a server that is not a manager of its cluster is refused without ending the process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { subjects, type BusPermissionError } from "@shoal/bus";
import type { TestNatsServer } from "@shoal/bus/testing";
import { certificatePaths, writeCertificateFiles, writeTrustBundle } from "@shoal/trust";
import { testCa, type TestCredentials } from "@shoal/trust/testing";
import { connectAgentBus } from "./bus-connect.js";
import { quietLog, type AgentLog } from "./log.js";
import { eventually } from "./testing/wait.js";
import { clusterNatsServer, connectManagerBus } from "./testing/test-bus.js";

const s = subjects("c1");

/** A nats-server presenting `server`'s certificate, with users for node n1's agent and manager m1. */
async function natsServer(t: TestContext, dir: string, server: TestCredentials): Promise<TestNatsServer> {
  const ca = await testCa("c1");
  const nats = await clusterNatsServer({
    dir,
    server,
    trust: ca.trust,
    clusterId: "c1",
    nodeId: "n1",
    managerId: "m1",
  });
  t.after(() => nats.stop());
  return nats;
}

/** A data dir holding `creds` as the node's agent certificate, and the test CA's trust bundle. */
async function nodeDir(t: TestContext, creds: TestCredentials): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-bus-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const certs = certificatePaths(dir);
  await writeTrustBundle(certs.trust, (await testCa("c1")).trust);
  await writeCertificateFiles(certs.agent, creds.chain, creds.key);
  return dir;
}

const warnings = (into: string[]): AgentLog => ({
  ...quietLog,
  warn: (msg, fields) => into.push(`${msg}: ${String((fields?.error as Error | undefined)?.message)}`),
});

test("agent bus: its node's subjects work over mutual TLS; another node's are refused by the server", async (t) => {
  const ca = await testCa("c1");
  const dir = await nodeDir(t, await ca.agent("n1"));
  const nats = await natsServer(t, dir, await ca.manager("m1", ["127.0.0.1"]));
  const managerDir = await nodeDir(t, await ca.manager("m1"));
  const certs = certificatePaths(managerDir);
  const manager = await connectManagerBus(nats.url, certs.agent, certs.trust, "c1", "manager");
  t.after(() => manager.close());
  manager.subscribe(s.allRegister, (m) => m.respond(Buffer.from(m.reply ?? "")));
  await manager.flush();

  const agent = await connectAgentBus(dir, { clusterId: "c1", nodeId: "n1", natsUrls: [nats.url] }, "n1", warnings([]));
  t.after(() => agent.close());
  const refusals: BusPermissionError[] = [];
  agent.onPermissionError((e) => refusals.push(e));
  // The reply came to the node's own inbox prefix, which the server lets it subscribe to.
  const inbox = Buffer.from(await agent.request(s.register("n1"), Buffer.from("{}"), 2_000)).toString();
  assert.match(inbox, /^shoal\.c1\.inbox\.n1\./);
  await assert.rejects(agent.request(s.register("n2"), Buffer.from("{}"), 2_000), {
    code: "SHOAL_ERR_BUS_PERMISSION",
  });
  agent.subscribe(s.assignments("n2"), () => assert.fail("n2's assignments reached n1"));
  await agent.flush().catch(() => undefined);
  manager.publish(s.assignments("n2"), Buffer.from("{}"));
  await manager.flush();
  await eventually(() => refusals.some((e) => e.subject === s.assignments("n2")), "the refused subscription reported");
});

test("agent bus: a server whose certificate is not a manager of the cluster is refused, logged, and not a crash", async (t) => {
  const ca = await testCa("c1");
  const dir = await nodeDir(t, await ca.agent("n1"));
  // The server presents a certificate of the cluster's CA, but an agent's: not a manager.
  const nats = await natsServer(t, dir, await ca.agent("impostor"));
  const logged: string[] = [];
  const ac = new AbortController();
  const connecting = connectAgentBus(
    dir,
    { clusterId: "c1", nodeId: "n1", natsUrls: [nats.url] },
    "n1",
    warnings(logged),
    ac.signal,
  );
  await eventually(() => logged.length >= 2, "two refused attempts logged", 10_000);
  ac.abort();
  await assert.rejects(connecting, { name: "AbortError" });
  assert.match(logged[0] ?? "", /cannot reach the managers' bus.*shoal:\/\/c1\/node\/impostor\/agent/);
  assert.match(logged[0] ?? "", /any manager of cluster c1/);
});
