/** @module Interactive prompts (@clack/prompts) that only run on a terminal; elsewhere the missing input is a usage error. */
import * as p from "@clack/prompts";
import { UsageError } from "../shared/errors";

/** Thrown when the user cancels a prompt (Ctrl-C or Esc); the CLI exits 130. */
export class PromptCancelled extends Error {
  override readonly name = "PromptCancelled";
}

/** Fails with a usage error naming `missing` unless stdin is a terminal a prompt can read. */
export function requireTerminal(isTTY: boolean, missing: string): void {
  if (!isTTY) throw new UsageError(`missing ${missing} (stdin is not a terminal, so it cannot be asked for)`);
}

/** Prompts draw on stderr, so stdout keeps only results even on a terminal. */
const output = process.stderr;

function answered<T>(value: T | symbol): T {
  if (p.isCancel(value)) throw new PromptCancelled("cancelled");
  return value as T;
}

/** Asks to pick one of `options`, or fails naming `missing` off a terminal. */
export async function choose<T extends string>(input: {
  isTTY: boolean;
  missing: string;
  message: string;
  options: { value: T; label: string; hint?: string }[];
}): Promise<T> {
  requireTerminal(input.isTTY, input.missing);
  // clack's option type is a conditional type over T; the mapped copy is the same data.
  const options = input.options.map((o) => ({ value: o.value, label: o.label, hint: o.hint })) as p.Option<T>[];
  return answered<T>(await p.select<T>({ message: input.message, options, output }));
}

/** Asks for a line of text, or fails naming `missing` off a terminal. */
export async function ask(input: {
  isTTY: boolean;
  missing: string;
  message: string;
  placeholder?: string;
  validate?: (value: string) => string | undefined;
}): Promise<string> {
  requireTerminal(input.isTTY, input.missing);
  const value = await p.text({
    message: input.message,
    placeholder: input.placeholder,
    validate: (text) => input.validate?.(text ?? ""),
    output,
  });
  return answered<string>(value);
}

/** Asks a yes/no question; off a terminal the answer is `fallback` without asking. */
export async function confirm(input: { isTTY: boolean; message: string; fallback: boolean }): Promise<boolean> {
  if (!input.isTTY) return input.fallback;
  return answered<boolean>(await p.confirm({ message: input.message, initialValue: input.fallback, output }));
}
