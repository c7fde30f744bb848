import type { Command } from "../context.js";
import { clusterInitCommand, clusterJoinCommand } from "./cluster.js";
import { clusterLeaveCommand } from "./cluster-leave.js";
import { clusterUnlockCommand, clusterUnlockKeyCommand, clusterUpdateCommand } from "./cluster-autolock.js";
import { clusterJoinTokenCommand } from "./cluster-join-token.js";
import { clusterStatusCommand } from "./cluster-status.js";
import { clusterUserCreateCommand, clusterUserLsCommand, clusterUserRmCommand } from "./cluster-user.js";
import { agentCommand, managerCommand } from "./daemon.js";
import { imageLoadCommand, imageLsCommand, imageRmCommand } from "./image.js";
import { networkCreateCommand, networkInspectCommand, networkLsCommand, networkRmCommand } from "./network.js";
import {
  nodeDemoteCommand,
  nodeInspectCommand,
  nodeLsCommand,
  nodePromoteCommand,
  nodeRmCommand,
  nodeUpdateCommand,
} from "./node.js";
import { serviceLogsCommand } from "./service-logs.js";
import { serviceInspectCommand, serviceLsCommand, servicePsCommand, serviceRmCommand } from "./service-read.js";
import {
  serviceCreateCommand,
  serviceRollbackCommand,
  serviceScaleCommand,
  serviceUpdateCommand,
} from "./service-write.js";
import { versionCommand } from "./version.js";

/** Every command of the CLI, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  versionCommand,
  managerCommand,
  agentCommand,
  clusterInitCommand,
  clusterJoinCommand,
  clusterLeaveCommand,
  clusterJoinTokenCommand,
  clusterStatusCommand,
  clusterUpdateCommand,
  clusterUnlockCommand,
  clusterUnlockKeyCommand,
  clusterUserCreateCommand,
  clusterUserLsCommand,
  clusterUserRmCommand,
  nodeLsCommand,
  nodeInspectCommand,
  nodeUpdateCommand,
  nodePromoteCommand,
  nodeDemoteCommand,
  nodeRmCommand,
  serviceCreateCommand,
  serviceLsCommand,
  servicePsCommand,
  serviceInspectCommand,
  serviceScaleCommand,
  serviceUpdateCommand,
  serviceRollbackCommand,
  serviceRmCommand,
  serviceLogsCommand,
  networkCreateCommand,
  networkLsCommand,
  networkInspectCommand,
  networkRmCommand,
  imageLoadCommand,
  imageLsCommand,
  imageRmCommand,
];
