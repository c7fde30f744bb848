import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { canTransition, type JoinInfo } from "@shoal/api";
import { MemoryBusHub, natsPermissions, subjects, type MemoryBus } from "@shoal/bus";
import { MemoryNetwork } from "@shoal/overlay";
import { ManualClock, MemoryExecutor, MemoryHost, memoryImage } from "@shoal/runtime/testing";
import type { Agent } from "../agent.js";
import { quietLog } from "../log.js";
import { startAgent } from "../start.js";
import { AgentStateFiles } from "../state-files.js";
import { FakeManager } from "./fake-manager.js";

/** The join state the harness writes for its agent. */
export const JOIN: JoinInfo = {
  clusterId: "c1",
  nodeId: "node1",
  role: "worker",
  certificate: "",
  trust: "",
  natsUrls: ["nats://127.0.0.1:1"],
  managers: ["127.0.0.1:1"],
  time: "2026-12-07T00:00:00.000Z",
};
/** The harness node's hostname. */
export const HOSTNAME = "node-a";

/** An agent on a MemoryBusHub with a fake manager, an in-memory executor on a manual clock and a memory network. */
export class Harness {
  readonly hub = new MemoryBusHub();
  readonly manager: FakeManager;
  readonly clock = new ManualClock();
  readonly host = new MemoryHost({ clock: this.clock });
  readonly network = new MemoryNetwork();
  readonly dir = mkdtempSync(path.join(tmpdir(), "shoal-agent-"));
  /** What the agent logged (messages only). */
  readonly logged: string[] = [];
  executor!: MemoryExecutor;
  agentBus!: MemoryBus;
  agent!: Agent;

  constructor(t: TestContext) {
    this.manager = new FakeManager(this.hub.connect(), { clusterId: JOIN.clusterId });
    this.host.images.addImage(memoryImage("busybox", { cmd: ["sh"] }));
    t.after(async () => {
      await this.agent?.stop();
      await this.executor?.close();
      this.manager.close();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  get nodeId(): string {
    const id = this.agent.nodeId;
    assert.ok(id, "the agent has a node id");
    return id;
  }

  /** Starts an agent (a new executor on the same host, like a restarted process). */
  async start(o: { executor?: MemoryExecutor } = {}): Promise<Agent> {
    await new AgentStateFiles(path.join(this.dataDir, "agent")).writeJoin(JOIN);
    this.executor = o.executor ?? new MemoryExecutor(this.host);
    // The agent's connection is confined to its node's subjects, as on the managers' bus server.
    this.agentBus = this.hub.connect({
      permissions: natsPermissions(JOIN.clusterId, JOIN.nodeId),
      inboxPrefix: subjects(JOIN.clusterId).inboxPrefix(JOIN.nodeId),
    });
    this.agent = await startAgent({
      dataDir: this.dataDir,
      runDir: path.join(this.dir, "run"),
      hostname: HOSTNAME,
      executor: this.executor,
      network: this.network,
      bus: this.agentBus,
      log: { ...quietLog, warn: (msg) => this.logged.push(msg), info: (msg) => this.logged.push(msg) },
      requestTimeoutMs: 200,
      statusFlushMs: 20,
    });
    return this.agent;
  }

  /** Stops the agent and closes its executor; containers keep running on the host. */
  async stopAgent(): Promise<void> {
    await this.agent.stop();
    await this.executor.close();
    await this.agentBus.close();
  }

  async waitState(taskId: string, state: string): Promise<void> {
    await this.manager.until(() => this.manager.tasks.get(taskId)?.status.state === state, `task ${taskId} ${state}`);
  }

  container(id: string) {
    return this.host.containers.get(id);
  }
}

/** Every report of a task moves it forward. */
export function assertMonotonic(states: string[]): void {
  for (let i = 1; i < states.length; i++) {
    assert.ok(
      canTransition(states[i - 1] as never, states[i] as never) && states[i - 1] !== states[i],
      `reports go forward: ${states.join(" -> ")}`,
    );
  }
}
