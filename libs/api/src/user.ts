import { z } from "zod";
import { MetaSchema } from "./common.js";

/**
 * A user's name: what `shoal cluster user create NAME` takes and a user certificate's CN. 1-64 letters, digits,
 * `.`, `_`, `-`, starting with a letter or digit (the same rule as the ids inside Shoal identities).
 */
export const UserNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

/**
 * What a user may do with the API (docs/design/trust.md §4.6): `admin` calls every route; `read-only` sees state
 * and logs, never a secret, and cannot write.
 */
export const UserRoleSchema = z.enum(["admin", "read-only"]);
export type UserRole = z.infer<typeof UserRoleSchema>;

/** What an admin sets on a user. */
export const UserSpecSchema = z.object({ name: UserNameSchema, role: UserRoleSchema });
export type UserSpec = z.infer<typeof UserSpecSchema>;

/** A certificate the cluster's CA issued a user, as the store records it (a user's bundle). */
export const UserCertificateSchema = z.object({
  /** The serial, upper-case hex as Node's X509Certificate prints it. */
  serial: z.string(),
  notAfter: z.string().datetime(),
});
export type UserCertificate = z.infer<typeof UserCertificateSchema>;

/**
 * A user of the API, as the store holds it (kind `user`, internal: it leaves the managers only through the
 * admin routes, without its access token's hash). A request with a user's certificate is the user's only while
 * the store lists that certificate's serial, so removing the user, or the certificate, locks it out at once.
 */
export const UserSchema = MetaSchema.extend({
  spec: UserSpecSchema,
  certificates: z.array(UserCertificateSchema).default([]),
  /** The SHA-256 (hex) of the user's dashboard access token; the token itself is never stored. */
  accessTokenHash: z.string().optional(),
});
export type User = z.infer<typeof UserSchema>;

/**
 * A user as the admin routes show it: the stored object without its access token's hash (no route answers
 * with the hash, so an answer cannot help anyone guess a token offline).
 */
export const UserInfoSchema = UserSchema.omit({ accessTokenHash: true });
export type UserInfo = z.infer<typeof UserInfoSchema>;

/**
 * The shortest and longest validity a user certificate may be given (1 hour, 1 year), as for node
 * certificates (`CERT_EXPIRY_MIN_MS`/`CERT_EXPIRY_MAX_MS` of `@shoal/trust`, which this browser-safe package
 * cannot import).
 */
export const USER_CERT_EXPIRY_MIN_MS = 60 * 60 * 1000;
export const USER_CERT_EXPIRY_MAX_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * What `shoal cluster user create` sends: the user's name and role, a certificate signing request for a key
 * made on the admin's machine (only its public key is used: the certificate names the new user, whatever the
 * CSR says), and the SHA-256 of a dashboard access token made there too (the token itself never leaves it).
 */
export const UserCreateRequestSchema = z.object({
  name: UserNameSchema,
  role: UserRoleSchema,
  csr: z
    .string()
    .min(1, "give a PEM certificate signing request for the user's key")
    .max(8192, "a certificate signing request is at most a few hundred bytes: this is not one"),
  /** SHA-256 (hex) of the user's dashboard access token; without it the user cannot sign in to the dashboard. */
  accessTokenHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "give the SHA-256 of the access token as 64 lower-case hex digits")
    .optional(),
  /** How long the certificate is valid, in ms: 1 hour to 1 year (default 1 year). */
  expiryMs: z
    .number()
    .int()
    .min(USER_CERT_EXPIRY_MIN_MS, "a user certificate is valid for at least 1 hour (3600000 ms)")
    .max(USER_CERT_EXPIRY_MAX_MS, "a user certificate is valid for at most 1 year (31536000000 ms)")
    .optional(),
});
export type UserCreateRequest = z.infer<typeof UserCreateRequestSchema>;

/** A user just created: the user, its certificate chain (leaf first, PEM) and the trust bundle (roots, PEM). */
export const UserCreatedSchema = z.object({ user: UserInfoSchema, certificate: z.string(), trust: z.string() });
export type UserCreated = z.infer<typeof UserCreatedSchema>;
