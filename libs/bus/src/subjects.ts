/**
 * NATS subjects of the manager-agent protocol. Everything an agent publishes or subscribes to names its own node,
 * so the server's per-node permissions (permissions.ts) can confine it to them:
 *
 *   shoal.<c>.agent.<node>.register         request/reply  agent -> any manager: who I am, what I run
 *   shoal.<c>.agent.<node>.heartbeat        request/reply  agent -> its session's manager: still here
 *   shoal.<c>.agent.<node>.assignments      publish        manager -> agent: the full task set, then deltas
 *   shoal.<c>.agent.<node>.status           publish        agent -> managers: task status updates, batched
 *   shoal.<c>.agent.<node>.logs             publish        manager -> agent: send a task's log lines
 *   shoal.<c>.agent.<node>.logs.cancel      publish        manager -> agent: stop a followed log stream
 *   shoal.<c>.agent.<node>.logs.out.<id>    publish        agent -> manager: the chunks of log stream <id>
 *   shoal.<c>.inbox.<node>.>                replies        the agent's request inboxes (nats.js `inboxPrefix`)
 *
 * Ids become subject tokens, so they must not contain `.`, `*`, `>` or whitespace.
 */
export interface Subjects {
  register(nodeId: string): string;
  heartbeat(nodeId: string): string;
  assignments(nodeId: string): string;
  status(nodeId: string): string;
  logs(nodeId: string): string;
  logsCancel(nodeId: string): string;
  /** Where the agent sends the chunks of one log stream (a manager subscribes to it before asking). */
  logsOut(nodeId: string, streamId: string): string;
  /** The prefix of a node's request inboxes: replies to its requests come under `<prefix>.>`. */
  inboxPrefix(nodeId: string): string;
  /** What the managers subscribe to for every node's registrations (`agent.*.register`). */
  allRegister: string;
  /** What a manager subscribes to for every node's heartbeats (`agent.*.heartbeat`). */
  allHeartbeats: string;
  /** What a manager subscribes to for every node's status (`agent.*.status`). */
  allStatus: string;
  /**
   * The node an agent subject names (`shoal.<c>.agent.<node>.…`), or undefined for any other subject. The server's
   * permissions let only that node's agent publish there, so the managers believe it.
   */
  nodeOf(subject: string): string | undefined;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `value` can be one token of a subject (1-64 letters, digits, `_` or `-`). */
export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}

/** The subjects of one cluster. Throws when `clusterId` or a node id cannot be a subject token. */
export function subjects(clusterId: string): Subjects {
  const c = token(clusterId, "cluster id");
  const base = `shoal.${c}.agent`;
  const node = (n: string) => `${base}.${token(n, "node id")}`;
  return {
    register: (n) => `${node(n)}.register`,
    heartbeat: (n) => `${node(n)}.heartbeat`,
    assignments: (n) => `${node(n)}.assignments`,
    status: (n) => `${node(n)}.status`,
    logs: (n) => `${node(n)}.logs`,
    logsCancel: (n) => `${node(n)}.logs.cancel`,
    logsOut: (n, streamId) => `${node(n)}.logs.out.${token(streamId, "log stream id")}`,
    inboxPrefix: (n) => `shoal.${c}.inbox.${token(n, "node id")}`,
    allRegister: `${base}.*.register`,
    allHeartbeats: `${base}.*.heartbeat`,
    allStatus: `${base}.*.status`,
    nodeOf: (subject) => {
      const parts = subject.split(".");
      const id = parts[3];
      return parts[0] === "shoal" && parts[1] === c && parts[2] === "agent" && id !== undefined && TOKEN.test(id)
        ? id
        : undefined;
    },
  };
}

function token(value: string, what: string): string {
  if (!TOKEN.test(value))
    throw new Error(
      `bus: ${what} ${JSON.stringify(value)} cannot be a subject token: use 1-64 letters, digits, '_' or '-'`,
    );
  return value;
}
