import type { LiveState, Problem } from "./live.js";

/** A notice at the top of every page about what is wrong right now. */
export interface Banner {
  key: "conn" | "status" | "leader" | "warning";
  tone: "bad" | "warn";
  title: string;
  text: string;
  /** Other managers' API addresses: their dashboards, to open while this one is away. */
  elsewhere: string[];
}

/** The page's session ended: the page shows the sign-in form instead (`lib/session.ts`), not a banner. */
export const needsSignIn = (p: Problem | undefined): boolean => p?.status === 401;

/**
 * What is wrong, worst first: this manager stopped answering (the page shows the last state), the managers
 * lost their quorum or have no leader (changes wait), or the leader warns about something.
 */
export function banners(live: LiveState): Banner[] {
  const out: Banner[] = [];
  if (live.conn.state === "retrying" && live.loaded) {
    const elsewhere = (live.status?.managers ?? [])
      .map((m) => m.apiAddr)
      .filter((a): a is string => !!a && a !== live.info?.managerAddr);
    const { problem, retryInMs, attempt } = live.conn;
    out.push({
      key: "conn",
      tone: "bad",
      title: "This manager stopped answering.",
      text: `${problem.message}. Retrying in ${Math.round(retryInMs / 1000)} s (attempt ${attempt}); the page shows the state as last seen.`,
      elsewhere,
    });
    return out;
  }
  const { status, statusProblem } = live;
  if (statusProblem && !needsSignIn(statusProblem)) {
    const title =
      statusProblem.code === "SHOAL_ERR_NO_QUORUM"
        ? "The managers lost their quorum."
        : "Cannot read the managers' state.";
    out.push({
      key: "status",
      tone: "bad",
      title,
      text: [statusProblem.message, statusProblem.hint].filter(Boolean).join(" "),
      elsewhere: [],
    });
  } else if (status && status.leaderId === undefined) {
    out.push({
      key: "leader",
      tone: "bad",
      title: "No leader.",
      text: status.warning ?? "The managers are electing one; changes wait until they have.",
      elsewhere: [],
    });
  } else if (status?.warning) {
    out.push({ key: "warning", tone: "warn", title: "", text: status.warning, elsewhere: [] });
  }
  return out;
}
