import { UsageError } from "../errors.js";

/** One flag a command accepts. */
export interface OptionDef {
  /** Long name without the dashes: `replicas` for `--replicas`. */
  readonly name: string;
  /** One-letter alias: `e` for `-e`. */
  readonly short?: string;
  readonly type: "string" | "boolean";
  /** May be given more than once (values are collected in order). */
  readonly multiple?: boolean;
  /** Placeholder shown in help: `N`, `DURATION`. */
  readonly value?: string;
  readonly help: string;
}

/** A string flag (`multiple` in `extra` to repeat it). */
export const stringOption = (name: string, value: string, help: string, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  type: "string",
  value,
  help,
  ...extra,
});
/** A repeatable string flag. */
export const listOption = (name: string, value: string, help: string, extra: Partial<OptionDef> = {}): OptionDef =>
  stringOption(name, value, help, { multiple: true, ...extra });
/** A boolean flag. */
export const booleanOption = (name: string, help: string, extra: Partial<OptionDef> = {}): OptionDef => ({
  name,
  type: "boolean",
  help,
  ...extra,
});

/** How a command's arguments are read. */
export interface Syntax {
  readonly options: readonly OptionDef[];
  /**
   * Stop reading flags at the first positional argument (`service create IMAGE COMMAND ARG...`: the
   * command's own flags belong to the command).
   */
  readonly stopAtPositional?: boolean;
}

/** Parsed flags and positional arguments of one command. */
export class ParsedArgs {
  constructor(
    private readonly values: ReadonlyMap<string, string[] | boolean>,
    readonly positionals: readonly string[],
    /** The command, for messages (`service create`). */
    readonly command: string,
  ) {}

  /** Whether the flag was given at all. */
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The last value of a string flag. */
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? v[v.length - 1] : undefined;
  }

  /** Every value of a repeatable string flag, comma lists not split. */
  strings(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? [...v] : [];
  }

  /** A boolean flag. */
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  /** A UsageError for this command. */
  usage(message: string): UsageError {
    return new UsageError(message, this.command);
  }
}

/**
 * Reads `argv` by `syntax`: `--name value`, `--name=value`, `-n value`, `-nvalue`, grouped boolean shorts
 * (`-dq`), `--` ends the flags. Unknown flags and missing values are UsageErrors naming the flag.
 */
export function parseArgs(argv: readonly string[], syntax: Syntax, command: string): ParsedArgs {
  const byLong = new Map(syntax.options.map((o) => [o.name, o]));
  const byShort = new Map(syntax.options.filter((o) => o.short).map((o) => [o.short as string, o]));
  const values = new Map<string, string[] | boolean>();
  const positionals: string[] = [];
  const set = (o: OptionDef, v: string | boolean, shown: string) => {
    if (o.type === "boolean") {
      if (typeof v === "string") {
        if (!["true", "false", "1", "0"].includes(v))
          throw new UsageError(`invalid value ${JSON.stringify(v)} for ${shown}: use true or false`, command);
        values.set(o.name, v === "true" || v === "1");
      } else values.set(o.name, v);
      return;
    }
    const prev = values.get(o.name);
    values.set(o.name, o.multiple && Array.isArray(prev) ? [...prev, v as string] : [v as string]);
  };
  let i = 0;
  const takeValue = (shown: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`flag needs an argument: ${shown}`, command);
    i++;
    return v;
  };
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const o = byLong.get(name);
      if (!o) throw new UsageError(`unknown flag: --${name}`, command);
      if (eq >= 0) set(o, arg.slice(eq + 1), `--${name}`);
      else set(o, o.type === "boolean" ? true : takeValue(`--${name}`), `--${name}`);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      // -abc: boolean shorts grouped, or one short with its value attached.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] as string;
        const o = byShort.get(letter);
        if (!o) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`, command);
        if (o.type === "boolean") {
          set(o, true, `-${letter}`);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, "");
        set(o, rest !== "" ? rest : takeValue(`-${letter}`), `-${letter}`);
        break;
      }
      continue;
    }
    if (syntax.stopAtPositional) {
      positionals.push(...argv.slice(i));
      break;
    }
    positionals.push(arg);
  }
  return new ParsedArgs(values, positionals, command);
}
