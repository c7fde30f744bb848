// `cluster init --autolock` prints the unlock key it sent, once; `cluster init --force-new-cluster` on an
// autolocked manager's state asks for the key and goes on once the manager is unlocked. The daemons are
// stand-ins that answer on their sockets as the real ones do.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { formatUnlockKey, newUnlockKey } from "@shoal/trust";
import { isDaemonAlive } from "../local/processes.js";
import { main } from "../main.js";
import { captureIo } from "../testing/fake-server.js";
import { makeInfo } from "../testing/objects.js";

const TOKENS = {
  worker: `SHLTKN-1-${"1".repeat(50)}-${"1".repeat(25)}`,
  manager: `SHLTKN-1-${"1".repeat(50)}-${"2".repeat(25)}`,
};
const JOIN = { clusterId: "c1", nodeId: "nodea", role: "manager" };

/** The stand-in `shoal`: a manager on its local socket (locked while `locked-with` names a key), an agent. */
const FAKE_BIN = `
import { createServer } from "node:http";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
const [role, ...args] = process.argv.slice(2);
const get = (n) => { const i = args.indexOf("--" + n); return i < 0 ? undefined : args[i + 1]; };
const dataDir = get("data-dir");
const runDir = get("run-dir");
mkdirSync(runDir, { recursive: true });
console.log("fake " + role + " " + args.join(" "));
const send = (res, status, v) => { res.statusCode = status; res.setHeader("content-type", "application/json"); res.end(v === undefined ? undefined : JSON.stringify(v)); };
const body = async (req) => { let s = ""; for await (const c of req) s += c; return s ? JSON.parse(s) : undefined; };
let server;
if (role === "manager") {
  if (args.includes("--init")) {
    mkdirSync(join(dataDir, "agent"), { recursive: true });
    writeFileSync(join(dataDir, "agent", "join.json"), ${JSON.stringify(JSON.stringify(JOIN))});
  }
  const lockFile = join(dataDir, "locked-with");
  let locked = existsSync(lockFile) ? readFileSync(lockFile, "utf8").trim() : undefined;
  server = createServer(async (req, res) => {
    const b = await body(req);
    if (locked) {
      if (req.url !== "/v1/unlock") return send(res, 503, { error: { code: "SHOAL_ERR_LOCKED", message: "manager: locked" } });
      if (b.unlockKey !== locked) return send(res, 401, { error: { code: "SHOAL_ERR_BAD_UNLOCK_KEY", message: "manager: wrong key" } });
      locked = undefined;
      writeFileSync(join(dataDir, "unlocked"), "yes");
      return send(res, 204);
    }
    if (req.url === "/v1/info") return send(res, 200, ${JSON.stringify(makeInfo())});
    if (req.url === "/v1/cluster/join-tokens") return send(res, 200, ${JSON.stringify(TOKENS)});
    if (req.url === "/v1/cluster/autolock") { writeFileSync(join(dataDir, "autolock.json"), JSON.stringify(b)); return send(res, 204); }
    send(res, 404, { error: { code: "SHOAL_ERR_NO_ROUTE", message: "fake: " + req.url } });
  });
  server.listen(join(runDir, "manager.sock"));
} else {
  const { nodeId } = JSON.parse(readFileSync(join(dataDir, "agent", "join.json"), "utf8"));
  server = createServer((_req, res) => send(res, 200, { nodeId }));
  server.listen(join(runDir, "agent.sock"));
}
process.on("SIGTERM", () => { server.close(); process.exit(0); });
`;

let dir: string;
let bin: string;
const pids: { pid: number; role: string }[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-init-autolock-"));
  bin = join(dir, "fake-shoal.mjs");
  writeFileSync(bin, FAKE_BIN);
});
after(() => {
  for (const { pid, role } of pids) if (isDaemonAlive(pid, role)) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `shoal` for node `name` with the stand-in daemons; remembers what it started. */
async function run(name: string, ...argv: string[]) {
  const dataDir = join(dir, name, "data");
  const io = captureIo({ cliBin: bin });
  const code = await main([...argv, "--data-dir", dataDir, "--run-dir", join(dir, name, "run")], io);
  for (const role of ["manager", "agent"]) {
    const f = join(dataDir, `${role}.pid`);
    if (existsSync(f)) pids.push({ pid: Number(readFileSync(f, "utf8")), role });
  }
  return { code, out: io.out(), err: io.err(), dataDir };
}

test("cluster init --autolock sends a new unlock key to its manager and prints it once, after the join commands", async () => {
  const r = await run("n1", "cluster", "init", "--autolock", "--api-port", "17070");
  assert.equal(r.code, 0, r.err);
  const keys = r.out.match(/SHLKEY-1-[0-9a-z]{8}-[0-9a-z]{50}/g) ?? [];
  assert.equal(keys.length, 1, r.out);
  const sent = JSON.parse(readFileSync(join(r.dataDir, "autolock.json"), "utf8")) as object;
  assert.deepEqual(sent, { enabled: true, unlockKey: keys[0] });
  const at = r.out.indexOf("Autolock is on. To unlock a manager after it restarts");
  assert.ok(at > r.out.indexOf(`shoal cluster join --token ${TOKENS.manager}`), r.out);
  assert.match(r.out, /it is shown only now, and no command shows it again/);

  const plain = await run("n2", "cluster", "init", "--api-port", "17080");
  assert.equal(plain.code, 0, plain.err);
  assert.doesNotMatch(plain.out, /SHLKEY|Autolock/);
  assert.ok(!existsSync(join(plain.dataDir, "autolock.json")), "no key sent without --autolock");
  const both = await run("n3", "cluster", "init", "--force-new-cluster", "--autolock");
  assert.equal(both.code, 2);
  assert.match(both.err, /--autolock is for a new cluster/);
});

test("cluster init --force-new-cluster on an autolocked manager's state asks for the key, then goes on", async () => {
  const key = formatUnlockKey(newUnlockKey());
  const dataDir = join(dir, "n4", "data");
  mkdirSync(join(dataDir, "manager"), { recursive: true });
  mkdirSync(join(dataDir, "agent"), { recursive: true });
  writeFileSync(join(dataDir, "manager", "manager.json"), "{}");
  writeFileSync(join(dataDir, "agent", "join.json"), JSON.stringify(JOIN));
  writeFileSync(join(dataDir, "locked-with"), key);
  const wrongFile = join(dir, "wrong-key");
  writeFileSync(wrongFile, formatUnlockKey(newUnlockKey()));
  const wrong = await run("n4", "cluster", "init", "--force-new-cluster", "--unlock-key-file", wrongFile);
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.err,
    /The manager is locked \(autolock\): give the cluster's unlock key to go on\.\nError: manager: wrong key/,
  );
  assert.match(wrong.err, /the manager started for it was stopped: run the command again/);
  const started = pids.filter((x) => x.role === "manager").at(-1);
  assert.ok(started && !isDaemonAlive(started.pid, "manager"), "the locked manager it started was stopped");

  const keyFile = join(dir, "key");
  writeFileSync(keyFile, `${key}\n`);
  const r = await run(
    "n4",
    "cluster",
    "init",
    "--force-new-cluster",
    "--unlock-key-file",
    keyFile,
    "--api-port",
    "17090",
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(readFileSync(join(dataDir, "unlocked"), "utf8"), "yes");
  assert.match(r.err, /The manager is unlocked and serves again\./);
  assert.ok(r.out.startsWith("Cluster re-formed from this node's state"), r.out);
});
