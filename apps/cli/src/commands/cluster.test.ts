import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { ClusterSchema } from "@shoal/api";
import { isDaemonAlive, stopDaemon } from "../local/processes.js";
import { main } from "../main.js";
import { clockSkewWarning } from "./cluster.js";
import { captureIo, FakeServer } from "../testing/fake-server.js";
import { makeInfo, T0, iso } from "../testing/objects.js";
import { joinServerTokens, startJoinServer } from "@shoal/agent/testing";
import { formatDigest, rootDigest } from "@shoal/trust";
import { testCa } from "@shoal/trust/testing";

const info = makeInfo();
// The managers' join route is an in-process HTTPS one that signs with a test CA, so the CLI's checks of the
// manager and of the answer run for real.
const CA = await testCa("c1");
const DIGEST = formatDigest(rootDigest(CA.root.cert));
const { worker: WRK, manager: MGR } = joinServerTokens(CA);
// The stand-in manager serves HTTPS with a manager certificate of the test CA, as a real one does.
const MANAGER_TLS = await CA.manager("nodea", ["127.0.0.1"]);
const FIRST_JOIN = {
  clusterId: "c1",
  nodeId: "nodea",
  role: "manager",
  certificate: "",
  trust: CA.trust.join(""),
  natsUrls: ["nats://x:1"],
  managers: ["x:2"],
  time: iso(T0),
};
const JOIN_BASE = (role: "worker" | "manager") => ({
  clusterId: "c1",
  nodeId: role === "manager" ? "nodea" : "nodew",
  natsUrls: ["nats://x:1"],
  managers: ["x:2"],
});
const cluster = ClusterSchema.parse({
  id: "c1",
  version: 1,
  createdAt: iso(T0),
  updatedAt: iso(T0),
  spec: {},
  ca: { rootDigests: [DIGEST] },
});

/** A stand-in for the `shoal` script: `manager` answers the API, `agent` its socket, as the real daemons do. */
const FAKE_BIN = `
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
const [role, ...args] = process.argv.slice(2);
const get = (n) => { const i = args.indexOf("--" + n); return i < 0 ? undefined : args[i + 1]; };
console.log("fake " + role + " " + args.join(" "));
const json = (res, v) => { res.setHeader("content-type", "application/json"); res.end(JSON.stringify(v)); };
let server;
if (role === "manager") {
  const answers = { "/v1/info": ${JSON.stringify(info)}, "/v1/cluster": ${JSON.stringify(cluster)}, "/v1/cluster/join-tokens": { worker: ${JSON.stringify(WRK)}, manager: ${JSON.stringify(MGR)} } };
  // A new cluster's manager writes its node's trust bundle and agent join, as the real one does.
  if (args.includes("--init") || args.includes("--force-new-cluster")) {
    mkdirSync(join(get("data-dir"), "certificates"), { recursive: true });
    writeFileSync(join(get("data-dir"), "certificates", "trust.pem"), ${JSON.stringify(CA.trust.join(""))});
    mkdirSync(join(get("data-dir"), "agent"), { recursive: true });
    writeFileSync(join(get("data-dir"), "agent", "join.json"), ${JSON.stringify(JSON.stringify(FIRST_JOIN))});
  }
  const tls = { cert: ${JSON.stringify([...MANAGER_TLS.chain, ...CA.trust].join(""))}, key: ${JSON.stringify(MANAGER_TLS.key)} };
  const answer = (req, res) => answers[req.url] ? json(res, answers[req.url]) : (res.statusCode = 404, res.end());
  server = createHttpsServer(tls, answer);
  server.listen(Number(get("api-port")), "127.0.0.1");
  // Root on the node calls through the manager's local socket.
  mkdirSync(get("run-dir"), { recursive: true });
  const local = createHttpServer(answer);
  local.listen(join(get("run-dir"), "manager.sock"));
  const close = server.close.bind(server);
  server.close = () => { local.close(); close(); };
} else {
  const joinFile = join(get("data-dir"), "agent", "join.json");
  if (!existsSync(joinFile)) { console.error("Error: this node has not joined a cluster"); process.exit(1); }
  const { nodeId } = JSON.parse(readFileSync(joinFile, "utf8"));
  mkdirSync(get("run-dir"), { recursive: true });
  server = createHttpServer((req, res) => {
    if (req.url === "/v1/leave") { writeFileSync(join(get("data-dir"), "left"), "yes"); return json(res, {}); }
    json(res, { nodeId });
  });
  server.listen(join(get("run-dir"), "agent.sock"));
}
process.on("SIGTERM", () => { server.close(); process.exit(0); });
`;

let dir: string;
let bin: string;
const started: { pid: number; role: string }[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-cluster-"));
  bin = join(dir, "fake-shoal.mjs");
  writeFileSync(bin, FAKE_BIN);
});
after(() => {
  for (const { pid, role } of started) if (isDaemonAlive(pid, role)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Remembers the daemons a command started, so they are killed even if the test fails. */
function track(dataDir: string): void {
  for (const role of ["manager", "agent"]) {
    const f = join(dataDir, `${role}.pid`);
    if (existsSync(f)) started.push({ pid: Number(readFileSync(f, "utf8")), role });
  }
}

const run = async (name: string, ...argv: string[]) => {
  const dataDir = join(dir, name, "data");
  const io = captureIo({ cliBin: bin });
  const code = await main([...argv, "--data-dir", dataDir, "--run-dir", join(dir, name, "run")], io);
  track(dataDir);
  return { code, out: io.out(), err: io.err(), dataDir };
};

async function freePort(): Promise<number> {
  const s = new FakeServer();
  const addr = await s.listen();
  await s.close();
  return Number(addr.split(":")[1]);
}

test("cluster init starts a manager and an agent in the background, prints the join commands; leave stops them", async () => {
  const port = await freePort();
  const init = await run("n1", "cluster", "init", "--advertise-addr", "10.1.2.3", "--api-port", String(port));
  assert.equal(init.code, 0, init.err);
  assert.ok(init.out.startsWith("Cluster initialized: this node is now a manager (node nodea).\n"), init.out);
  assert.ok(init.out.includes(`    shoal cluster join --token ${WRK} 10.1.2.3:${port}\n`), init.out);
  assert.ok(init.out.includes(`    shoal cluster join --token ${MGR} 10.1.2.3:${port}\n`), init.out);
  assert.match(
    readFileSync(join(init.dataDir, "logs", "manager.log"), "utf8"),
    new RegExp(
      `^fake manager --init --data-dir \\S+ --run-dir \\S+ --listen-addr 0\\.0\\.0\\.0 --advertise-addr 10\\.1\\.2\\.3 --api-port ${port} `,
    ),
  );
  // The new cluster's manager wrote the join of its own node: the agent gets no token.
  assert.doesNotMatch(readFileSync(join(init.dataDir, "logs", "agent.log"), "utf8"), /--token|--join/);
  assert.deepEqual(JSON.parse(readFileSync(join(init.dataDir, "context.json"), "utf8")), {
    managers: [`127.0.0.1:${port}`],
  });
  const [managerPid, agentPid] = ["manager", "agent"].map((r) =>
    Number(readFileSync(join(init.dataDir, `${r}.pid`), "utf8")),
  );

  const again = await run("n1", "cluster", "init", "--api-port", String(port));
  assert.equal(again.code, 1);
  assert.match(again.err, /^Error: a manager already runs for this data dir \(manager pid \d+/);

  const refused = await run("n1", "cluster", "leave");
  assert.equal(refused.code, 1);
  assert.match(
    refused.err,
    /^Error: this node is the cluster's only manager; leaving removes the cluster's state: use --force\n/,
  );

  const leave = await run("n1", "cluster", "leave", "--force");
  assert.equal(leave.code, 0, leave.err);
  assert.equal(leave.out, "Node left the cluster.\n");
  assert.equal(readFileSync(join(leave.dataDir, "left"), "utf8"), "yes", "the agent was asked to leave");
  assert.equal(isDaemonAlive(managerPid as number, "manager"), false);
  assert.equal(isDaemonAlive(agentPid as number, "agent"), false);
  assert.equal(existsSync(join(leave.dataDir, "manager.pid")), false);
  assert.equal(existsSync(join(leave.dataDir, "agent.pid")), false);
  assert.equal(existsSync(join(leave.dataDir, "context.json")), false);
  assert.equal(existsSync(join(leave.dataDir, "certificates")), false, "the node's key and certificate are removed");
  assert.equal(existsSync(join(leave.dataDir, "logs", "manager.log")), true, "logs are kept");
});

/** A manager's join route: the in-process one, which signs with the test CA (401 for any other token). */
async function joinServer(t: TestContext, tamper: Parameters<typeof startJoinServer>[2] = {}): Promise<string> {
  const server = await startJoinServer(CA, JOIN_BASE, tamper);
  t.after(() => server.close());
  return server.addr;
}

test("cluster join with a malformed token says what is wrong with it and sends nothing, exit 1", async (t) => {
  const manager = await joinServer(t);
  const r = await run("n2", "cluster", "join", "--token", "WRONG", manager);
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: the join token is malformed: it must start with SHLTKN-/);
  assert.equal(existsSync(join(r.dataDir, "agent.pid")), false);
});

test("cluster join with another cluster's token is refused before the token is sent, exit 1", async (t) => {
  const manager = await joinServer(t);
  const r = await run("n2b", "cluster", "join", "--token", WRK.replace(DIGEST, "2".repeat(50)), manager);
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: join: the token does not belong to the cluster at .*so the token was not sent/);
  assert.equal(existsSync(join(r.dataDir, "agent.pid")), false);
});

test("cluster join with a token of this CA but a wrong secret shows the manager's refusal, exit 1", async (t) => {
  const manager = await joinServer(t);
  const r = await run(
    "n2c",
    "cluster",
    "join",
    "--token",
    `${WRK.slice(0, -1)}${WRK.endsWith("0") ? "1" : "0"}`,
    manager,
  );
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: the join token is not valid for this cluster/);
  assert.equal(existsSync(join(r.dataDir, "certificates")), false, "nothing saved");
});

test("cluster join starts the agent and reports the node; leave as a worker needs no --force", async (t) => {
  const manager = await joinServer(t);
  const r = await run("n3", "cluster", "join", "--token", WRK, "--label", "zone=a", manager);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "This node joined the cluster as a worker (node nodew).\n");
  const agentLog = readFileSync(join(r.dataDir, "logs", "agent.log"), "utf8");
  assert.match(agentLog, /--label zone=a/);
  assert.doesNotMatch(agentLog, /--token/, "the agent gets no token: the CLI joined");
  assert.ok(existsSync(join(r.dataDir, "certificates", "agent.crt")));
  const twice = await run("n3", "cluster", "join", "--token", WRK, manager);
  assert.equal(twice.code, 1);
  assert.match(twice.err, /already part of a cluster/);
  const leave = await run("n3", "cluster", "leave");
  assert.equal(leave.code, 0, leave.err);
  const notIn = await run("n3", "cluster", "leave");
  assert.equal(notIn.code, 1);
  assert.match(notIn.err, /this node is not part of a cluster/);
});

test("cluster join names a clock more than a minute off the leader's", async (t) => {
  const early = <T extends { time: string }>(a: T): T => ({
    ...a,
    time: new Date(Date.parse(a.time) - 5 * 60_000).toISOString(),
  });
  const manager = await joinServer(t, { answer: (a) => early(a) });
  const r = await run("n3s", "cluster", "join", "--token", WRK, manager);
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /^Warning: this machine's clock is 300 s ahead of the cluster leader's;.*set the clock \(NTP\)\n/,
  );
  assert.equal((await run("n3s", "cluster", "leave")).code, 0);
  assert.equal(clockSkewWarning(0, 59_000), undefined, "a minute is fine");
  assert.match(clockSkewWarning(120_000, 0) ?? "", /120 s behind/);
});

test("cluster join --token-file reads the token from a file, kept out of the process list", async (t) => {
  const manager = await joinServer(t);
  const file = join(dir, "worker.token");
  writeFileSync(file, `${WRK}\n`, { mode: 0o600 });
  const both = await run("n3f", "cluster", "join", "--token", WRK, "--token-file", file, manager);
  assert.equal(both.code, 2);
  assert.match(both.err, /--token or --token-file, not both/);
  const missing = await run("n3f", "cluster", "join", "--token-file", join(dir, "nope"), manager);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /^Error: cannot read the join token from \S+nope/);
  writeFileSync(join(dir, "empty.token"), "\n");
  const empty = await run("n3f", "cluster", "join", "--token-file", join(dir, "empty.token"), manager);
  assert.equal(empty.code, 1);
  assert.match(empty.err, /holds no join token/);
  const r = await run("n3f", "cluster", "join", "--token-file", file, manager);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "This node joined the cluster as a worker (node nodew).\n");
  assert.equal((await run("n3f", "cluster", "leave")).code, 0);
});

test("cluster join without --token is a usage error", async () => {
  const r = await run("n4", "cluster", "join", "10.1.2.3:7070");
  assert.equal(r.code, 2);
  assert.match(r.err, /--token is required/);
});

test("cluster init --force-new-cluster refuses a data dir without a manager's state", async () => {
  const r = await run("n5", "cluster", "init", "--force-new-cluster");
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^Error: \S+ holds no manager state: there is nothing to recover\n.*start a new cluster with `shoal cluster init`/,
  );
  assert.equal(existsSync(join(r.dataDir, "manager.pid")), false, "no manager was started");
});

test("cluster init --force-new-cluster wants the manager stopped, then restarts it with the flag and keeps the running agent", async () => {
  const port = await freePort();
  const init = await run("n6", "cluster", "init", "--advertise-addr", "10.1.2.3", "--api-port", String(port));
  assert.equal(init.code, 0, init.err);
  const running = await run("n6", "cluster", "init", "--force-new-cluster", "--api-port", String(port));
  assert.equal(running.code, 1);
  const managerPid = Number(readFileSync(join(init.dataDir, "manager.pid"), "utf8"));
  assert.match(
    running.err,
    new RegExp(
      `^Error: a manager still runs for this data dir \\(manager pid ${managerPid}, [^]*kill -TERM ${managerPid}`,
    ),
  );

  await stopDaemon(managerPid, "manager");
  // What a real manager leaves in its data dir; the stand-in writes nothing.
  mkdirSync(join(init.dataDir, "manager"), { recursive: true });
  writeFileSync(join(init.dataDir, "manager", "manager.json"), JSON.stringify({ clusterId: "c1", raftId: 1 }));
  const agentPid = Number(readFileSync(join(init.dataDir, "agent.pid"), "utf8"));
  const forced = await run(
    "n6",
    "cluster",
    "init",
    "--force-new-cluster",
    "--advertise-addr",
    "10.1.2.3",
    "--api-port",
    String(port),
  );
  assert.equal(forced.code, 0, forced.err);
  assert.ok(
    forced.out.startsWith("Cluster re-formed from this node's state: this node is now its only manager (node nodea)"),
    forced.out,
  );
  assert.ok(forced.out.includes(`    shoal cluster join --token ${MGR} 10.1.2.3:${port}\n`), forced.out);
  assert.match(
    readFileSync(join(init.dataDir, "logs", "manager.log"), "utf8"),
    new RegExp(
      `\nfake manager --force-new-cluster --data-dir \\S+ --run-dir \\S+ --listen-addr 0\\.0\\.0\\.0 --advertise-addr 10\\.1\\.2\\.3 --api-port ${port} `,
    ),
  );
  assert.equal(Number(readFileSync(join(init.dataDir, "agent.pid"), "utf8")), agentPid, "the running agent was kept");
  assert.equal(
    readFileSync(join(init.dataDir, "logs", "agent.log"), "utf8").match(/fake agent/g)?.length,
    1,
    "no second agent was started",
  );
  assert.equal((await run("n6", "cluster", "leave", "--force")).code, 0);
});
