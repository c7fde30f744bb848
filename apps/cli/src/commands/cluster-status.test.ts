import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ClusterStatus } from "@shoal/api";
import { contextFile } from "../context.js";
import { main } from "../main.js";
import { captureIo, FakeServer } from "../testing/fake-server.js";

let api: FakeServer;
let host: string;
let dir: string;
let status: ClusterStatus;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-status-"));
  api = new FakeServer();
  // The answer names the cluster's managers, as every manager's answers do.
  api.on("GET", "/v1/cluster/status", () => ({
    status: 200,
    json: status,
    headers: { "x-shoal-managers": `10.0.0.1:7070,${host},10.0.0.3:7070` },
  }));
  host = await api.listen();
  status = {
    source: "leader",
    answeredBy: { raftId: 2, apiAddr: host },
    leaderId: 2,
    leaderApiAddr: host,
    term: 3,
    commitIndex: 9,
    quorum: 2,
    managers: [
      { raftId: 1, apiAddr: "10.0.0.1:7070", role: "voter", leader: false, reachable: true, lag: 0 },
      { raftId: 2, apiAddr: host, role: "voter", leader: true, reachable: true, lag: 0 },
      { raftId: 3, apiAddr: "10.0.0.3:7070", role: "voter", leader: false, reachable: true, lag: 1 },
    ],
  };
});
after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

test("cluster status prints the table or, with --format json, the API object", async () => {
  const io = captureIo();
  assert.equal(await main(["cluster", "status", "--host", host], io), 0, io.err());
  assert.match(
    io.out(),
    /^Leader: 2 at 127\.0\.0\.1:\d+ {3}Term: 3 {3}Commit index: 9 {3}Quorum: 2 of 3 voters\n\nID +API ADDRESS/,
  );
  assert.match(io.out(), /\n2 \* +127\.0\.0\.1:\d+ +voter +Leader +0\n/);
  const json = captureIo();
  assert.equal(await main(["cluster", "status", "--format", "json", "--host", host], json), 0, json.err());
  assert.deepEqual(JSON.parse(json.out()), status);
});

test("a CLI that found its manager in the context file remembers the managers the cluster names", async () => {
  // A first manager that is gone, then the one that answers.
  writeFileSync(contextFile(dir), `${JSON.stringify({ managers: ["127.0.0.1:1", host] })}\n`);
  const io = captureIo();
  assert.equal(await main(["cluster", "status", "--data-dir", dir], io), 0, io.err());
  assert.deepEqual(JSON.parse(readFileSync(contextFile(dir), "utf8")), {
    managers: [host, "10.0.0.1:7070", "10.0.0.3:7070"],
  });
  // Hosts given on the command line leave the file alone.
  writeFileSync(contextFile(dir), `${JSON.stringify({ managers: ["127.0.0.1:1"] })}\n`);
  assert.equal(await main(["cluster", "status", "--data-dir", dir, "--host", host], captureIo()), 0);
  assert.deepEqual(JSON.parse(readFileSync(contextFile(dir), "utf8")), { managers: ["127.0.0.1:1"] });
});
