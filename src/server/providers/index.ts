/** @module The provider registry: one Provider per configured family. */
import { anthropicProvider } from "./anthropic";
import { geminiProvider } from "./gemini";
import { openaiProvider } from "./openai";
import { openaiCompatibleProvider } from "./openai-compatible";
import type { Provider, ProviderType } from "./types";

const providers: Record<ProviderType, Provider> = {
  openai: openaiProvider,
  "openai-compatible": openaiCompatibleProvider,
  anthropic: anthropicProvider,
  gemini: geminiProvider,
};

/** Returns the provider that speaks a family's upstream wire. */
export function providerFor(type: ProviderType): Provider {
  return providers[type];
}
