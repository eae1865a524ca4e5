/** @module What every client command shares: its shape, and flag parsing that answers `--help`. */
import { type FlagSpec, type ParsedFlags, parseFlags } from "../shared/args";

/** A client command with the one-line summary its parent's help lists; `run` returns the exit code. */
export interface DescribedCommand {
  summary: string;
  run(argv: string[]): Promise<number>;
}

/** Parses argv; on `--help` prints `help` to stdout and returns undefined, so the command just returns 0. */
export function parseOrHelp(argv: string[], flags: Record<string, FlagSpec>, help: string): ParsedFlags | undefined {
  const parsed = parseFlags(argv, flags);
  if (!parsed.values.help) return parsed;
  process.stdout.write(help);
  return undefined;
}
