import { mkdirSync, readdirSync, rmdirSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  USER_CERT_EXPIRY_MAX_MS,
  USER_CERT_EXPIRY_MIN_MS,
  UserNameSchema,
  type UserCreated,
  type UserRole,
} from "@shoal/api";
import { accessTokenHash, newAccessToken, userBundlePaths, writeAdminBundle } from "@shoal/trust";
import { parseValidityMs } from "../args/units.js";
import type { Command } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { userTable } from "../format/users.js";
import { choice } from "../spec/values.js";
import { forEachRef, LIST_OPTIONS, oneArg, printList, requireArgs } from "./output.js";

const ROLES: readonly UserRole[] = ["admin", "read-only"];

/** `--expiry`: how long the certificate is valid, 1 hour to 1 year; undefined for the cluster's default. */
function expiryFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseValidityMs(value);
  if (ms === undefined || ms < USER_CERT_EXPIRY_MIN_MS || ms > USER_CERT_EXPIRY_MAX_MS)
    throw new UsageError(
      `invalid value ${JSON.stringify(value)} for --expiry: a user certificate is valid for 1 hour to 1 year; write it like 30d, 12h or 8760h`,
    );
  return ms;
}

/**
 * Makes sure `dir` can take a new bundle without overwriting anything: it is created (0700) when missing, and
 * an existing one must be an empty directory. Returns whether it was created (so a failure can remove it).
 */
function prepareBundleDir(dir: string): boolean {
  const refuse = (why: string, cause?: unknown) =>
    new CliError("SHOAL_ERR_BUNDLE_DIR", `${dir} ${why}`, "pass --out with a new or empty directory", { cause });
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw refuse("exists and is not a directory", e);
    if (code !== "ENOENT") throw refuse(`cannot be read (${(e as Error).message})`, e);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e2) {
      throw refuse(`cannot be created (${(e2 as Error).message})`, e2);
    }
    return true;
  }
  if (entries.length > 0)
    throw refuse(
      "exists and is not empty: a user's bundle goes only to a new or empty directory, so no file is replaced",
    );
  return false;
}

/**
 * `shoal cluster user create NAME --role admin|read-only [--out DIR] [--expiry DURATION]`: makes the user's key,
 * certificate signing request and dashboard access token here, sends the CSR and the token's SHA-256 only, and
 * writes the bundle (ca.pem, cert.pem, key.pem, access-token) to DIR, by default ./NAME.
 */
export const clusterUserCreateCommand: Command = {
  name: "cluster user create",
  usage: "[OPTIONS] NAME",
  summary: "Create a user of the API and write its bundle: certificate, key and dashboard access token",
  syntax: {
    options: [
      {
        name: "role",
        type: "string",
        value: "ROLE",
        help: "admin (every command) or read-only (sees state and logs; changes nothing, sees no secret); required",
      },
      {
        name: "out",
        short: "o",
        type: "string",
        value: "DIR",
        help: "Directory to write the bundle to, created with mode 0700 (files 0600); it must be new or empty (default ./NAME)",
      },
      {
        name: "expiry",
        type: "string",
        value: "DURATION",
        help: "How long the user's certificate is valid: 1h to 365d, like 30d or 12h (default 365d)",
      },
    ],
  },
  run: async (ctx, p) => {
    const name = oneArg(p, "NAME");
    if (!UserNameSchema.safeParse(name).success)
      throw p.usage(
        `invalid user name ${JSON.stringify(name)}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    const roleFlag = p.string("role");
    if (roleFlag === undefined) throw p.usage("--role is required: admin or read-only");
    const role = choice("role", roleFlag, ROLES);
    const expiryMs = expiryFlag(p.string("expiry"));
    const dir = resolve(p.string("out") ?? name);
    // The key and the access token never leave this machine: the CSR carries the public key, and only the
    // token's hash is sent.
    const { generateKeyAndCsr } = await import("@shoal/trust/pki");
    const { key, csr } = await generateKeyAndCsr({ commonName: name });
    const accessToken = newAccessToken();
    const made = prepareBundleDir(dir);
    let created: UserCreated;
    try {
      created = await ctx.client.call("userCreate", {
        body: { name, role, csr, accessTokenHash: accessTokenHash(accessToken), ...(expiryMs ? { expiryMs } : {}) },
      });
    } catch (e) {
      if (made) rmdirSync(dir);
      throw e;
    }
    const files = userBundlePaths(dir);
    try {
      await writeAdminBundle(files, { roots: [created.trust], chain: [created.certificate], key, accessToken });
    } catch (e) {
      throw new CliError(
        "SHOAL_ERR_BUNDLE_DIR",
        `user ${name} was created, but its bundle could not be written to ${dir}: ${(e as Error).message}`,
        `remove the user (\`shoal cluster user rm ${name}\`) and create it again with another --out`,
        { cause: e },
      );
    }
    const manager = (await ctx.client.call("info").catch(() => undefined))?.managerAddr ?? "MANAGER:7070";
    const expires = created.user.certificates.at(-1)?.notAfter ?? "?";
    ctx.out(
      [
        `User ${name} (${role}) created: id ${created.user.id}, its certificate valid until ${expires}.`,
        `Its bundle is in ${dir}: ca.pem, cert.pem, key.pem and access-token (mode 0600). Anyone who has it acts as ${name}: keep it private.`,
        "",
        `To use the cluster as ${name} from any machine, give the shoal command the bundle's directory:`,
        "",
        `    SHOAL_CERT_PATH=${dir} shoal --host ${manager} node ls`,
        "",
        `To sign in to the dashboard (https://${manager}/), give it the access token in ${join(dir, "access-token")}.`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

/** `shoal cluster user ls`. */
export const clusterUserLsCommand: Command = {
  name: "cluster user ls",
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List the users of the API, their roles and when their certificates expire",
  syntax: { options: LIST_OPTIONS },
  run: async (ctx, p) => {
    const users = await ctx.client.call("userList", { query: {} });
    printList(
      ctx,
      p,
      users,
      (u) => u.id,
      () => userTable(users, Date.now()),
    );
    return 0;
  },
};

/** `shoal cluster user rm USER...`. */
export const clusterUserRmCommand: Command = {
  name: "cluster user rm",
  aliases: ["remove"],
  usage: "USER [USER...]",
  summary: "Remove users (by name, id or id prefix): their certificates and access tokens are refused at once",
  syntax: { options: [] },
  run: (ctx, p) =>
    forEachRef(ctx, requireArgs(p, 1, "USER"), async (ref) => {
      await ctx.client.call("userRemove", { params: { ref } });
      ctx.out(`${ref}\n`);
    }),
};
