/** @module `admin provider set`, `admin model set`, `admin model alias`: the model catalog from the command line. */
import { requiredFlag, stringFlag, switchFlag, wholeNumberFlag } from "../../shared/args";
import type { AdminCommand } from ".";

/** Adds or updates a provider; a second call with the same name and another key adds a credential. */
export const providerSet: AdminCommand = {
  words: ["provider", "set"],
  summary: "add or update a provider; the same name with another --api-key adds a credential",
  flags: {
    name: { type: "string", value: "N", help: "provider name, used as the model prefix (openai/…)" },
    type: { type: "string", value: "T", help: "openai | anthropic | gemini | openai-compatible" },
    "base-url": {
      type: "string",
      value: "URL",
      help: "the base URL its official SDK takes (default: the official one)",
    },
    "api-key": { type: "string", value: "K", help: "a provider API key (stored encrypted)" },
    weight: { type: "string", value: "W", help: "this credential's share of traffic (default 100)" },
    enabled: { type: "string", value: "on|off", help: "serve through this provider (default on)" },
    default: { type: "boolean", help: "route bare model names to this provider first" },
  },
  examples: [
    'aigne-hub admin provider set --name openai --type openai --api-key "$OPENAI_API_KEY"',
    'aigne-hub admin provider set --name deepseek --type openai-compatible --base-url https://api.deepseek.com/v1 --api-key "$KEY" --weight 50',
  ],
  async run({ flags, services, print }) {
    const name = requiredFlag(flags, "name");
    const result = await services.catalog.setProvider({
      name,
      type: requiredFlag(flags, "type"),
      baseUrl: stringFlag(flags, "base-url"),
      apiKey: stringFlag(flags, "api-key"),
      weight: wholeNumberFlag(flags, "weight", { min: 1 }) ?? undefined,
      enabled: switchFlag(flags, "enabled"),
    });
    if (flags.values.default) await services.catalog.setSetting("gateway.defaultProvider", result.provider.name);
    print(
      JSON.stringify({
        provider: result.provider.name,
        type: result.provider.type,
        baseUrl: result.provider.baseUrl,
        created: result.created,
        credentialId: result.credentialId ?? null,
        credentialAdded: result.credentialAdded,
      }),
    );
  },
};

/** Enables a model with its rates (credits per token, decimal strings). */
export const modelSet: AdminCommand = {
  words: ["model", "set"],
  summary: "enable provider/model with its rates in credits per token (per image for image models)",
  flags: {
    model: { type: "string", value: "provider/name", help: "the model, prefixed with a configured provider" },
    "input-rate": { type: "string", value: "R", help: "credits per input token, e.g. 0.00000015" },
    "output-rate": { type: "string", value: "R", help: "credits per output token (per image for image models)" },
    "cached-input-rate": {
      type: "string",
      value: "R",
      help: "credits per cached input token (default: the input rate)",
    },
    "max-output-tokens": {
      type: "string",
      value: "N",
      help: "output cap sent upstream and used for the credit hold when a request sets none",
    },
    type: { type: "string", value: "T", help: "chat | embedding | image (default chat)" },
    fallback: { type: "string", value: "provider/name", help: "model to try when every credential of this one fails" },
    enabled: { type: "string", value: "on|off", help: "serve this model (default on)" },
  },
  examples: [
    "aigne-hub admin model set --model openai/gpt-4o-mini --input-rate 0.00000015 --output-rate 0.0000006",
    "aigne-hub admin model set --model openai/text-embedding-3-small --type embedding --input-rate 0.00000002",
  ],
  async run({ flags, services, print }) {
    const fallback = stringFlag(flags, "fallback");
    const result = await services.catalog.setModel({
      model: requiredFlag(flags, "model"),
      type: stringFlag(flags, "type"),
      inputRate: stringFlag(flags, "input-rate"),
      outputRate: stringFlag(flags, "output-rate"),
      cachedInputRate: stringFlag(flags, "cached-input-rate"),
      maxOutputTokens: wholeNumberFlag(flags, "max-output-tokens", { min: 1 }),
      fallbackModel: fallback === undefined ? undefined : fallback || null,
      enabled: switchFlag(flags, "enabled"),
    });
    print(JSON.stringify({ model: result.id, type: result.model.type, created: result.created }));
  },
};

/** Points an alias at a model, or removes it. */
export const modelAlias: AdminCommand = {
  words: ["model", "alias"],
  summary: "make a model name stand for provider/model (e.g. the AIGNE client's default openai/gpt-5-mini)",
  flags: {
    alias: { type: "string", value: "NAME", help: "the name clients send" },
    model: { type: "string", value: "provider/name", help: "what it stands for" },
    remove: { type: "boolean", help: "remove the alias instead" },
  },
  examples: ["aigne-hub admin model alias --alias openai/gpt-5-mini --model openai/gpt-4o-mini"],
  async run({ flags, services, print }) {
    const alias = requiredFlag(flags, "alias");
    const target = flags.values.remove ? null : requiredFlag(flags, "model");
    await services.catalog.setAlias(alias, target);
    print(JSON.stringify({ alias, model: target }));
  },
};
