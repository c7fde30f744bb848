import { DatadrivenError } from "./errors.js";
import type { CmdArg } from "./parse-line.js";

/** The fields of one directive, as parsed from a scenario file. */
export interface TestDataInit {
  readonly pos: string;
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  readonly input: string;
  readonly expected: string;
  readonly rewrite?: boolean;
}

const INTEGER = /^[+-]?\d+$/;
const TRUE = new Set(["true", "t", "1", "yes"]);
const FALSE = new Set(["false", "f", "0", "no"]);

/**
 * One directive of a scenario file, handed to the handler: `cmd arg key=value key=(a, b)`, its input lines and
 * its expected output. The typed accessors throw a {@link DatadrivenError} naming `file:line` and the argument.
 * When a key appears more than once, the first occurrence wins.
 */
export class TestData {
  /** `file:line` of the directive line. */
  readonly pos: string;
  /** The command: the first word of the directive line. */
  readonly cmd: string;
  /** The arguments, in the order written. */
  readonly args: readonly CmdArg[];
  /** The lines between the directive and `----`, without leading or trailing blank lines ("" if none). */
  readonly input: string;
  /** The expected output from the file: each line ends with a newline ("" for no output). */
  readonly expected: string;
  /** True when the run rewrites expected outputs (`SHOAL_REWRITE=1`). */
  readonly rewrite: boolean;

  constructor(init: TestDataInit) {
    this.pos = init.pos;
    this.cmd = init.cmd;
    this.args = init.args;
    this.input = init.input;
    this.expected = init.expected;
    this.rewrite = init.rewrite ?? false;
  }

  /** Throws a {@link DatadrivenError} at this directive: `td.fail("unknown node 4")`. */
  fail(message: string, options?: { cause?: unknown }): never {
    throw new DatadrivenError(this.pos, `${this.cmd}: ${message}`, options);
  }

  /** Whether the argument `key` is present, with or without values. */
  has(key: string): boolean {
    return this.args.some((a) => a.key === key);
  }

  /** The argument `key`; throws if it is missing. */
  arg(key: string): CmdArg {
    const found = this.args.find((a) => a.key === key);
    return found ?? this.fail(`missing argument "${key}"`);
  }

  /** The single value of `key=value`; `def` when absent (throws if absent without a default). */
  str(key: string, def?: string): string {
    if (def !== undefined && !this.has(key)) return def;
    const arg = this.arg(key);
    const [val] = arg.vals;
    if (val === undefined || arg.vals.length !== 1) {
      return this.fail(`argument "${key}" needs exactly one value (${key}=<value>), got ${show(arg)}`);
    }
    return val;
  }

  /**
   * The values of `key=(a, b)` or `key=a` (`key=()` and a bare `key` give none); `def` when absent (throws if
   * absent without a default).
   */
  strs(key: string, def?: readonly string[]): string[] {
    if (def !== undefined && !this.has(key)) return [...def];
    return [...this.arg(key).vals];
  }

  /** The integer value of `key=<n>`; `def` when absent (throws if absent without a default). */
  int(key: string, def?: number): number {
    if (def !== undefined && !this.has(key)) return def;
    return this.toInt(key, this.str(key));
  }

  /** The integer values of `key=(1, 2)` or `key=1`; `def` when absent (throws if absent without a default). */
  ints(key: string, def?: readonly number[]): number[] {
    if (def !== undefined && !this.has(key)) return [...def];
    return this.strs(key).map((v) => this.toInt(key, v));
  }

  /**
   * A flag: `key` alone is true, `key=true|false` (also t/f, 1/0, yes/no) is parsed; `def` (false) when absent.
   */
  bool(key: string, def = false): boolean {
    if (!this.has(key)) return def;
    const arg = this.arg(key);
    if (arg.vals.length === 0) return true;
    const val = arg.vals.length === 1 ? arg.vals[0]?.toLowerCase() : undefined;
    if (val !== undefined && TRUE.has(val)) return true;
    if (val !== undefined && FALSE.has(val)) return false;
    return this.fail(`argument "${key}" is a flag: write "${key}" or ${key}=true|false, got ${show(arg)}`);
  }

  private toInt(key: string, val: string): number {
    const n = Number(val);
    if (!INTEGER.test(val) || !Number.isSafeInteger(n)) {
      return this.fail(`argument "${key}": "${val}" is not an integer`);
    }
    return n;
  }
}

function show(arg: CmdArg): string {
  if (arg.vals.length === 0) return `"${arg.key}" without a value`;
  if (arg.vals.length === 1) return `${arg.key}=${arg.vals[0] ?? ""}`;
  return `${arg.key}=(${arg.vals.join(", ")})`;
}
