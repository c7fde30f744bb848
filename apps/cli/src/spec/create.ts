import type { ServiceSpecInput } from "@shoal/api";
import type { ParsedArgs } from "../args/parser.js";
import { applyCommonFlags, endpointOf, placementOf } from "./common.js";
import { choice, parseEnvEntry, parseLabels, parseMount, parsePlacementPref, parsePublish } from "./values.js";

/**
 * A name for a service created without `--name`: the image's last path part without tag or digest, made a
 * valid name, and `suffix` (a few random letters the caller picks) to keep it unique.
 */
export function defaultServiceName(image: string, suffix: string): string {
  const base = (image.split("@")[0] ?? image).split("/").pop()?.split(":")[0] ?? "";
  const clean = base
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 50);
  return `${clean || "service"}-${suffix}`;
}

/**
 * The spec `service create [flags] IMAGE [COMMAND] [ARG...]` asks for, before validation. `env` resolves bare
 * `-e NAME`; `suffix` makes the default name. Malformed flag values are UsageErrors naming the flag.
 */
export function buildCreateSpec(
  p: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
  suffix: string,
): ServiceSpecInput {
  const [image, ...args] = p.positionals;
  if (image === undefined || image === "") throw p.usage("requires at least 1 argument: IMAGE");
  const spec: ServiceSpecInput = {
    name: p.string("name") ?? defaultServiceName(image, suffix),
    taskTemplate: { container: { image } },
  };
  const c = spec.taskTemplate.container;
  if (args.length > 0) c.args = args;

  const mode = p.string("mode");
  if (mode !== undefined && choice("mode", mode, ["replicated", "global"] as const) === "global")
    spec.mode = { mode: "global" };

  const env_ = p.strings("env").map((e) => parseEnvEntry(e, env));
  if (env_.length > 0) c.env = env_;
  const mounts = p.strings("mount").map((m) => parseMount(m));
  if (mounts.length > 0) c.mounts = mounts;
  if (p.has("label")) spec.labels = parseLabels(p.strings("label"), "label");
  if (p.has("container-label")) c.labels = parseLabels(p.strings("container-label"), "container-label");

  const ports = p.strings("publish").map((x) => parsePublish(x));
  if (ports.length > 0) endpointOf(spec).ports = ports;
  if (p.has("constraint")) placementOf(spec).constraints = p.strings("constraint");
  if (p.has("placement-pref"))
    placementOf(spec).preferences = p.strings("placement-pref").map((x) => parsePlacementPref(x));
  if (p.has("network")) spec.taskTemplate.networks = p.strings("network").map((target) => ({ target }));

  applyCommonFlags(spec, p);
  return spec;
}
