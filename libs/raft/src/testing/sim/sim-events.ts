import { type Message, type NodeId, MessageType } from "../../core/types.js";
import type { KvInput, KvOutput } from "../linearizability/index.js";

/** One attempt of a client operation, sent to one node. */
export interface ClientRequest {
  readonly client: number;
  readonly req: number;
  readonly attempt: number;
  readonly input: KvInput;
}

/** A node's answer to a client: the result, a redirect, or "try again" (nothing was done). */
export type ClientReply =
  | { readonly kind: "ok"; readonly output: KvOutput }
  | { readonly kind: "not-leader"; readonly hint: NodeId }
  | { readonly kind: "retry"; readonly why: string };

/** What a transport tells a sender about a message it could not (or did) deliver. */
export type DeliveryReport = "unreachable" | "snap-ok" | "snap-fail";

/**
 * Everything that happens in a simulation is one of these events, taken from the queue in virtual-time order.
 * Events aimed at a node carry its incarnation (`inc`) so that those scheduled before a crash are ignored.
 */
export type SimEvent =
  | { readonly kind: "tick"; readonly node: NodeId; readonly inc: number }
  | { readonly kind: "write-done"; readonly node: NodeId; readonly inc: number }
  | { readonly kind: "deliver"; readonly msg: Message; readonly inc: number }
  | {
      readonly kind: "report";
      readonly node: NodeId;
      readonly inc: number;
      readonly peer: NodeId;
      readonly what: DeliveryReport;
    }
  | { readonly kind: "request"; readonly node: NodeId; readonly request: ClientRequest }
  | { readonly kind: "reply"; readonly node: NodeId; readonly request: ClientRequest; readonly reply: ClientReply }
  | { readonly kind: "client-retry"; readonly client: number; readonly req: number; readonly attempt: number }
  | { readonly kind: "client-next"; readonly client: number }
  | { readonly kind: "fault" }
  | { readonly kind: "crash"; readonly node: NodeId; readonly inc: number; readonly downMs: number }
  | { readonly kind: "restart"; readonly node: NodeId }
  | { readonly kind: "heal"; readonly cut: number }
  | { readonly kind: "shutdown"; readonly node: NodeId }
  | { readonly kind: "end-faults" }
  | { readonly kind: "settle-check" };

function describeMessage(m: Message): string {
  const parts = [`${MessageType[m.type]} ${m.from}->${m.to} term=${m.term}`];
  if (m.index || m.logTerm) parts.push(`idx=${m.index} logTerm=${m.logTerm}`);
  if (m.entries.length > 0) {
    const first = m.entries[0];
    const last = m.entries[m.entries.length - 1];
    parts.push(`ents=[${first?.index}..${last?.index}]@${last?.term}`);
  }
  if (m.commit) parts.push(`commit=${m.commit}`);
  if (m.reject) parts.push(`reject hint=${m.rejectHint}`);
  if (m.snapshot) parts.push(`snap=${m.snapshot.meta.index}@${m.snapshot.meta.term}`);
  return parts.join(" ");
}

function describeInput(i: KvInput): string {
  switch (i.op) {
    case "get":
      return `get(${i.key})`;
    case "put":
      return `put(${i.key}=${i.value})`;
    case "cas":
      return `cas(${i.key}:${String(i.expected)}->${i.value})`;
  }
}

/** One line describing an event, for failure traces. */
export function describeEvent(e: SimEvent): string {
  switch (e.kind) {
    case "tick":
    case "write-done":
      return `${e.kind} node=${e.node}`;
    case "deliver":
      return `deliver ${describeMessage(e.msg)}`;
    case "report":
      return `report ${e.what} to node=${e.node} about ${e.peer}`;
    case "request":
      return `request c${e.request.client}#${e.request.req}.${e.request.attempt} ${describeInput(e.request.input)} at node=${e.node}`;
    case "reply":
      return `reply c${e.request.client}#${e.request.req} from node=${e.node}: ${JSON.stringify(e.reply)}`;
    case "client-retry":
      return `client-retry c${e.client}#${e.req} after attempt ${e.attempt}`;
    case "client-next":
      return `client-next c${e.client}`;
    case "restart":
    case "shutdown":
      return `${e.kind} node=${e.node}`;
    case "heal":
      return `heal cut=${e.cut}`;
    case "crash":
      return `crash node=${e.node} for ${e.downMs.toFixed(2)}ms`;
    case "fault":
    case "end-faults":
    case "settle-check":
      return e.kind;
  }
}
