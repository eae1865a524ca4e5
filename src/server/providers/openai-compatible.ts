/** @module The `openai-compatible` family: OpenAI's wire with `max_tokens`, optional keys and optional stream usage. */
import { createOpenAIProvider } from "./openai";
import type { Provider } from "./types";

/**
 * The provider for OpenAI-shaped APIs (DeepSeek, xAI, OpenRouter, Ollama, vLLM, Groq, …). It differs from `openai`
 * only in sending `max_tokens`; an empty key sends no Authorization header and a stream without usage yields no
 * usage chunk, both of which the shared wire code already does.
 */
export const openaiCompatibleProvider: Provider = createOpenAIProvider({
  type: "openai-compatible",
  maxTokensField: "max_tokens",
});
