import type { OptionDef } from "./args/parser.js";
import { GLOBAL_OPTIONS, type Command } from "./context.js";

function optionLines(options: readonly OptionDef[]): string[] {
  const left = options.map(
    (o) =>
      `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}${o.multiple ? " ..." : ""}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `  ${(left[i] as string).padEnd(width)}   ${o.help}`);
}

/** `shoal <command> --help`. */
export function commandHelp(c: Command): string {
  const lines = [`Usage:  shoal ${c.name} ${c.usage}`, "", c.summary, ""];
  if (c.aliases?.length)
    lines.push(
      "Aliases:",
      `  ${[c.name, ...c.aliases.map((a) => `${c.name.split(" ").slice(0, -1).concat(a).join(" ")}`)].join(", ")}`,
      "",
    );
  if (c.syntax.options.length > 0) lines.push("Options:", ...optionLines(c.syntax.options), "");
  lines.push("Global options:", ...optionLines(GLOBAL_OPTIONS));
  return `${lines.join("\n")}\n`;
}

/** `shoal --help` or `shoal <group> --help`: the commands under `prefix` (all when empty). */
export function groupHelp(commands: readonly Command[], prefix: string): string {
  const under = commands.filter((c) => prefix === "" || c.name.startsWith(`${prefix} `));
  const width = Math.max(...under.map((c) => c.name.length));
  const lines = [
    `Usage:  shoal ${prefix ? `${prefix} ` : ""}COMMAND`,
    "",
    prefix ? `Manage ${prefix === "cluster" ? "the cluster" : `${prefix}s`}` : "Shoal: a clustered container scheduler",
    "",
    "Commands:",
    ...under.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`),
    "",
    `Run 'shoal ${prefix ? `${prefix} ` : ""}COMMAND --help' for more information on a command.`,
  ];
  return `${lines.join("\n")}\n`;
}
