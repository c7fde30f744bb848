import type { ServiceSpecInput } from "@shoal/api";
import { UsageError } from "../errors.js";
import { intFlag, sizeFlag } from "../args/units.js";

/** A published port as the spec takes it. */
export type PortInput = NonNullable<NonNullable<ServiceSpecInput["endpoint"]>["ports"]>[number];
/** A mount as the spec takes it. */
export type MountInput = NonNullable<ServiceSpecInput["taskTemplate"]["container"]["mounts"]>[number];

/** Splits `k=v,k2=v2` (Docker's CSV flag syntax, without quoting) into pairs; a bare `k` has value undefined. */
export function splitFields(text: string): [string, string | undefined][] {
  return text
    .split(",")
    .filter((f) => f.trim() !== "")
    .map((f) => {
      const eq = f.indexOf("=");
      return eq < 0
        ? [f.trim().toLowerCase(), undefined]
        : [f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1).trim()];
    });
}

function port(flag: string, text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)} in --${flag}: use a port number 1-65535`);
  return Number(text);
}

function protocol(flag: string, text: string): "tcp" | "udp" {
  const p = text.toLowerCase();
  if (p !== "tcp" && p !== "udp")
    throw new UsageError(`invalid protocol ${JSON.stringify(text)} in --${flag}: use tcp or udp`);
  return p;
}

/**
 * Parses `--publish`: `8080:80`, `8080:80/udp`, `80` (published port picked by the cluster), or the long form
 * `published=8080,target=80,protocol=tcp,mode=host`.
 */
export function parsePublish(text: string, flag = "publish"): PortInput {
  if (text.includes("=")) {
    const out: PortInput = { targetPort: 0 };
    for (const [k, v] of splitFields(text)) {
      if (v === undefined) throw new UsageError(`invalid field ${JSON.stringify(k)} in --${flag}: write key=value`);
      if (k === "published") out.publishedPort = port(flag, v, "published port");
      else if (k === "target") out.targetPort = port(flag, v, "target port");
      else if (k === "protocol") out.protocol = protocol(flag, v);
      else if (k === "mode") {
        if (v !== "ingress" && v !== "host")
          throw new UsageError(`invalid mode ${JSON.stringify(v)} in --${flag}: use ingress or host`);
        out.publishMode = v;
      } else
        throw new UsageError(
          `unknown field ${JSON.stringify(k)} in --${flag}: use published, target, protocol or mode`,
        );
    }
    if (out.targetPort === 0)
      throw new UsageError(`missing target in --${flag} ${JSON.stringify(text)}: add target=<container port>`);
    return out;
  }
  const m = /^(?:(\d+):)?(\d+)(?:\/(\w+))?$/.exec(text.trim());
  if (!m)
    throw new UsageError(
      `invalid --${flag} ${JSON.stringify(text)}: write PUBLISHED:TARGET[/PROTOCOL] like 8080:80 or 8080:80/udp`,
    );
  const out: PortInput = { targetPort: port(flag, m[2] as string, "target port") };
  if (m[1] !== undefined) out.publishedPort = port(flag, m[1], "published port");
  if (m[3] !== undefined) out.protocol = protocol(flag, m[3]);
  return out;
}

/** The key `--publish-rm` names: `80`, `80/udp`, or any form `--publish` takes (its target port and protocol). */
export function publishRmKey(text: string): string {
  const m = /^(\d+)(?:\/(\w+))?$/.exec(text.trim());
  if (m) return `${m[1] as string}/${protocol("publish-rm", m[2] ?? "tcp")}`;
  const p = parsePublish(text, "publish-rm");
  return `${p.targetPort}/${p.protocol ?? "tcp"}`;
}

/** Parses `--mount type=volume|bind|tmpfs,source=..,target=..,readonly[,tmpfs-size=64M]` (type defaults to volume). */
export function parseMount(text: string, flag = "mount"): MountInput {
  let type = "volume";
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  let size: number | undefined;
  for (const [k, v] of splitFields(text)) {
    switch (k) {
      case "type":
        if (v !== "volume" && v !== "bind" && v !== "tmpfs")
          throw new UsageError(`invalid mount type ${JSON.stringify(v ?? "")} in --${flag}: use volume, bind or tmpfs`);
        type = v;
        break;
      case "source":
      case "src":
        source = v;
        break;
      case "target":
      case "destination":
      case "dst":
        target = v;
        break;
      case "readonly":
      case "ro":
        if (v !== undefined && !["true", "false", "1", "0"].includes(v))
          throw new UsageError(`invalid readonly value ${JSON.stringify(v)} in --${flag}: use true or false`);
        readOnly = v === undefined || v === "true" || v === "1";
        break;
      case "tmpfs-size":
        size = sizeFlag(flag, v ?? "");
        break;
      default:
        throw new UsageError(
          `unknown field ${JSON.stringify(k)} in --${flag}: use type, source, target, readonly or tmpfs-size`,
        );
    }
  }
  if (target === undefined || target === "")
    throw new UsageError(`missing target in --${flag} ${JSON.stringify(text)}: add target=<path in the container>`);
  if (type === "tmpfs") {
    if (source !== undefined) throw new UsageError(`a tmpfs mount takes no source in --${flag}`);
    return size === undefined ? { type: "tmpfs", target } : { type: "tmpfs", target, sizeBytes: size };
  }
  if (size !== undefined) throw new UsageError(`tmpfs-size is only for type=tmpfs in --${flag}`);
  if (source === undefined || source === "")
    throw new UsageError(
      `missing source in --${flag} ${JSON.stringify(text)}: add source=<${type === "bind" ? "host path" : "volume name"}>`,
    );
  return type === "bind" ? { type: "bind", source, target, readOnly } : { type: "volume", source, target, readOnly };
}

/** Parses `k=v` (or a bare `k`, value empty) of a label flag. */
export function parseLabel(text: string, flag: string): [string, string] {
  const eq = text.indexOf("=");
  const key = eq < 0 ? text : text.slice(0, eq);
  if (key === "") throw new UsageError(`invalid --${flag} ${JSON.stringify(text)}: write key=value`);
  return [key, eq < 0 ? "" : text.slice(eq + 1)];
}

/** Labels from repeated `k=v` flags. */
export function parseLabels(values: readonly string[], flag: string): Record<string, string> {
  return Object.fromEntries(values.map((v) => parseLabel(v, flag)));
}

/** `-e NAME=value`; a bare `NAME` takes its value from the CLI's environment, as Docker does. */
export function parseEnvEntry(text: string, env: Readonly<Record<string, string | undefined>>): string {
  if (text.includes("=")) return text;
  const v = env[text];
  return v === undefined ? text : `${text}=${v}`;
}

/** `--placement-pref spread=node.labels.zone`. */
export function parsePlacementPref(text: string, flag = "placement-pref"): { spread: string } {
  const eq = text.indexOf("=");
  if (eq < 0 || text.slice(0, eq) !== "spread")
    throw new UsageError(
      `invalid --${flag} ${JSON.stringify(text)}: the only strategy is spread, as in spread=node.labels.zone`,
    );
  return { spread: text.slice(eq + 1) };
}

/** The container security settings as the spec takes them. */
export type SecurityInput = NonNullable<ServiceSpecInput["taskTemplate"]["container"]["security"]>;

const SECURITY_OPTS = "seccomp=default|unconfined or no-new-privileges[=true|false]";

/**
 * Parses `--security-opt` (Docker's syntax, `=` or the older `:`): `seccomp=default|unconfined`,
 * `no-new-privileges` (true), `no-new-privileges=true|false`. A seccomp profile file is refused: the profile
 * is Shoal's own, computed from the container's capabilities.
 */
export function parseSecurityOpt(text: string, flag = "security-opt"): SecurityInput {
  const m = /^([^=:]+)(?:[=:](.*))?$/.exec(text.trim());
  const key = m?.[1]?.trim().toLowerCase() ?? "";
  const value = m?.[2]?.trim();
  if (key === "seccomp") {
    if (value === "default" || value === "unconfined") return { seccomp: value };
    throw new UsageError(
      `invalid --${flag} ${JSON.stringify(text)}: seccomp takes default or unconfined (profile files are not supported)`,
    );
  }
  if (key === "no-new-privileges") {
    if (value === undefined || value === "true") return { noNewPrivileges: true };
    if (value === "false") return { noNewPrivileges: false };
    throw new UsageError(`invalid --${flag} ${JSON.stringify(text)}: no-new-privileges takes true or false`);
  }
  throw new UsageError(`unknown --${flag} ${JSON.stringify(text)}: use ${SECURITY_OPTS}`);
}

/** One of `allowed`, or a UsageError listing them. */
export function choice<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(
      `invalid value ${JSON.stringify(value)} for --${flag}: use ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}`,
    );
  return value as T;
}

/** Splits a command line into words: whitespace separates, single and double quotes group. */
export function splitWords(text: string, flag: string): string[] {
  const words: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let inWord = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new UsageError(`unterminated quote in --${flag} ${JSON.stringify(text)}`);
  if (inWord) words.push(cur);
  return words;
}

/** `--replicas N` as a count. */
export function replicasFlag(value: string): number {
  return intFlag("replicas", value);
}
