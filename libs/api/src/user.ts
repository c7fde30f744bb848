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
