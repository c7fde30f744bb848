import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { openBridgeNetwork, type BridgeNetworkOptions } from "./bridge-network.js";
import { NetworkNotReadyError } from "./errors.js";
import type { LocalNetwork, PublishedPortRule, TaskAttachment } from "./types.js";
import {
  ask,
  hostAddresses,
  portIsFree,
  rootSkip as skip,
  seededRandom,
  sh,
  startEchoServer,
  stopProcess,
  succeeds,
} from "./testing/net-fixture.js";

const seed = Number(process.env.SHOAL_TEST_SEED ?? Date.now() % 2 ** 31);
const random = seededRandom(seed);
console.log(`overlay bridge tests: seed ${seed} (set SHOAL_TEST_SEED=${seed} to replay)`);

/** A /24 in 10.200-254.x.0 that no address or route of this host touches. */
function freeSubnet(): string {
  const used =
    sh("ip", "-4", "route", "show", "table", "all") +
    hostAddresses()
      .map((a) => a.local)
      .join(" ");
  for (;;) {
    const prefix = `10.${200 + random(55)}.${random(256)}.`;
    if (prefix !== "10.211.0." && !used.includes(prefix)) return `${prefix}0/24`;
  }
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + random(10000);
    if (await portIsFree(port)) return port;
  }
}

interface TestNetwork {
  opts: BridgeNetworkOptions & { bridge: string; table: string; netnsPrefix: string; subnet: string; stateDir: string };
  net: LocalNetwork;
  /** Processes to end, and links to delete, before the network is removed. */
  processes: ChildProcess[];
  links: string[];
}

/**
 * A network with unique names, and an after hook that removes all of it even when the test failed: first the
 * test's processes (so no connection is left half closed), then teardown(), then whatever teardown missed.
 */
async function testNetwork(t: TestContext): Promise<TestNetwork> {
  const id = `${random(36 ** 5).toString(36)}`;
  const stateDir = await mkdtemp(join(tmpdir(), "overlay-net-"));
  const opts = {
    bridge: `shtest${id}`,
    table: `shtest${id}`,
    netnsPrefix: `shtest${id}-`,
    subnet: freeSubnet(),
    stateDir,
  };
  console.log(`overlay bridge tests: bridge ${opts.bridge}, subnet ${opts.subnet}`);
  const tn: TestNetwork = { opts, net: openBridgeNetwork(opts), processes: [], links: [] };
  t.after(async () => {
    await Promise.all(tn.processes.map(stopProcess));
    await openBridgeNetwork(opts)
      .teardown()
      .catch((err: unknown) => console.error("teardown failed:", err));
    for (const link of tn.links) succeeds("ip", "link", "del", link);
    for (const line of sh("ip", "netns", "list").split("\n")) {
      const name = line.split(" ")[0] ?? "";
      if (name.startsWith(opts.netnsPrefix)) {
        succeeds("ss", "-N", name, "-K", "-a", "-t");
        succeeds("ip", "netns", "del", name);
      }
    }
    if (succeeds("ip", "link", "show", opts.bridge)) {
      for (const l of JSON.parse(sh("ip", "-j", "link", "show", "master", opts.bridge)) as { ifname: string }[])
        succeeds("ip", "link", "del", l.ifname);
      succeeds("ip", "link", "del", opts.bridge);
    }
    succeeds("nft", "delete", "table", "ip", opts.table);
    await rm(stateDir, { recursive: true, force: true });
  });
  return tn;
}

/** Asks `times` times and returns the distinct answers' first words (the backend names). */
async function backendsAnswering(host: string, port: number, times = 8): Promise<string[]> {
  const names = new Set<string>();
  for (let i = 0; i < times; i++) names.add((await ask(host, port)).split(" ")[0] ?? "");
  return [...names].sort();
}

async function refused(host: string, port: number): Promise<boolean> {
  try {
    await ask(host, port);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ECONNREFUSED";
  }
}

function tcp(port: number, backends: TaskAttachment[]): PublishedPortRule {
  return { protocol: "tcp", publishedPort: port, targetPort: 80, backends: backends.map((b) => b.address) };
}

test("published ports balance over the tasks' containers, follow the rules, and close", { skip }, async (t) => {
  const { opts, net, processes } = await testNetwork(t);
  await assert.rejects(net.attach("a"), NetworkNotReadyError);
  await net.setup();
  await net.setup();
  const a = await net.attach("a");
  const b = await net.attach("b");
  assert.deepEqual(await net.attach("a"), a, "attach again returns the same attachment");
  assert.notEqual(a.address, b.address);
  processes.push(
    await startEchoServer(`${opts.netnsPrefix}a`, "a", 80),
    await startEchoServer(`${opts.netnsPrefix}b`, "b", 80),
  );

  const port = await freePort();
  const hostAddress = hostAddresses().find((x) => x.scope === "global" && x.ifname !== opts.bridge)?.local ?? a.gateway;
  await net.publish([tcp(port, [a, b])]);
  assert.deepEqual(await backendsAnswering("127.0.0.1", port), ["a", "b"]);
  assert.deepEqual(await backendsAnswering(hostAddress, port), ["a", "b"]);
  // A container reaching a published port through the gateway gets its answer back, also from itself
  // (hairpin masquerade).
  const viaGateway = new Set<string>();
  for (let i = 0; i < 4; i++) {
    viaGateway.add(
      sh("ip", "netns", "exec", `${opts.netnsPrefix}a`, "busybox", "nc", "-w", "5", a.gateway, String(port)).split(
        " ",
      )[0] ?? "",
    );
  }
  assert.deepEqual([...viaGateway].sort(), ["a", "b"]);

  await net.publish([tcp(port, [b])]);
  assert.deepEqual(await backendsAnswering("127.0.0.1", port), ["b"]);
  assert.deepEqual(await backendsAnswering(hostAddress, port), ["b"]);

  await net.publish([tcp(port, [])]);
  assert.ok(await refused("127.0.0.1", port), "a rule without backends refuses connections");
  assert.ok(await refused(hostAddress, port));
  await net.publish([]);
  assert.ok(await refused("127.0.0.1", port), "an unpublished port is closed");
  const table = sh("nft", "list", "table", "ip", opts.table);
  assert.doesNotMatch(table, new RegExp(`dport ${port}`));
});

test(
  "containers reach the gateway and the outside by masquerade; outside clients keep their address",
  { skip },
  async (t) => {
    const { opts, net, processes, links } = await testNetwork(t);
    // An "outside" host: a namespace on a veth to this host, in a /30 of 198.18.0.0/15 (benchmark range).
    const outside = `${opts.netnsPrefix}outside`;
    const link = `${opts.bridge}o`.slice(0, 15);
    const base = `198.${18 + random(2)}.${random(256)}.${4 * random(64)}`.split(".").map(Number);
    const hostSide = [...base.slice(0, 3), (base[3] ?? 0) + 1].join(".");
    const outsideSide = [...base.slice(0, 3), (base[3] ?? 0) + 2].join(".");
    links.push(link);
    sh("ip", "netns", "add", outside);
    sh("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", outside);
    sh("ip", "addr", "add", `${hostSide}/30`, "dev", link);
    sh("ip", "link", "set", link, "up");
    sh("ip", "-n", outside, "addr", "add", `${outsideSide}/30`, "dev", "eth0");
    sh("ip", "-n", outside, "link", "set", "eth0", "up");
    sh("ip", "-n", outside, "link", "set", "lo", "up");

    await net.setup();
    const a = await net.attach("a");
    sh("ip", "netns", "exec", `${opts.netnsPrefix}a`, "busybox", "ping", "-c", "1", "-W", "5", a.gateway);

    processes.push(
      await startEchoServer(outside, "outside", 80),
      await startEchoServer(`${opts.netnsPrefix}a`, "a", 80),
    );
    const fromContainer = sh(
      "ip",
      "netns",
      "exec",
      `${opts.netnsPrefix}a`,
      "busybox",
      "nc",
      "-w",
      "5",
      outsideSide,
      "80",
    );
    assert.equal(
      fromContainer.trim(),
      `outside ${hostSide}`,
      "the outside sees the node's address, not the container's",
    );

    const port = await freePort();
    await net.publish([tcp(port, [a])]);
    const fromOutside = sh("ip", "netns", "exec", outside, "busybox", "nc", "-w", "5", hostSide, String(port));
    assert.equal(fromOutside.trim(), `a ${outsideSide}`, "the container sees the outside client's own address");
    const fromLoopback = await ask("127.0.0.1", port);
    assert.equal(fromLoopback, `a ${a.gateway}`, "loopback clients are masqueraded to the gateway");
  },
);

test("attachments survive a new network object, detach and teardown remove everything", { skip }, async (t) => {
  const { opts, net } = await testNetwork(t);
  await net.setup();
  const a = await net.attach("a");
  const b = await net.attach("b");
  const veths = () => JSON.parse(sh("ip", "-j", "link", "show", "master", opts.bridge)) as { ifname: string }[];
  assert.equal(veths().length, 2);
  const port = await freePort();
  await net.publish([tcp(port, [a, b])]);

  // What a restarted agent does: a new object on the same state directory adopts what exists.
  const again = openBridgeNetwork(opts);
  assert.deepEqual(await again.attachments(), [a, b]);
  await again.setup();
  assert.match(
    sh("nft", "list", "table", "ip", opts.table),
    new RegExp(`tcp dport ${port} dnat`),
    "setup keeps the published rules",
  );
  assert.deepEqual(await again.attach("b"), b);

  await again.detach("a");
  assert.ok(!existsSync(a.netnsPath));
  assert.equal(veths().length, 1);
  await again.detach("a");
  await again.detach("never-attached");
  assert.deepEqual(await again.attachments(), [b]);

  // A netns that went away (a reboot empties /run/netns) is not adopted, and its address is freed.
  sh("ip", "netns", "del", `${opts.netnsPrefix}b`);
  assert.deepEqual(await openBridgeNetwork(opts).attachments(), []);
  assert.equal(veths().length, 0, "the dangling veth is removed");

  await again.attach("c");
  await again.teardown();
  assert.ok(!succeeds("ip", "link", "show", opts.bridge), "the bridge is gone");
  assert.doesNotMatch(sh("nft", "list", "tables"), new RegExp(`\\b${opts.table}\\b`));
  assert.doesNotMatch(sh("ip", "netns", "list"), new RegExp(opts.netnsPrefix));
  assert.ok(!existsSync(join(opts.stateDir, `bridge-${opts.bridge}.json`)));
  await again.teardown();
});

test(
  "attaches made together are batched, each whole and distinct, and a half-made one is repaired among them",
  { skip },
  async (t) => {
    const { opts, net } = await testNetwork(t);
    await net.setup();
    // An attach cut short by a crash: the netns exists, the veth pair does not.
    sh("ip", "netns", "add", `${opts.netnsPrefix}t3`);
    const ids = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const all = await Promise.all(ids.map((id) => net.attach(id)));
    assert.equal(new Set(all.map((a) => a.address)).size, ids.length, "every task has its own address");
    for (const a of all) {
      const ns = `${opts.netnsPrefix}${a.taskId}`;
      const addrs = JSON.parse(sh("ip", "-n", ns, "-4", "-j", "addr", "show")) as {
        ifname: string;
        operstate: string;
        flags: string[];
        addr_info: { local: string }[];
      }[];
      const eth0 = addrs.find((l) => l.ifname === "eth0");
      assert.deepEqual(
        eth0?.addr_info.map((x) => x.local),
        [a.address],
        `${a.taskId}: eth0 has its address`,
      );
      assert.ok(addrs.find((l) => l.ifname === "lo")?.flags.includes("UP"), `${a.taskId}: lo is up`);
      assert.match(
        sh("ip", "-n", ns, "route", "show", "default"),
        new RegExp(`via ${a.gateway.replaceAll(".", "\\.")} dev eth0`),
      );
    }
    const veths = JSON.parse(sh("ip", "-j", "link", "show", "master", opts.bridge)) as { ifname: string }[];
    assert.equal(veths.length, ids.length);
    assert.deepEqual(
      await openBridgeNetwork(opts).attachments(),
      [...all].sort((a, b) => a.taskId.localeCompare(b.taskId)),
    );
  },
);
