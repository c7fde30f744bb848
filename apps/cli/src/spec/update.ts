import type { ServiceSpec, ServiceSpecInput } from "@shoal/api";
import type { ParsedArgs } from "../args/parser.js";
import { applyCommonFlags, containerOf, endpointOf, placementOf } from "./common.js";
import {
  parseEnvEntry,
  parseLabel,
  parseMount,
  parsePlacementPref,
  parsePublish,
  publishRmKey,
  splitWords,
} from "./values.js";

/** The container label `service update --force` bumps so that every task's spec changes and is replaced. */
export const FORCE_UPDATE_LABEL = "shoal.force-update";

const envName = (entry: string): string => entry.split("=")[0] ?? entry;
const portKey = (p: { targetPort: number; protocol?: string | undefined }): string =>
  `${p.targetPort}/${p.protocol ?? "tcp"}`;

/** `list` without the items whose key is in `drop`, then `add` replacing items with the same key. */
function edit<T>(list: readonly T[], key: (x: T) => string, drop: readonly string[], add: readonly T[]): T[] {
  const gone = new Set([...drop, ...add.map(key)]);
  return [...list.filter((x) => !gone.has(key(x))), ...add];
}

function editLabels(
  labels: Readonly<Record<string, string>> | undefined,
  p: ParsedArgs,
  prefix: string,
): Record<string, string> {
  const out = { ...(labels ?? {}) };
  for (const k of p.strings(`${prefix}-rm`)) delete out[k];
  for (const [k, v] of p.strings(`${prefix}-add`).map((x) => parseLabel(x, `${prefix}-add`))) out[k] = v;
  return out;
}

/**
 * The spec `service update [flags] SERVICE` asks for: a copy of `current` with the flags applied (`-add`
 * replaces an entry with the same key, `-rm` removes by key). `current` is not changed.
 */
export function buildUpdateSpec(
  current: ServiceSpec,
  p: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
): ServiceSpecInput {
  const spec = structuredClone(current) as ServiceSpecInput;
  const c = containerOf(spec);
  const image = p.string("image");
  if (image !== undefined) c.image = image;
  const args = p.string("args");
  if (args !== undefined) c.args = splitWords(args, "args");

  c.env = edit(
    c.env ?? [],
    envName,
    p.strings("env-rm"),
    p.strings("env-add").map((e) => parseEnvEntry(e, env)),
  );
  const ep = endpointOf(spec);
  ep.ports = edit(
    ep.ports ?? [],
    portKey,
    p.strings("publish-rm").map(publishRmKey),
    p.strings("publish-add").map((x) => parsePublish(x, "publish-add")),
  );
  c.mounts = edit(
    c.mounts ?? [],
    (m) => m.target,
    p.strings("mount-rm"),
    p.strings("mount-add").map((m) => parseMount(m, "mount-add")),
  );
  const pl = placementOf(spec);
  const normalize = (x: string) => x.replace(/\s+/g, "");
  pl.constraints = edit(
    pl.constraints ?? [],
    normalize,
    p.strings("constraint-rm").map(normalize),
    p.strings("constraint-add"),
  );
  pl.preferences = edit(
    pl.preferences ?? [],
    (x) => x.spread,
    p.strings("placement-pref-rm").map((x) => parsePlacementPref(x, "placement-pref-rm").spread),
    p.strings("placement-pref-add").map((x) => parsePlacementPref(x, "placement-pref-add")),
  );
  spec.labels = editLabels(spec.labels, p, "label");
  c.labels = editLabels(c.labels, p, "container-label");
  if (p.flag("force")) {
    const n = Number(c.labels[FORCE_UPDATE_LABEL] ?? "0");
    c.labels[FORCE_UPDATE_LABEL] = String(Number.isSafeInteger(n) ? n + 1 : 1);
  }
  applyCommonFlags(spec, p);
  return spec;
}
