/** @module The `openai` family: Chat Completions, embeddings, images and the model list over plain fetch. */
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParams,
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import type { ImageGenerateParams, ImagesResponse } from "openai/resources/images";
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  Message,
  ToolChoice,
  ToolDefinition,
  Usage,
} from "../services/gateway/types";
import {
  classifyErrorType,
  classifyStatus,
  joinUrl,
  parseFrame,
  readJson,
  readSse,
  scrub,
  streamEndedEarly,
  upstreamFetch,
} from "./http";
import { type Provider, type ProviderTarget, UpstreamFailure } from "./types";

/** What differs between OpenAI itself and the APIs shaped like it. */
export interface OpenAIWireOptions {
  type: "openai" | "openai-compatible";
  /** OpenAI wants `max_completion_tokens` (reasoning models reject `max_tokens`); most look-alikes only know `max_tokens`. */
  maxTokensField: "max_completion_tokens" | "max_tokens";
}

/** Reasoning text as DeepSeek-style (`reasoning_content`) and OpenRouter-style (`reasoning`) upstreams send it. */
interface ReasoningFields {
  reasoning_content?: string | null;
  reasoning?: string | null;
}

/** Usage with DeepSeek's cache-hit field beside OpenAI's. */
type UpstreamUsage = CompletionUsage & { prompt_cache_hit_tokens?: number };

/** An in-stream error frame (`data: {"error":{…}}`). */
interface ErrorFrame {
  error?: { message?: string; type?: string; code?: string | number | null } | string;
}

/** Builds an OpenAI-wire provider; `openai-compatible` reuses it with its own options. */
export function createOpenAIProvider({
  type = "openai",
  maxTokensField = "max_completion_tokens",
}: Partial<OpenAIWireOptions> = {}): Provider {
  const wire: OpenAIWireOptions = { type, maxTokensField };
  return {
    type,
    chatStream: (request, target, signal) => streamOpenAIChat(request, target, signal, wire),
    chat: (request, target, signal) => completeOpenAIChat(request, target, signal, wire),
    embed: async function embedOpenAI(request, target, signal) {
      const body: EmbeddingCreateParams = { model: target.model, input: request.input, encoding_format: "float" };
      if (request.dimensions !== undefined) body.dimensions = request.dimensions;
      const response = await upstreamFetch(call(wire, target, signal, "/embeddings", body));
      const result = await readJson<CreateEmbeddingResponse>(response, wire.type, signal);
      const ordered = [...result.data].sort((a, b) => a.index - b.index);
      return {
        vectors: ordered.map((item) => item.embedding),
        usage: { inputTokens: result.usage?.prompt_tokens ?? 0 },
      };
    },
    image: async function generateOpenAIImage(request, target, signal) {
      const response = await upstreamFetch(
        call(wire, target, signal, "/images/generations", toImageBody(request, target)),
      );
      const result = await readJson<ImagesResponse>(response, wire.type, signal);
      const mediaType = `image/${result.output_format ?? request.outputFormat ?? "png"}`;
      const images = (result.data ?? []).map((image) =>
        image.b64_json
          ? { kind: "base64" as const, data: image.b64_json, mediaType }
          : { kind: "url" as const, url: image.url ?? "" },
      );
      const usage = result.usage && {
        inputTokens: result.usage.input_tokens,
        outputTokens: result.usage.output_tokens,
      };
      return usage ? { images, usage } : { images };
    },
    probe: async function probeOpenAI(target, signal) {
      const response = await upstreamFetch({
        ...call(wire, { ...target, model: "" }, signal, "/models"),
        method: "GET",
      });
      await response.body?.cancel();
    },
  };
}

/** The `openai` provider (api.openai.com and anything configured as type `openai`). */
export const openaiProvider: Provider = createOpenAIProvider({
  type: "openai",
  maxTokensField: "max_completion_tokens",
});

function call(wire: OpenAIWireOptions, target: ProviderTarget, signal: AbortSignal, path: string, body?: unknown) {
  // Keyless upstreams (Ollama, local vLLM) get no Authorization header rather than an empty bearer token.
  const headers: Record<string, string> = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
  return { label: wire.type, url: joinUrl(target.baseUrl, path), headers, body, target, signal };
}

async function* streamOpenAIChat(
  request: ChatRequest,
  target: ProviderTarget,
  signal: AbortSignal,
  wire: OpenAIWireOptions,
): AsyncGenerator<ChatChunk> {
  const body = {
    ...toOpenAIChatBody(request, target.model, wire),
    stream: true,
    stream_options: { include_usage: true },
  };
  const response = await upstreamFetch(call(wire, target, signal, "/chat/completions", body));
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  let done = false;
  const startedCalls: boolean[] = [];
  for await (const event of readSse(response, { label: wire.type, signal })) {
    if (event.data === "[DONE]") {
      done = true;
      break;
    }
    const chunk = parseFrame<ChatCompletionChunk & ErrorFrame>(event.data, wire.type);
    if (chunk.error) throw frameFailure(chunk.error, wire.type, target.apiKey);
    // Usage may ride on any chunk, whatever `choices` holds (gateway-notes §6 #2); the last one wins.
    if (chunk.usage) usage = toUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta as ChatCompletionChunk.Choice.Delta & ReasoningFields;
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (reasoning) yield { type: "reasoning", text: reasoning };
    if (delta.content) yield { type: "text", text: delta.content };
    if (delta.tool_calls) {
      let position = 0;
      for (const fragment of delta.tool_calls) {
        // Some look-alikes omit `index`; their fragments then count by position within the chunk.
        const index = fragment.index ?? position;
        position++;
        const first = !startedCalls[index];
        startedCalls[index] = true;
        yield {
          type: "tool_call",
          index,
          id: first ? fragment.id : undefined,
          name: first ? fragment.function?.name : undefined,
          argumentsDelta: fragment.function?.arguments ?? "",
        };
      }
    }
    if (choice.finish_reason) finish = toFinishReason(choice.finish_reason, startedCalls.length > 0);
  }
  if (!done && !finish) throw streamEndedEarly(wire.type);
  if (usage) yield { type: "usage", usage };
  yield { type: "finish", reason: finish ?? "stop" };
}

async function completeOpenAIChat(
  request: ChatRequest,
  target: ProviderTarget,
  signal: AbortSignal,
  wire: OpenAIWireOptions,
): Promise<ChatResult> {
  const body = toOpenAIChatBody(request, target.model, wire);
  const response = await upstreamFetch(call(wire, target, signal, "/chat/completions", body));
  const completion = await readJson<ChatCompletion & ErrorFrame>(response, wire.type, signal);
  if (completion.error) throw frameFailure(completion.error, wire.type, target.apiKey);
  const choice = completion.choices?.[0];
  const message = choice?.message as (ChatCompletionMessage & ReasoningFields) | undefined;
  const toolCalls = (message?.tool_calls ?? []).flatMap((toolCall) =>
    toolCall.type === "function"
      ? [{ id: toolCall.id, name: toolCall.function.name, arguments: toolCall.function.arguments }]
      : [],
  );
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  return {
    text: message?.content ?? "",
    ...(reasoning ? { reasoning: [{ text: reasoning }] } : {}),
    toolCalls,
    finishReason: toFinishReason(choice?.finish_reason ?? "stop", toolCalls.length > 0),
    // A missing usage block is reported as zeros; the engine cannot tell it from a free call.
    usage: completion.usage
      ? toUsage(completion.usage)
      : { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    upstreamModel: completion.model,
  };
}

/** Translates a canonical chat request into a Chat Completions body (aigne-hub-wire §6.10), without `stream`. */
export function toOpenAIChatBody(
  request: ChatRequest,
  model: string,
  wire: OpenAIWireOptions,
): ChatCompletionCreateParams {
  const body: ChatCompletionCreateParams = { model, messages: request.messages.map(toOpenAIMessage) };
  if (request.tools?.length) {
    body.tools = request.tools.map(toOpenAITool);
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  }
  if (request.toolChoice !== undefined) body.tool_choice = toOpenAIToolChoice(request.toolChoice);
  const format = request.responseFormat;
  if (format?.type === "json_object") body.response_format = { type: "json_object" };
  if (format?.type === "json_schema") {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: format.name, schema: format.schema, strict: format.strict, description: format.description },
    };
  }
  if (request.maxTokens !== undefined) body[wire.maxTokensField] = request.maxTokens;
  if (typeof request.reasoningEffort === "string") body.reasoning_effort = request.reasoningEffort;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.user !== undefined) body.user = request.user;
  return body;
}

function toOpenAIMessage(message: Message): ChatCompletionMessageParam {
  switch (message.role) {
    case "system":
      return { role: "system", content: joinText(message.content) };
    case "user": {
      const only = message.content.length === 1 ? message.content[0] : undefined;
      return { role: "user", content: only?.type === "text" ? only.text : message.content.map(toOpenAIPart) };
    }
    case "assistant": {
      const text = joinText(message.content);
      if (!message.toolCalls?.length) return { role: "assistant", content: text };
      return {
        role: "assistant",
        content: text || null,
        tool_calls: message.toolCalls.map((toolCall) => ({
          id: toolCall.id,
          type: "function",
          function: { name: toolCall.name, arguments: toolCall.arguments },
        })),
      };
    }
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId ?? "", content: joinText(message.content) };
  }
}

function toOpenAIPart(part: ContentPart): ChatCompletionContentPart {
  if (part.type === "text") return { type: "text", text: part.text };
  if (part.type === "image") {
    const url = part.source.kind === "url" ? part.source.url : dataUrl(part.source.mediaType, part.source.data);
    return { type: "image_url", image_url: { url } };
  }
  if (part.mediaType.startsWith("image/"))
    return { type: "image_url", image_url: { url: dataUrl(part.mediaType, part.data) } };
  return {
    type: "file",
    file: { filename: part.filename ?? "file.pdf", file_data: dataUrl(part.mediaType, part.data) },
  };
}

function toOpenAITool(tool: ToolDefinition) {
  return {
    type: "function" as const,
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}

function toOpenAIToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

function toImageBody(request: Parameters<Provider["image"]>[0], target: ProviderTarget): ImageGenerateParams {
  const body: ImageGenerateParams = { model: target.model, prompt: request.prompt, n: request.n };
  if (request.size) body.size = request.size;
  if (request.quality) body.quality = request.quality as ImageGenerateParams["quality"];
  if (request.style) body.style = request.style as ImageGenerateParams["style"];
  if (request.background) body.background = request.background as ImageGenerateParams["background"];
  if (request.outputFormat) body.output_format = request.outputFormat as ImageGenerateParams["output_format"];
  // GPT image models always answer base64 and reject the field; DALL·E-style models honour it.
  if (!target.model.startsWith("gpt-image")) body.response_format = request.responseFormat;
  return body;
}

/** Maps OpenAI usage to canonical usage: cached prompt tokens are split out of the input. */
export function toUsage(usage: UpstreamUsage): Usage {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  return {
    inputTokens: Math.max(0, (usage.prompt_tokens ?? 0) - cached),
    outputTokens: usage.completion_tokens ?? 0,
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    ...(reasoning !== undefined ? { reasoningTokens: reasoning } : {}),
  };
}

function toFinishReason(reason: string, hasToolCalls: boolean): FinishReason {
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content_filter";
  if (reason === "tool_calls" || reason === "function_call") return "tool_calls";
  // Some look-alikes say "stop" after emitting tool calls.
  return hasToolCalls ? "tool_calls" : "stop";
}

function frameFailure(error: NonNullable<ErrorFrame["error"]>, label: string, apiKey: string): UpstreamFailure {
  const fields = typeof error === "string" ? { message: error } : error;
  const kind =
    typeof fields.code === "number"
      ? classifyStatus(fields.code)
      : classifyErrorType(`${fields.type ?? ""} ${fields.code ?? ""}`);
  return new UpstreamFailure(kind, `${label} upstream error: ${scrub(fields.message ?? "unknown error", apiKey)}`);
}

function joinText(parts: ContentPart[]): string {
  let text = "";
  for (const part of parts) if (part.type === "text") text = text ? `${text}\n${part.text}` : part.text;
  return text;
}

function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}
