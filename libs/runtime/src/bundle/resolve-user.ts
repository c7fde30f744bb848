import { InvalidSpecError } from "../errors.js";

/** Numeric ids a container process runs with. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups: those of /etc/group that list the user as a member. */
  additionalGids: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The largest uid or gid runc accepts. */
const MAX_ID = 2 ** 31 - 1;

function parseId(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.split(":"));
}

/** The entries of an /etc/passwd text; malformed lines are skipped, as the C library does. */
export function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const [name, , uidText, gidText] of lines(text)) {
    const uid = parseId(uidText ?? "");
    const gid = parseId(gidText ?? "");
    if (name && uid !== undefined && gid !== undefined) out.push({ name, uid, gid });
  }
  return out;
}

/** The entries of an /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const [name, , gidText, memberText] of lines(text)) {
    const gid = parseId(gidText ?? "");
    if (!name || gid === undefined) continue;
    out.push({
      name,
      gid,
      members: (memberText ?? "")
        .split(",")
        .map((m) => m.trim())
        .filter((m) => m !== ""),
    });
  }
  return out;
}

/**
 * Resolves a user as written in a spec or image (`name`, `uid`, `name:group`, `uid:gid`; `""` means root) to
 * numeric ids, with the image's /etc/passwd and /etc/group texts (undefined when the image lacks the file).
 * Docker's rules: a name must exist in passwd; a uid need not (its gid is then 0); the gid is the passwd
 * entry's unless a group is given (by name, which must exist, or number); supplementary groups come from
 * /etc/group membership, and only when no group is given. Throws InvalidSpecError (field `user`).
 */
export function resolveUser(user: string, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const [userPart = "", groupPart, ...extra] = user.split(":");
  const userArg = userPart === "" ? "0" : userPart;
  if (extra.length > 0 || groupPart === "") {
    throw new InvalidSpecError("user", `${JSON.stringify(user)} is not a user; write name, uid, name:group or uid:gid`);
  }
  const users = parsePasswd(passwd);
  const numericUid = parseId(userArg);
  const entry =
    users.find((u) => u.name === userArg) ??
    (numericUid === undefined ? undefined : users.find((u) => u.uid === numericUid));
  const uid = entry?.uid ?? numericUid;
  if (uid === undefined) {
    throw new InvalidSpecError(
      "user",
      passwd === undefined
        ? `the image has no /etc/passwd to look up ${JSON.stringify(userArg)}; give a numeric uid (and gid) instead`
        : `no user ${JSON.stringify(userArg)} in the image's /etc/passwd; use a user it defines or a numeric uid`,
    );
  }
  const groups = parseGroup(group);
  if (groupPart !== undefined) {
    const named = groups.find((g) => g.name === groupPart);
    const gid = named?.gid ?? parseId(groupPart);
    if (gid === undefined) {
      throw new InvalidSpecError(
        "user",
        group === undefined
          ? `the image has no /etc/group to look up group ${JSON.stringify(groupPart)}; give a numeric gid instead`
          : `no group ${JSON.stringify(groupPart)} in the image's /etc/group; use a group it defines or a numeric gid`,
      );
    }
    return { uid, gid, additionalGids: [] };
  }
  const additionalGids =
    entry === undefined ? [] : [...new Set(groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid))];
  return { uid, gid: entry?.gid ?? 0, additionalGids };
}
