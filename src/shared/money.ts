/**
 * @module Credit arithmetic, exact: balances are integer micro-credits (1 credit = 1,000,000), rates are integer
 * micro-credits per million tokens (a per-token rate with up to 12 decimals, exactly). Never a binary float.
 */
import { invalidRequest } from "./errors";

/** Micro-credits in one credit. */
export const MICRO_PER_CREDIT = 1_000_000n;
const RATE_SCALE_DECIMALS = 12;
const AMOUNT_DECIMALS = 6;

function parseDecimal(text: string, decimals: number, what: string, allowNegative: boolean): bigint {
  const trimmed = text.trim();
  const match = /^(-)?(\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (!match || (match[1] && !allowNegative)) {
    throw invalidRequest(`${what} "${text}" is not a ${allowNegative ? "" : "non-negative "}decimal number`);
  }
  const fraction = match[3] ?? "";
  if (fraction.replace(/0+$/, "").length > decimals) {
    throw invalidRequest(`${what} "${text}" has more than ${decimals} decimal places`);
  }
  const value = BigInt(match[2]! + fraction.padEnd(decimals, "0").slice(0, decimals));
  return match[1] ? -value : value;
}

function formatScaled(value: bigint, decimals: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Parses a credits amount ("12.5", "-3") into micro-credits; at most 6 decimals. */
export function parseCredits(text: string, what = "amount", allowNegative = false): bigint {
  return parseDecimal(text, AMOUNT_DECIMALS, what, allowNegative);
}

/** Formats micro-credits as a plain decimal string in credits ("0.000041"), never in exponent notation. */
export function formatCredits(micro: bigint | number): string {
  return formatScaled(BigInt(micro), AMOUNT_DECIMALS);
}

/** Parses a per-token rate in credits ("0.00000015") into micro-credits per million tokens. */
export function parseRate(text: string, what = "rate"): number {
  const value = parseDecimal(text, RATE_SCALE_DECIMALS, what, false);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidRequest(`${what} "${text}" is too large`);
  return Number(value);
}

/** Formats micro-credits per million tokens back into a per-token rate in credits. */
export function formatRate(microPerMillion: number): string {
  return formatScaled(BigInt(microPerMillion), RATE_SCALE_DECIMALS);
}

/** Token counts of one call, by how they are priced. */
export interface PricedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Rates of one model in micro-credits per million tokens; cached input falls back to the input rate. */
export interface Rates {
  inputRate: number;
  outputRate: number;
  cachedInputRate: number | null;
}

/** The cost of a call in micro-credits: exact products, rounded up once per call. */
export function costOf(usage: PricedUsage, rates: Rates): bigint {
  const cached = BigInt(rates.cachedInputRate ?? rates.inputRate);
  const scaled =
    BigInt(usage.inputTokens) * BigInt(rates.inputRate) +
    BigInt(usage.outputTokens) * BigInt(rates.outputRate) +
    BigInt(usage.cacheReadTokens) * cached +
    BigInt(usage.cacheWriteTokens) * BigInt(rates.inputRate);
  return (scaled + 999_999n) / 1_000_000n;
}
