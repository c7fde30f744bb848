import { clientError, ServiceSpecSchema, type ServiceSpec, type ServiceSpecInput } from "@shoal/api";

/** Which flag sets which field of the spec, to point the user at the flag to fix. Longest prefix wins. */
const FIELD_FLAGS: readonly [string, string][] = [
  ["name", "--name"],
  ["mode.replicas", "--replicas"],
  ["taskTemplate.container.image", "IMAGE"],
  ["taskTemplate.container.env", "--env"],
  ["taskTemplate.container.workdir", "--workdir"],
  ["taskTemplate.container.mounts", "--mount"],
  ["taskTemplate.container.labels", "--container-label"],
  ["taskTemplate.container.healthcheck", "--health-cmd"],
  ["taskTemplate.container.security", "--security-opt"],
  ["taskTemplate.resources.limits.memoryBytes", "--limit-memory"],
  ["taskTemplate.resources.limits.cpus", "--limit-cpu"],
  ["taskTemplate.resources.limits.pids", "--limit-pids"],
  ["taskTemplate.resources.reservations.cpus", "--reserve-cpu"],
  ["taskTemplate.resources.reservations.memoryBytes", "--reserve-memory"],
  ["taskTemplate.placement.constraints", "--constraint"],
  ["taskTemplate.placement.preferences", "--placement-pref"],
  ["taskTemplate.networks", "--network"],
  ["endpoint.ports", "--publish"],
  ["endpoint.mode", "--endpoint-mode"],
  ["labels", "--label"],
];

/** The flag that sets `field` (a dotted path), if one does. */
export function flagForField(field: string): string | undefined {
  let best: [string, string] | undefined;
  for (const entry of FIELD_FLAGS) {
    const [prefix] = entry;
    if ((field === prefix || field.startsWith(`${prefix}.`)) && (!best || prefix.length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/**
 * Checks a spec with the API's own schema before sending it, so mistakes are reported without a round trip
 * and with the same messages. Throws ApiError 400 (SHOAL_ERR_INVALID_ARGUMENT) naming each field and its flag.
 */
export function validateServiceSpec(spec: ServiceSpecInput): ServiceSpec {
  const r = ServiceSpecSchema.safeParse(spec);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const field = i.path.map(String).join(".");
    const flag = flagForField(field);
    return { field, message: flag ? `${i.message} (${flag})` : i.message };
  });
  throw clientError("SHOAL_ERR_INVALID_ARGUMENT", "invalid service spec", issues);
}
