/**
 * @module `admin credits grant|codes`, `admin key limits`, `admin settings set`: billing (and whether calls store their
 * contents) from the command line.
 */
import { requiredFlag, stringFlag, switchFlag, wholeNumberFlag } from "../../shared/args";
import { UsageError } from "../../shared/errors";
import { describeAccount } from "../services/credits";
import type { AdminCommand } from ".";

/** Grants credits to a user (a negative amount debits, never below what is available). */
export const creditsGrant: AdminCommand = {
  words: ["credits", "grant"],
  summary: "grant credits to a user (negative debits, never below zero); prints the new balance as JSON",
  flags: {
    email: { type: "string", value: "E", help: "the user's email" },
    amount: { type: "string", value: "N", help: "credits as a decimal string, e.g. 100 or -2.5" },
    note: { type: "string", value: "T", help: "why, kept in the ledger" },
    "idempotency-key": { type: "string", value: "K", help: "apply this grant only once, however often it is run" },
  },
  examples: [
    "aigne-hub admin credits grant --email ann@example.com --amount 100 --note welcome --idempotency-key welcome-ann",
  ],
  async run({ flags, services, print }) {
    const user = await services.accounts.requireUserByEmail(requiredFlag(flags, "email"));
    const result = await services.credits.grant({
      userId: user.id,
      amount: requiredFlag(flags, "amount"),
      note: stringFlag(flags, "note"),
      idempotencyKey: stringFlag(flags, "idempotency-key"),
    });
    print(JSON.stringify({ email: user.email, applied: result.applied, ...describeAccount(result.account) }));
  },
};

/** Creates single-use redeem codes and prints them, one per line. */
export const creditsCodes: AdminCommand = {
  words: ["credits", "codes"],
  summary: "create single-use redeem codes worth --amount credits each; prints the codes, one per line",
  flags: {
    amount: { type: "string", value: "N", help: "credits per code" },
    count: { type: "string", value: "C", help: "how many codes (default 1, at most 1000)" },
    note: { type: "string", value: "T", help: "a note kept with the codes" },
  },
  examples: ["aigne-hub admin credits codes --amount 20 --count 5 --note meetup"],
  async run({ flags, services, print }) {
    const codes = await services.credits.createRedeemCodes({
      amount: requiredFlag(flags, "amount"),
      count: wholeNumberFlag(flags, "count", { min: 1 }) ?? undefined,
      note: stringFlag(flags, "note"),
    });
    for (const code of codes) print(code);
  },
};

/** Sets a hub key's limits. */
export const keyLimits: AdminCommand = {
  words: ["key", "limits"],
  summary: "set a hub key's requests/min, tokens/min and credit budgets per UTC day/month (none clears)",
  flags: {
    id: { type: "string", value: "ID", help: "the key's id (from key list)" },
    rpm: { type: "string", value: "N|none", help: "requests per minute" },
    tpm: { type: "string", value: "N|none", help: "tokens per minute" },
    "daily-budget": { type: "string", value: "CREDITS|none", help: "credits per UTC day" },
    "monthly-budget": { type: "string", value: "CREDITS|none", help: "credits per UTC month" },
  },
  examples: ["aigne-hub admin key limits --id 01J… --rpm 60 --daily-budget 5"],
  async run({ flags, services, print }) {
    const budget = (flag: string) => {
      const value = stringFlag(flags, flag);
      return value === "none" ? null : value;
    };
    const limits = await services.accounts.setKeyLimits({
      id: requiredFlag(flags, "id"),
      rpm: wholeNumberFlag(flags, "rpm", { min: 1, clearable: true }),
      tpm: wholeNumberFlag(flags, "tpm", { min: 1, clearable: true }),
      dailyBudget: budget("daily-budget"),
      monthlyBudget: budget("monthly-budget"),
    });
    print(JSON.stringify(limits));
  },
};

/** Changes operator settings: credits on/off, the payment link, lenient admission, storing call contents. */
export const settingsSet: AdminCommand = {
  words: ["settings", "set"],
  summary: "turn credits on or off, set the payment link, lenient admission, or storing prompts and outputs",
  flags: {
    credits: { type: "string", value: "on|off", help: "bill calls against credits (default on)" },
    "payment-link": { type: "string", value: "URL", help: "where users buy credits (empty: the hub's own page)" },
    lenient: {
      type: "string",
      value: "on|off",
      help: "admit any call while the balance is positive (bounded overdraft)",
    },
    "store-content": {
      type: "string",
      value: "on|off",
      help: "store each call's prompt and output with its record (default off)",
    },
  },
  examples: [
    "aigne-hub admin settings set --credits off",
    "aigne-hub admin settings set --payment-link https://example.com/buy",
    "aigne-hub admin settings set --store-content on",
  ],
  async run({ flags, services, print }) {
    const enabled = switchFlag(flags, "credits");
    const lenient = switchFlag(flags, "lenient");
    const storeContent = switchFlag(flags, "store-content");
    const link = stringFlag(flags, "payment-link");
    if (link) {
      try {
        if (!/^https?:$/.test(new URL(link).protocol)) throw new Error("scheme");
      } catch {
        throw new UsageError("--payment-link must be an absolute http(s) URL");
      }
    }
    if (enabled !== undefined) await services.catalog.setSetting("credits.enabled", enabled);
    if (lenient !== undefined) await services.catalog.setSetting("credits.lenient", lenient);
    if (link !== undefined) await services.catalog.setSetting("credits.paymentLink", link || null);
    if (storeContent !== undefined) await services.catalog.setSetting("audit.storeContent", storeContent);
    const view = await services.catalog.view();
    print(JSON.stringify({ ...(await services.credits.settings()), storeContent: view.storeContent }));
  },
};
