/**
 * @module Canonical gateway types: every surface translates its wire format to and from these, and every provider
 * translates these to and from its upstream (N surfaces + M providers = N + M translators).
 */

/** Anthropic-style cache marker; ignored by providers that cache automatically. */
export interface CacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

/** One part of a message's content. Binary data is base64 without a data: prefix. */
export type ContentPart =
  | { type: "text"; text: string; cacheControl?: CacheControl }
  | {
      type: "image";
      source: { kind: "url"; url: string } | { kind: "base64"; mediaType: string; data: string };
      cacheControl?: CacheControl;
    }
  | { type: "file"; mediaType: string; data: string; filename?: string; cacheControl?: CacheControl };

/** A tool call made by the assistant; `arguments` is JSON text (parsed at the edges that want an object). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A reasoning block the assistant produced (Anthropic thinking keeps its signature for the next turn). */
export interface Reasoning {
  text: string;
  signature?: string;
}

/** One conversation turn. `content` is always parts: a plain string arrives as one text part. */
export interface Message {
  role: "system" | "user" | "assistant" | "tool";
  content: ContentPart[];
  /** On assistant turns. */
  toolCalls?: ToolCall[];
  /** On assistant turns that carried reasoning. */
  reasoning?: Reasoning[];
  /** On tool turns: the call being answered. */
  toolCallId?: string;
  /** On tool turns: the tool reported an error. */
  isError?: boolean;
  name?: string;
}

/** A function the model may call; `parameters` is a JSON Schema object. */
export interface ToolDefinition {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
  cacheControl?: CacheControl;
}

/** Whether and which tool the model must call. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** The output format asked for; with json_schema the result text is the JSON document. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

/** A chat request after surface translation, before model resolution. */
export interface ChatRequest {
  /** The model as the client named it (`provider/model`, `provider:model`, a bare name or an alias). */
  model: string;
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  /** A label, or a thinking budget in tokens. */
  reasoningEffort?: "minimal" | "low" | "medium" | "high" | number;
  /** Mark tools, system and/or the last message as cache breakpoints (Anthropic). */
  cacheBreakpoints?: { tools?: boolean; system?: boolean; lastMessage?: boolean };
  /** An end-user id to pass upstream for abuse tracking. */
  user?: string;
  /** Headers a client sent that its own family's upstream understands (e.g. `anthropic-beta`). */
  passthroughHeaders?: Record<string, string>;
}

/**
 * Normalised token usage. `inputTokens` EXCLUDES cache reads and writes (OpenAI's prompt_tokens minus cached_tokens;
 * Anthropic's input_tokens as is); `outputTokens` includes reasoning tokens.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens?: number;
}

/** Why generation stopped. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * One streamed piece. Providers yield these in upstream order; the first yield is the first byte a client may see.
 * Tool calls stream as fragments keyed by `index`: the first fragment of a call carries `id` and `name`.
 */
export type ChatChunk =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; signature?: string }
  | { type: "tool_call"; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: "usage"; usage: Usage }
  | { type: "finish"; reason: FinishReason };

/** A whole (non-streamed) chat answer. */
export interface ChatResult {
  text: string;
  reasoning?: Reasoning[];
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The model id the upstream reported, when it did. */
  upstreamModel?: string;
}

/** An embeddings request. */
export interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
}

/** Embedding vectors in input order. */
export interface EmbeddingResult {
  vectors: number[][];
  usage: { inputTokens: number };
}

/** An image generation request. */
export interface ImageRequest {
  model: string;
  prompt: string;
  n: number;
  size?: string;
  quality?: string;
  style?: string;
  background?: string;
  outputFormat?: string;
  /** What the client wants back; providers return what they have and the engine converts. */
  responseFormat: "url" | "b64_json";
}

/** Generated images: a URL the upstream hosts, or base64 data. */
export interface ImageResult {
  images: ({ kind: "url"; url: string } | { kind: "base64"; data: string; mediaType: string })[];
  usage?: { inputTokens: number; outputTokens: number };
}

/** One model as the catalog offers it: the input of the surfaces' model lists. */
export interface ModelListing {
  /** `provider/model`. */
  id: string;
  provider: string;
  model: string;
  type: "chat" | "embedding" | "image";
  /** Credits per token (per image for images) as decimal strings. */
  inputRate: string;
  outputRate: string;
  maxOutputTokens: number | null;
  available: boolean;
  /** Unix seconds. */
  created: number;
}
