import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NetworkStateError } from "./errors.js";
import { emptyState, readState, writeState, type NetworkState } from "./state-file.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "overlay-state-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a missing state file reads as empty, and a written one reads back the same, with no temp files left", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "sub", "network.json");
  assert.deepEqual(await readState(file, "10.9.0.0/24"), emptyState("10.9.0.0/24"));
  const state: NetworkState = {
    subnet: "10.9.0.0/24",
    pool: { byTask: { a: "10.9.0.2" }, last: "10.9.0.2" },
    tasks: { a: { veth: "vs0123456789abc", ready: true } },
    published: [{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: ["10.9.0.2"] }],
  };
  await writeState(file, state);
  await writeState(file, state);
  assert.deepEqual(await readState(file, "10.9.0.0/24"), state);
  assert.deepEqual(await readdir(join(dir, "sub")), ["network.json"]);
});

test("a state file of another subnet, or a damaged one, is refused with what to do", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "network.json");
  await writeState(file, emptyState("10.9.0.0/24"));
  await assert.rejects(readState(file, "10.8.0.0/24"), (err: unknown) => {
    assert.ok(err instanceof NetworkStateError);
    assert.equal(err.code, "SHOAL_ERR_NETWORK_STATE");
    assert.match(err.message, /written for subnet 10\.9\.0\.0\/24, not 10\.8\.0\.0\/24; tear the network down/);
    return true;
  });
  await writeFile(file, "{not json");
  await assert.rejects(readState(file, "10.9.0.0/24"), /is not JSON/);
  await writeFile(
    file,
    JSON.stringify({
      version: 1,
      subnet: "10.9.0.0/24",
      pool: { byTask: {} },
      tasks: { a: { veth: "x" } },
      published: [],
    }),
  );
  await assert.rejects(readState(file, "10.9.0.0/24"), /is not a version 1 network state/);
});
