/** @module The `anthropic` family: native `/v1/messages` (JSON and SSE) and the model list over plain fetch. */

import type {
  Message as AnthropicMessage,
  ToolChoice as AnthropicToolChoice,
  Usage as AnthropicUsage,
  Base64ImageSource,
  ContentBlockParam,
  MessageCreateParamsNonStreaming,
  MessageDeltaUsage,
  MessageParam,
  RawMessageStreamEvent,
  StopReason,
  TextBlockParam,
  Tool,
  ToolResultBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import type { ErrorResponse } from "@anthropic-ai/sdk/resources/shared";
import type {
  CacheControl,
  ChatChunk,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  Message,
  Reasoning,
  ToolCall,
  Usage,
} from "../services/gateway/types";
import { classifyErrorType, parseFrame, readJson, readSse, scrub, streamEndedEarly, upstreamFetch } from "./http";
import { type Provider, type ProviderTarget, UpstreamFailure } from "./types";

const LABEL = "anthropic";
const API_VERSION = "2023-06-01";
/** `max_tokens` is required upstream; the hub's fallback when neither the caller nor the model config gives one. */
const DEFAULT_MAX_TOKENS = 8192;
/** Anthropic's smallest accepted thinking budget. */
const MIN_THINKING_BUDGET = 1024;
const THINKING_BUDGETS = { minimal: 1024, low: 1024, medium: 4096, high: 16384 } as const;

/** Turns a reasoning effort into a thinking budget in tokens: a number as is, labels by the hub's table. */
export function thinkingBudget(effort: ChatRequest["reasoningEffort"]): number | undefined {
  if (effort === undefined) return undefined;
  return typeof effort === "number" ? effort : THINKING_BUDGETS[effort];
}

/** The `anthropic` provider (api.anthropic.com and anything that speaks its Messages API). */
export const anthropicProvider: Provider = {
  type: "anthropic",
  chatStream: streamAnthropicChat,
  chat: async function completeAnthropicChat(request, target, signal) {
    const { body, jsonTool } = toAnthropicBody(request, target.model);
    const response = await upstreamFetch(messagesCall(request, target, signal, body));
    return fromAnthropicMessage(await readJson<AnthropicMessage>(response, LABEL, signal), jsonTool);
  },
  embed: async () => {
    throw new UpstreamFailure("bad_request", "embeddings are not supported by anthropic");
  },
  image: async () => {
    throw new UpstreamFailure("bad_request", "image generation is not supported by anthropic");
  },
  probe: async function probeAnthropic(target, signal) {
    const headers = { "x-api-key": target.apiKey, "anthropic-version": API_VERSION };
    const url = anthropicUrl(target.baseUrl, "/models");
    const response = await upstreamFetch({ label: LABEL, url, method: "GET", headers, target, signal });
    await response.body?.cancel();
  },
};

async function* streamAnthropicChat(
  request: ChatRequest,
  target: ProviderTarget,
  signal: AbortSignal,
): AsyncGenerator<ChatChunk> {
  const { body, jsonTool } = toAnthropicBody(request, target.model);
  const response = await upstreamFetch(messagesCall(request, target, signal, { ...body, stream: true }));
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  // Per content block: the canonical tool-call index, or JSON_BLOCK for the synthetic json_schema tool.
  const blockTargets: number[] = [];
  let toolCalls = 0;
  let stopReason: StopReason | null = null;
  let done = false;
  for await (const event of readSse(response, { label: LABEL, signal })) {
    const payload = parseFrame<RawMessageStreamEvent | ErrorResponse | { type: "ping" }>(event.data, LABEL);
    switch (payload.type) {
      case "message_start":
        addUsage(usage, payload.message.usage);
        break;
      case "content_block_start": {
        const block = payload.content_block;
        if (block.type === "tool_use") {
          if (block.name === jsonTool) {
            blockTargets[payload.index] = JSON_BLOCK;
            break;
          }
          blockTargets[payload.index] = toolCalls;
          yield { type: "tool_call", index: toolCalls++, id: block.id, name: block.name, argumentsDelta: "" };
        } else if (block.type === "text" && block.text) {
          yield { type: "text", text: block.text };
        } else if (block.type === "thinking" && block.thinking) {
          yield { type: "reasoning", text: block.thinking };
        }
        break;
      }
      case "content_block_delta": {
        const delta = payload.delta;
        if (delta.type === "text_delta") yield { type: "text", text: delta.text };
        else if (delta.type === "thinking_delta") yield { type: "reasoning", text: delta.thinking };
        else if (delta.type === "signature_delta") yield { type: "reasoning", text: "", signature: delta.signature };
        else if (delta.type === "input_json_delta" && delta.partial_json) {
          const index = blockTargets[payload.index];
          if (index === JSON_BLOCK) yield { type: "text", text: delta.partial_json };
          else if (index !== undefined) yield { type: "tool_call", index, argumentsDelta: delta.partial_json };
        }
        break;
      }
      case "message_delta":
        stopReason = payload.delta.stop_reason ?? stopReason;
        addUsage(usage, payload.usage);
        break;
      case "message_stop":
        done = true;
        break;
      case "error":
        throw errorEventFailure(payload, target.apiKey);
    }
  }
  if (!done && !stopReason) throw streamEndedEarly(LABEL);
  yield { type: "usage", usage };
  yield { type: "finish", reason: toFinishReason(stopReason, toolCalls > 0) };
}

const JSON_BLOCK = -1;

function messagesCall(request: ChatRequest, target: ProviderTarget, signal: AbortSignal, body: unknown) {
  const headers: Record<string, string> = {
    "x-api-key": target.apiKey,
    "anthropic-version": passthroughHeader(request, "anthropic-version") ?? API_VERSION,
  };
  const beta = passthroughHeader(request, "anthropic-beta");
  if (beta) headers["anthropic-beta"] = beta;
  return { label: LABEL, url: anthropicUrl(target.baseUrl, "/messages"), headers, body, target, signal };
}

/** The SDK's base URL is the origin; an operator-given `…/v1` base is accepted too. */
function anthropicUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return base.endsWith("/v1") ? base + path : `${base}/v1${path}`;
}

function passthroughHeader(request: ChatRequest, name: string): string | undefined {
  const headers = request.passthroughHeaders;
  if (!headers) return undefined;
  for (const key in headers) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

/**
 * Translates a canonical chat request into a Messages body (aigne-hub-wire §6.10). A json_schema response format
 * becomes a forced tool whose input is the answer; its name comes back as `jsonTool`.
 */
export function toAnthropicBody(request: ChatRequest, model: string): { body: MessagesBody; jsonTool?: string } {
  const { system, messages } = toAnthropicMessages(request);
  const format = request.responseFormat;
  const jsonTool = format?.type === "json_schema" ? toolName(format.name) : undefined;
  const tools: Tool[] = (request.tools ?? []).map((tool) => ({
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    input_schema: tool.parameters as Tool.InputSchema,
    ...(tool.cacheControl ? { cache_control: tool.cacheControl } : {}),
  }));
  const userTools = tools.length > 0;
  if (format?.type === "json_schema" && jsonTool) {
    const description = format.description ?? "Respond with a JSON document that matches this schema.";
    tools.push({ name: jsonTool, description, input_schema: format.schema as Tool.InputSchema });
  }
  const lastTool = tools.at(-1);
  if (request.cacheBreakpoints?.tools && lastTool && !lastTool.cache_control) lastTool.cache_control = EPHEMERAL;
  const lastSystem = system.at(-1);
  if (request.cacheBreakpoints?.system && lastSystem && !lastSystem.cache_control) lastSystem.cache_control = EPHEMERAL;

  let maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  // A forced tool and thinking cannot be combined upstream, so JSON mode answers without thinking.
  let budget = jsonTool ? undefined : thinkingBudget(request.reasoningEffort);
  if (budget !== undefined) {
    // The budget must fit under max_tokens; without a caller limit, room is made for an answer after the thinking.
    if (request.maxTokens === undefined && budget >= maxTokens) maxTokens = budget + DEFAULT_MAX_TOKENS;
    budget = Math.min(budget, maxTokens - 1);
    if (budget < MIN_THINKING_BUDGET) budget = undefined;
  }

  const body: MessagesBody = { model, max_tokens: maxTokens, messages };
  if (system.length > 0) body.system = system;
  if (tools.length > 0) body.tools = tools;
  const toolChoice = toAnthropicToolChoice(request, jsonTool, userTools);
  if (toolChoice && tools.length > 0) body.tool_choice = toolChoice;
  if (budget !== undefined) {
    body.thinking = { type: "enabled", budget_tokens: budget };
  } else {
    // Anthropic rejects changed sampling parameters while thinking, so they are only sent without it.
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.topP !== undefined) body.top_p = request.topP;
    if (request.topK !== undefined) body.top_k = request.topK;
  }
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.user) body.metadata = { user_id: request.user };
  return { body, jsonTool };
}

/** The SDK no longer types the sampling parameters; the Messages API still takes them (gateway-notes §2). */
type MessagesBody = MessageCreateParamsNonStreaming & { temperature?: number; top_p?: number; top_k?: number };

const EPHEMERAL: CacheControl = { type: "ephemeral" };

function toAnthropicToolChoice(
  request: ChatRequest,
  jsonTool: string | undefined,
  userTools: boolean,
): AnthropicToolChoice | undefined {
  const choice = request.toolChoice;
  let mapped: Exclude<AnthropicToolChoice, { type: "none" }> | undefined;
  if (jsonTool) {
    // With the caller's tools on offer the model may still call one of them; otherwise it must answer in JSON.
    mapped = userTools && choice !== "none" ? { type: "any" } : { type: "tool", name: jsonTool };
  } else if (choice === "none") {
    return { type: "none" };
  } else if (choice === "auto") {
    mapped = { type: "auto" };
  } else if (choice === "required") {
    mapped = { type: "any" };
  } else if (choice) {
    mapped = { type: "tool", name: choice.name };
  } else if (request.parallelToolCalls === false) {
    mapped = { type: "auto" };
  }
  if (mapped && request.parallelToolCalls === false) mapped.disable_parallel_tool_use = true;
  return mapped;
}

function toolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64) || "json_response";
}

function toAnthropicMessages(request: ChatRequest): { system: TextBlockParam[]; messages: MessageParam[] } {
  const system: TextBlockParam[] = [];
  const messages: MessageParam[] = [];
  for (const message of request.messages) {
    if (message.role === "system") {
      for (const part of message.content)
        if (part.type === "text" && part.text) system.push(textBlock(part.text, part.cacheControl));
      continue;
    }
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = message.role === "assistant" ? assistantBlocks(message) : userBlocks(message);
    if (blocks.length === 0) continue;
    const previous = messages.at(-1);
    // Consecutive tool results (and a user turn after them) form one user turn, as Anthropic expects.
    if (previous?.role === role && Array.isArray(previous.content)) previous.content.push(...blocks);
    else messages.push({ role, content: blocks });
  }
  if (request.cacheBreakpoints?.lastMessage) markLastBlock(messages.at(-1));
  return { system, messages };
}

function markLastBlock(message: MessageParam | undefined): void {
  const block = Array.isArray(message?.content) ? message.content.at(-1) : undefined;
  // Thinking blocks cannot carry a cache marker; an explicit marker from the caller wins.
  if (!block || block.type === "thinking" || block.type === "redacted_thinking") return;
  const markable = block as TextBlockParam;
  markable.cache_control ??= EPHEMERAL;
}

function userBlocks(message: Message): ContentBlockParam[] {
  if (message.role !== "tool") return message.content.flatMap(toAnthropicBlock);
  const content = message.content.flatMap(toAnthropicBlock) as Exclude<
    ToolResultBlockParam["content"],
    string | undefined
  >;
  const onlyText = content.every((block) => block.type === "text");
  const result: ToolResultBlockParam = { type: "tool_result", tool_use_id: message.toolCallId ?? "" };
  if (content.length > 0) {
    result.content = onlyText ? (content as TextBlockParam[]).map((block) => block.text).join("\n") : content;
  }
  if (message.isError) result.is_error = true;
  return [result];
}

function assistantBlocks(message: Message): ContentBlockParam[] {
  const blocks: ContentBlockParam[] = [];
  // Thinking goes back only with its signature; Anthropic rejects unsigned thinking blocks.
  for (const reasoning of message.reasoning ?? []) {
    if (reasoning.signature)
      blocks.push({ type: "thinking", thinking: reasoning.text, signature: reasoning.signature });
  }
  for (const part of message.content) blocks.push(...toAnthropicBlock(part));
  for (const toolCall of message.toolCalls ?? []) {
    blocks.push({ type: "tool_use", id: toolCall.id, name: toolCall.name, input: parseArguments(toolCall.arguments) });
  }
  return blocks;
}

function toAnthropicBlock(part: ContentPart): ContentBlockParam[] {
  const cache = part.cacheControl ? { cache_control: part.cacheControl } : {};
  if (part.type === "text") return part.text ? [textBlock(part.text, part.cacheControl)] : [];
  if (part.type === "image") {
    const source =
      part.source.kind === "url"
        ? { type: "url" as const, url: part.source.url }
        : { type: "base64" as const, media_type: imageType(part.source.mediaType), data: part.source.data };
    return [{ type: "image", source, ...cache }];
  }
  if (part.mediaType.startsWith("image/")) {
    return [
      { type: "image", source: { type: "base64", media_type: imageType(part.mediaType), data: part.data }, ...cache },
    ];
  }
  const title = part.filename ? { title: part.filename } : {};
  if (part.mediaType === "application/pdf") {
    return [
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: part.data },
        ...title,
        ...cache,
      },
    ];
  }
  if (part.mediaType.startsWith("text/")) {
    const data = Buffer.from(part.data, "base64").toString("utf8");
    return [{ type: "document", source: { type: "text", media_type: "text/plain", data }, ...title, ...cache }];
  }
  throw new UpstreamFailure("bad_request", `anthropic does not accept ${part.mediaType} files`);
}

function textBlock(text: string, cacheControl?: CacheControl): TextBlockParam {
  return cacheControl ? { type: "text", text, cache_control: cacheControl } : { type: "text", text };
}

function imageType(mediaType: string): Base64ImageSource["media_type"] {
  return mediaType as Base64ImageSource["media_type"];
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    throw new UpstreamFailure("bad_request", "a tool call's arguments are not valid JSON");
  }
}

/** Translates a whole Messages response; the synthetic JSON tool's input becomes the text. */
function fromAnthropicMessage(message: AnthropicMessage, jsonTool: string | undefined): ChatResult {
  let text = "";
  const reasoning: Reasoning[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === "text") text += block.text;
    else if (block.type === "thinking") reasoning.push({ text: block.thinking, signature: block.signature });
    else if (block.type === "tool_use" && block.name === jsonTool) text += JSON.stringify(block.input);
    else if (block.type === "tool_use") {
      toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    }
  }
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  addUsage(usage, message.usage);
  return {
    text,
    ...(reasoning.length > 0 ? { reasoning } : {}),
    toolCalls,
    finishReason: toFinishReason(message.stop_reason, toolCalls.length > 0),
    usage,
    upstreamModel: message.model,
  };
}

/** Folds Anthropic usage into canonical usage; later events carry running totals, so present fields overwrite. */
function addUsage(usage: Usage, upstream: Partial<AnthropicUsage | MessageDeltaUsage> | undefined): void {
  if (!upstream) return;
  if (typeof upstream.input_tokens === "number") usage.inputTokens = upstream.input_tokens;
  if (typeof upstream.output_tokens === "number") usage.outputTokens = upstream.output_tokens;
  if (typeof upstream.cache_read_input_tokens === "number") usage.cacheReadTokens = upstream.cache_read_input_tokens;
  if (typeof upstream.cache_creation_input_tokens === "number") {
    usage.cacheWriteTokens = upstream.cache_creation_input_tokens;
  }
}

function toFinishReason(reason: StopReason | null, hasToolCalls: boolean): FinishReason {
  if (reason === "max_tokens" || reason === "model_context_window_exceeded") return "length";
  if (reason === "refusal") return "content_filter";
  // A tool_use stop caused only by the synthetic JSON tool is an ordinary answer.
  if (reason === "tool_use") return hasToolCalls ? "tool_calls" : "stop";
  return "stop";
}

function errorEventFailure(payload: ErrorResponse, apiKey: string): UpstreamFailure {
  const { type = "api_error", message = "unknown error" } = payload.error ?? {};
  return new UpstreamFailure(classifyErrorType(type), `${LABEL} upstream error (${type}): ${scrub(message, apiKey)}`);
}
