/** @module Flag parsing shared by every command: `node:util` parseArgs with usage errors instead of throws. */
import { parseArgs } from "node:util";
import { UsageError } from "./errors";

/** One flag of a command: its type and the line `--help` prints for it. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  help: string;
  /** Shown in help as the value placeholder, e.g. `URL`. */
  value?: string;
}

/** What parseFlags returns: flag values by name and the positional arguments. */
export interface ParsedFlags {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv against the specs; an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>, allowPositionals = true): ParsedFlags {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), multiple: spec.multiple };
  }
  // parseArgs reads "-2" as a flag; a negative number after a string flag is that flag's value.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const takesValue = arg.startsWith("--") && !arg.includes("=") && specs[arg.slice(2)]?.type === "string";
    if (takesValue && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as ParsedFlags["values"], positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify.*$/s, "") : String(error));
  }
}

/** Reads a string flag, or undefined. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === "string" ? value : undefined;
}

/** Reads a string flag that must be present. */
export function requiredFlag(flags: ParsedFlags, name: string): string {
  const value = stringFlag(flags, name);
  if (value === undefined || value === "") throw new UsageError(`missing --${name}`);
  return value;
}

/** Reads an `on|off` (or `true|false`) flag as a boolean, or undefined when absent. */
export function switchFlag(flags: ParsedFlags, name: string): boolean | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (value === "on" || value === "true") return true;
  if (value === "off" || value === "false") return false;
  throw new UsageError(`--${name} must be on or off, not "${value}"`);
}

/** Reads a whole-number flag (≥ `min`); with `clearable`, the word `none` reads as null. */
export function wholeNumberFlag(
  flags: ParsedFlags,
  name: string,
  options: { min?: number; clearable?: boolean } = {},
): number | null | undefined {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (options.clearable && value === "none") return null;
  const min = options.min ?? 0;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    const none = options.clearable ? " or none" : "";
    throw new UsageError(`--${name} must be a whole number${min ? ` of at least ${min}` : ""}${none}, not "${value}"`);
  }
  return Number(value);
}

/** Renders the flag table of a command's `--help`. */
export function formatFlags(specs: Record<string, FlagSpec>): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  --${name}${spec.type === "string" ? ` ${spec.value ?? name.toUpperCase()}` : ""}`;
    return [left, spec.help] as const;
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, help]) => left.padEnd(width) + help).join("\n");
}
