#!/usr/bin/env node
// The Raft demo: three voters as separate processes on loopback, each with its own write-ahead log. Writes
// through the leader, kills the leader with SIGKILL, times the election and the first accepted write, restarts
// the killed member, and reads every acknowledged write back from each of the three.
import { KvClient, startKvCluster } from "../libs/raft/dist/testing/index.js";

const say = (s) => console.log(`demo: ${s}`);
const ms = (t) => `${(performance.now() - t).toFixed(0)} ms`;

// Writing the same value twice is harmless, so a write whose answer was lost (the connection to a killed
// leader) is simply sent again until it is acknowledged.
async function put(client, key, value) {
  let last = "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const out = await client.run({ op: "put", key, value });
    if (out.kind === "ok") return;
    last = out.reason;
  }
  throw new Error(`write ${key} was not acknowledged: ${last}`);
}

async function writeMany(client, prefix, count, acked) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const key = `${prefix}-${next++}`;
      const value = `value of ${key}`;
      await put(client, key, value);
      acked.set(key, value);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

const cluster = await startKvCluster({ size: 3, tickMs: 100 });
const client = new KvClient(cluster.urls(), { timeoutMs: 10_000 });
let failed = false;
try {
  let t = performance.now();
  const leader = await cluster.waitForLeader();
  say(
    `3 voters up (${cluster.ids.map((id) => `${id}@${cluster.member(id).url}`).join(", ")}); leader ${leader} after ${ms(t)}`,
  );

  const acked = new Map();
  t = performance.now();
  await writeMany(client, "before", 500, acked);
  say(`500 writes acknowledged through the leader in ${ms(t)}`);

  t = performance.now();
  await cluster.kill9(leader);
  say(`killed leader ${leader} with SIGKILL`);
  const electing = cluster.waitForLeader({ exclude: [leader] }).then((id) => {
    say(`member ${id} elected leader ${ms(t)} after the kill`);
    return id;
  });
  await put(client, "after-kill", "first write after the kill");
  acked.set("after-kill", "first write after the kill");
  say(`first write accepted ${ms(t)} after the kill`);
  await electing;

  await writeMany(client, "during", 200, acked);
  say(`200 more writes acknowledged by the two survivors`);

  t = performance.now();
  await cluster.restart(leader);
  say(`restarted member ${leader} on its data dir in ${ms(t)}`);

  for (const id of cluster.ids) {
    const one = new KvClient(new Map([[id, cluster.member(id).url]]), { timeoutMs: 10_000 });
    try {
      let missing = 0;
      for (const [key, value] of acked) {
        const out = await one.run({ op: "get", key });
        if (out.kind !== "ok" || out.output.value !== value) missing++;
      }
      if (missing > 0) throw new Error(`member ${id} is missing ${missing} of ${acked.size} acknowledged writes`);
      say(`member ${id}: all ${acked.size} acknowledged writes read back (linearizable reads)`);
    } finally {
      one.close();
    }
  }
  say("done: no acknowledged write was lost");
} catch (e) {
  failed = true;
  console.error(`demo: FAILED: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  client.close();
  await cluster.destroy();
}
process.exit(failed ? 1 : 0);
