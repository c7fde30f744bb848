/**
 * NATS subjects of the manager-agent protocol, all under `shoal.<cluster>.`:
 *
 *   agent.register                  request/reply  agent -> any manager: who I am, what I run
 *   agent.<node>.heartbeat          request/reply  agent -> its session's manager: still here
 *   agent.<node>.assignments        publish        manager -> agent: the full task set, then deltas
 *   agent.<node>.status             publish        agent -> managers: task status updates, batched
 *   agent.<node>.logs               publish+reply  manager -> agent: send a task's log lines to the reply subject
 *   agent.<node>.logs.cancel        publish        manager -> agent: stop a followed log stream
 *
 * Ids become subject tokens, so they must not contain `.`, `*`, `>` or whitespace.
 */
export interface Subjects {
  register: string;
  heartbeat(nodeId: string): string;
  assignments(nodeId: string): string;
  status(nodeId: string): string;
  logs(nodeId: string): string;
  logsCancel(nodeId: string): string;
  /** What a manager subscribes to for every node's heartbeats (`agent.*.heartbeat`). */
  allHeartbeats: string;
  /** What a manager subscribes to for every node's status (`agent.*.status`). */
  allStatus: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** The subjects of one cluster. Throws when `clusterId` or a node id cannot be a subject token. */
export function subjects(clusterId: string): Subjects {
  const base = `shoal.${token(clusterId, "cluster id")}.agent`;
  return {
    register: `${base}.register`,
    heartbeat: (n) => `${base}.${token(n, "node id")}.heartbeat`,
    assignments: (n) => `${base}.${token(n, "node id")}.assignments`,
    status: (n) => `${base}.${token(n, "node id")}.status`,
    logs: (n) => `${base}.${token(n, "node id")}.logs`,
    logsCancel: (n) => `${base}.${token(n, "node id")}.logs.cancel`,
    allHeartbeats: `${base}.*.heartbeat`,
    allStatus: `${base}.*.status`,
  };
}

function token(value: string, what: string): string {
  if (!TOKEN.test(value))
    throw new Error(
      `bus: ${what} ${JSON.stringify(value)} cannot be a subject token: use 1-64 letters, digits, '_' or '-'`,
    );
  return value;
}
