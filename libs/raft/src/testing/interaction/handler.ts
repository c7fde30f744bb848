import { ReadOnlyOption } from "../../core/config.js";
import { type ConfChange, type NodeId, ConfChangeType } from "../../core/types.js";
import type { Handler, TestData } from "@shoal/common/testing";
import { InteractionEnv } from "./env.js";
import { describeApplied, describeLog, describeRaftState, describeStatus } from "./inspect.js";
import type { NodeConfig } from "./node.js";

/** Seed of the nodes' election-timeout randomness when `add-nodes` does not give one. */
const DEFAULT_SEED = 1;

/** The bare words of a directive (arguments without `=`), in order. */
function words(td: TestData): string[] {
  return td.args.filter((a) => a.vals.length === 0).map((a) => a.key);
}

/** The bare words of a directive (all of them unless given) read as node ids or other integers. */
function ints(td: TestData, ws: readonly string[] = words(td)): number[] {
  return ws.map((w) => {
    const n = Number(w);
    return /^\d+$/.test(w) && Number.isSafeInteger(n) ? n : td.fail(`"${w}" is not a node id`);
  });
}

/** The one node id a directive names, as its first bare word. */
function oneId(td: TestData): NodeId {
  const [id] = ints(td);
  return id ?? td.fail("name a node: " + td.cmd + " <id>");
}

/** The core settings of `add-nodes`, from its optional arguments. */
function nodeConfig(td: TestData): NodeConfig {
  const cfg: { -readonly [K in keyof NodeConfig]: NodeConfig[K] } = {};
  if (td.has("prevote")) cfg.preVote = td.bool("prevote");
  if (td.has("checkquorum")) cfg.checkQuorum = td.bool("checkquorum");
  if (td.has("electiontick")) cfg.electionTick = td.int("electiontick");
  if (td.has("heartbeattick")) cfg.heartbeatTick = td.int("heartbeattick");
  if (td.bool("lease")) cfg.readOnlyOption = ReadOnlyOption.LeaseBased;
  if (td.has("max-inflight")) cfg.maxInflightMsgs = td.int("max-inflight");
  if (td.has("max-msg-size")) {
    cfg.maxSizePerMsg = td.int("max-msg-size");
    cfg.maxInflightBytes = 0;
  }
  if (td.has("promotion-lag")) cfg.promotionLag = td.int("promotion-lag");
  if (td.has("forwarding")) cfg.disableProposalForwarding = !td.bool("forwarding");
  return cfg;
}

/** The change of `propose-conf-change`: exactly one of add-voter=, add-learner=, remove=. */
function confChange(td: TestData): ConfChange {
  const kinds = [
    ["add-voter", ConfChangeType.AddVoter],
    ["add-learner", ConfChangeType.AddLearner],
    ["remove", ConfChangeType.RemoveNode],
  ] as const;
  const given = kinds.filter(([k]) => td.has(k));
  const [only] = given;
  if (!only || given.length > 1) return td.fail("give exactly one of add-voter=<id>, add-learner=<id>, remove=<id>");
  return { type: only[1], nodeId: td.int(only[0]), context: new Uint8Array(0) };
}

const enc = new TextEncoder();

/** Runs one directive against `env`; the commands are documented in libs/raft/testdata/README.md. */
function run(env: InteractionEnv, td: TestData): string[] {
  const idsOrAll = (): NodeId[] => (words(td).length > 0 ? ints(td) : env.ids());
  switch (td.cmd) {
    case "add-nodes": {
      const [count] = ints(td);
      if (count === undefined) return td.fail("how many nodes? add-nodes <count> voters=(..)");
      return env.addNodes(
        count,
        td.ints("voters", []),
        td.ints("learners", []),
        nodeConfig(td),
        td.int("seed", DEFAULT_SEED),
      );
    }
    case "campaign":
      return env.observe(() => env.node(oneId(td)).core.campaign());
    case "tick":
      return env.tick(oneId(td), td.int("n", 1));
    case "tick-election":
      return env.tickElection(oneId(td));
    case "tick-heartbeat":
      return env.tickHeartbeat(oneId(td));
    case "propose": {
      const [id, data] = words(td);
      if (id === undefined || data === undefined) return td.fail("usage: propose <id> <data>");
      const [node] = ints(td, [id]);
      return env.observe(() => env.node(node ?? 0).core.propose(enc.encode(data)));
    }
    case "propose-conf-change":
      return env.observe(() => env.node(oneId(td)).core.proposeConfChange(confChange(td)));
    case "process-ready":
      return env.processReady(idsOrAll());
    case "deliver-msgs":
      return env.deliverMsgs(idsOrAll(), td.ints("drop", []));
    case "drop-msgs":
      return env.dropMsgs(idsOrAll());
    case "stabilize":
      return env.stabilize(idsOrAll());
    case "isolate":
      env.net.isolate(oneId(td));
      return [env.net.describe()];
    case "cut": {
      const [from, to] = ints(td);
      if (from === undefined || to === undefined) return td.fail("usage: cut <from> <to>");
      env.net.cut(from, to);
      return [env.net.describe()];
    }
    case "heal":
      env.net.heal();
      return [env.net.describe()];
    case "crash":
      return env.crash(oneId(td));
    case "restart": {
      const n = env.node(oneId(td));
      n.restart();
      const st = n.core.status();
      return [
        `INFO ${st.id} restarted: term=${st.term} vote=${st.vote} commit=${st.commit} applied=${st.applied} last=${st.lastIndex}`,
      ];
    }
    case "compact": {
      const [id, index] = ints(td);
      if (id === undefined || index === undefined) return td.fail("usage: compact <id> <index>");
      const snap = env.node(id).compact(index);
      return [
        `INFO ${id} compacted: snapshot at ${snap.meta.term}/${snap.meta.index}, first index ${env.node(id).storage.firstIndex()}`,
      ];
    }
    case "read-index": {
      const [id, ctx] = words(td);
      if (id === undefined || ctx === undefined) return td.fail("usage: read-index <id> <context>");
      const [node] = ints(td, [id]);
      return env.observe(() => env.node(node ?? 0).core.readIndex(enc.encode(ctx)));
    }
    case "transfer-leadership":
      return env.observe(() => env.node(td.int("from")).core.transferLeader(td.int("to")));
    case "report-unreachable": {
      const [id, peer] = ints(td);
      if (id === undefined || peer === undefined) return td.fail("usage: report-unreachable <id> <peer>");
      return env.observe(() => env.node(id).core.reportUnreachable(peer));
    }
    case "report-snapshot": {
      const ws = words(td);
      const outcome = ws.pop();
      const [id, peer] = ints(td, ws);
      if (id === undefined || peer === undefined || (outcome !== "ok" && outcome !== "fail")) {
        return td.fail("usage: report-snapshot <id> <peer> ok|fail");
      }
      return env.observe(() => env.node(id).core.reportSnapshot(peer, outcome === "ok"));
    }
    case "status":
      return describeStatus(env.node(oneId(td)));
    case "raft-log":
      return describeLog(env.node(oneId(td)));
    case "raft-state":
      return env.ids().map((id) => describeRaftState(env.node(id)));
    case "applied":
      return idsOrAll().map((id) => describeApplied(env.node(id)));
    default:
      return td.fail(`unknown command (see libs/raft/testdata/README.md)`);
  }
}

/**
 * A fresh datadriven handler over a new {@link InteractionEnv}: one per scenario file, so that files do not
 * share state.
 */
export function interactionHandler(): Handler {
  const env = new InteractionEnv();
  return (td) => run(env, td).join("\n");
}
