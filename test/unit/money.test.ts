/** @module Credit arithmetic: exact decimal parsing and formatting, and the once-per-call upward rounding of costs. */
import { describe, expect, test } from "bun:test";
import { AppError } from "../../src/shared/errors";
import {
  costOf,
  formatCredits,
  formatRate,
  MICRO_PER_CREDIT,
  parseCredits,
  parseRate,
  type Rates,
} from "../../src/shared/money";

/** The error a parse threw, for asserting its type and status. */
function thrown(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected the call to throw");
}

const NO_CACHE = { cacheReadTokens: 0, cacheWriteTokens: 0 };

describe("parseCredits", () => {
  test("turns decimal credit strings into exact integer micro-credits", () => {
    expect(parseCredits("1")).toBe(1_000_000n);
    expect(parseCredits("12.5")).toBe(12_500_000n);
    expect(parseCredits("0.000001")).toBe(1n);
    expect(parseCredits("0.000041")).toBe(41n);
    expect(parseCredits("0")).toBe(0n);
    expect(parseCredits(" 7.25 ")).toBe(7_250_000n);
    expect(MICRO_PER_CREDIT).toBe(1_000_000n);
  });

  test("adds exactly where binary floats do not: 0.1 + 0.2 is 0.3", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(parseCredits("0.1") + parseCredits("0.2")).toBe(parseCredits("0.3"));
  });

  test("keeps amounts far beyond a double's 15 significant digits exact", () => {
    expect(parseCredits("123456789012.345678")).toBe(123_456_789_012_345_678n);
    expect(formatCredits(parseCredits("123456789012.345678"))).toBe("123456789012.345678");
  });

  test("accepts trailing zeros beyond six decimals because they do not change the amount", () => {
    expect(parseCredits("1.0000000")).toBe(1_000_000n);
    expect(parseCredits("2.50000000000")).toBe(2_500_000n);
  });

  test("refuses a seventh significant decimal instead of rounding it away", () => {
    const error = thrown(() => parseCredits("1.0000001"));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request");
    expect(error.message).toContain("more than 6 decimal places");
    expect(() => parseCredits("0.0000005")).toThrow(AppError);
  });

  test("refuses negative amounts unless the caller allows them, and then keeps the sign exactly", () => {
    expect(thrown(() => parseCredits("-3")).message).toContain("non-negative");
    expect(parseCredits("-3", "amount", true)).toBe(-3_000_000n);
    expect(parseCredits("-0.000001", "amount", true)).toBe(-1n);
    expect(() => parseCredits("-1.0000001", "amount", true)).toThrow("more than 6 decimal places");
  });

  test("refuses everything that is not a plain decimal number, naming the field", () => {
    for (const bad of [
      "abc",
      "",
      " ",
      "1e-7",
      "1E3",
      "1.",
      ".5",
      "+1",
      "1,5",
      "0x10",
      "1 000",
      "--1",
      "NaN",
      "Infinity",
    ]) {
      const error = thrown(() => parseCredits(bad, "amount", true));
      expect(error.status).toBe(400);
      expect(error.message).toContain("amount");
    }
    expect(thrown(() => parseCredits("abc", "dailyBudget")).message).toStartWith('dailyBudget "abc"');
  });
});

describe("formatCredits", () => {
  test("renders micro-credits as plain decimal strings without exponent notation", () => {
    expect(formatCredits(1n)).toBe("0.000001");
    expect(formatCredits(41n)).toBe("0.000041");
    expect(formatCredits(1_000_000n)).toBe("1");
    expect(formatCredits(12_500_000n)).toBe("12.5");
    expect(formatCredits(0n)).toBe("0");
    expect(formatCredits(0)).toBe("0");
    expect(formatCredits(150)).toBe("0.00015");
    expect(String(0.000001)).toBe("0.000001");
    expect(String(1e-7)).toBe("1e-7");
    for (const micro of [1n, 7n, 10n, 99n, 100_000n]) expect(formatCredits(micro)).not.toContain("e");
  });

  test("renders debits with a leading minus sign", () => {
    expect(formatCredits(-2_500_000n)).toBe("-2.5");
    expect(formatCredits(-1n)).toBe("-0.000001");
    expect(formatCredits(-3_000_000)).toBe("-3");
  });

  test("round-trips every amount it parses", () => {
    for (const text of ["0", "0.000001", "0.5", "1", "75000", "100000.123456", "-42.000007"]) {
      expect(formatCredits(parseCredits(text, "amount", true))).toBe(text);
    }
  });
});

describe("parseRate and formatRate", () => {
  test("turns a per-token rate into exact micro-credits per million tokens", () => {
    expect(parseRate("0.00000015")).toBe(150_000);
    expect(parseRate("0.000001")).toBe(1_000_000);
    expect(parseRate("0.000002")).toBe(2_000_000);
    expect(parseRate("0.000000000001")).toBe(1);
    expect(parseRate("0")).toBe(0);
    expect(parseRate("0.04")).toBe(40_000_000_000);
  });

  test("formats rates back as the plain decimal the operator typed", () => {
    expect(formatRate(150_000)).toBe("0.00000015");
    expect(formatRate(1)).toBe("0.000000000001");
    expect(formatRate(40_000_000_000)).toBe("0.04");
    expect(formatRate(0)).toBe("0");
    for (const text of ["0.00000015", "0.0000006", "0.000003", "0.000015", "1.5"]) {
      expect(formatRate(parseRate(text))).toBe(text);
    }
  });

  test("refuses more than 12 decimals, negative rates, non-numbers and rates too large to hold exactly", () => {
    expect(thrown(() => parseRate("0.0000000000001")).message).toContain("more than 12 decimal places");
    expect(thrown(() => parseRate("-0.000001")).status).toBe(400);
    expect(thrown(() => parseRate("1e-6", "inputRate")).message).toStartWith('inputRate "1e-6"');
    expect(thrown(() => parseRate("10000")).message).toContain("too large");
    expect(parseRate("9000")).toBe(9_000_000_000_000_000);
  });
});

describe("costOf", () => {
  const rates: Rates = { inputRate: parseRate("0.000001"), outputRate: parseRate("0.000002"), cachedInputRate: null };

  test("charges input and output tokens at their rates, exactly", () => {
    expect(costOf({ inputTokens: 10, outputTokens: 20, ...NO_CACHE }, rates)).toBe(50n);
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0, ...NO_CACHE }, rates)).toBe(1_000_000n);
    expect(costOf({ inputTokens: 0, outputTokens: 0, ...NO_CACHE }, rates)).toBe(0n);
  });

  test("rounds up once per call, not once per part", () => {
    const cheap: Rates = {
      inputRate: parseRate("0.00000015"),
      outputRate: parseRate("0.00000015"),
      cachedInputRate: null,
    };
    // 3 × 0.15 + 3 × 0.15 = 0.9 micro-credits: one rounding gives 1; rounding each part up would give 2.
    expect(costOf({ inputTokens: 3, outputTokens: 3, ...NO_CACHE }, cheap)).toBe(1n);
    // An exact amount is not rounded at all.
    expect(costOf({ inputTokens: 1000, outputTokens: 0, ...NO_CACHE }, cheap)).toBe(150n);
    // The smallest fraction above a whole micro-credit still rounds up.
    const tiny: Rates = { inputRate: 1, outputRate: 0, cachedInputRate: null };
    expect(costOf({ inputTokens: 1, outputTokens: 0, ...NO_CACHE }, tiny)).toBe(1n);
    expect(costOf({ inputTokens: 1_000_001, outputTokens: 0, ...NO_CACHE }, tiny)).toBe(2n);
  });

  test("prices cache reads at the cached rate, or the input rate when none is set, and cache writes at the input rate", () => {
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 100, cacheWriteTokens: 0 };
    expect(costOf(usage, rates)).toBe(100n);
    expect(costOf(usage, { ...rates, cachedInputRate: parseRate("0.0000001") })).toBe(10n);
    expect(costOf({ ...usage, cacheReadTokens: 0, cacheWriteTokens: 40 }, rates)).toBe(40n);
  });

  test("stays exact for token counts and rates whose product overflows a double's integer range", () => {
    const dear: Rates = { inputRate: parseRate("123.456789012345"), outputRate: 0, cachedInputRate: null };
    const cost = costOf({ inputTokens: 1_000_000_000, outputTokens: 0, ...NO_CACHE }, dear);
    expect(cost).toBe(123_456_789_012_345_000n);
    expect(formatCredits(cost)).toBe("123456789012.345");
  });
});
