/** Severity of a node log line. */
export type NodeLogLevel = "debug" | "info" | "warn" | "error";

/** Logger seam of the node driver: it never writes to the console itself. */
export type NodeLog = (level: NodeLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>) => void;

/** A logger that drops everything. */
export const silentNodeLog: NodeLog = () => {};
