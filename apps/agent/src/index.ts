/** The agent daemon: session with the managers, task reconciliation on the container runtime, local API. */
export { startAgent } from "./start.js";
export type { AgentOptions } from "./agent-options.js";
export type { Agent, AgentStatus } from "./agent.js";
export {
  reconcile,
  furthest,
  movesForward,
  exitStatus,
  type Action,
  type LocalContainer,
  type LocalView,
  type ReportStatus,
} from "./reconcile.js";
export { containerSpecFor, LABEL_NODE, LABEL_SERVICE, LABEL_SLOT, LABEL_TASK } from "./container-spec.js";
export { publishedPortRules, sameRules } from "./published-ports.js";
export { StatusReporter, type StatusReporterOptions } from "./status-reporter.js";
export { imageMissing } from "./task-actions.js";
export { joinCluster, joinNode, saveJoin, type JoinedNode } from "./join.js";
export { errorBody, type AgentInfo } from "./local-api.js";
export { agentLog, quietLog, type AgentLog } from "./log.js";
export * from "./errors.js";
