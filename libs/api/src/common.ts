import { z } from "zod";

/** An object id: lowercase letters and digits, as the store generates them. */
export const IdSchema = z.string().regex(/^[a-z0-9]{1,64}$/, "an id is 1-64 lowercase letters and digits");

/** A name usable as a DNS label (services, networks, nodes' hostnames): `[A-Za-z0-9][A-Za-z0-9_.-]{0,62}`. */
export const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
  );

/** User labels: keys of 1-128 characters without spaces or '=', values up to 4096 characters. */
export const LabelsSchema = z.record(
  z.string().regex(/^[^\s=]{1,128}$/, "a label key is 1-128 characters, no spaces and no '='"),
  z.string().max(4096),
);

/** A duration in milliseconds. */
export const DurationMsSchema = z.number().int().nonnegative();

/** What every stored object carries. `version` is the Raft index of its last write (optimistic concurrency). */
export const MetaSchema = z.object({
  id: IdSchema,
  version: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Meta = z.infer<typeof MetaSchema>;
