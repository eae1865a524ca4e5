/** @module Anthropic Messages wire ⇄ canonical: `/v1/messages` requests, whole answers and SSE event streams. */
import type {
  Message as AnthropicMessage,
  Usage as AnthropicUsage,
  ContentBlock,
  MessageDeltaUsage,
  RawMessageStreamEvent,
  StopReason,
  TextBlock,
  ThinkingBlock,
  ToolUseBlock,
} from "@anthropic-ai/sdk/resources/messages";
import { type AppError, invalidRequest } from "../../../shared/errors";
import type {
  ChatChunk,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  Message,
  Reasoning,
  ToolCall,
  Usage,
} from "../../services/gateway/types";
import {
  argumentsObject,
  argumentsText,
  binaryPart,
  cacheLast,
  fallbackToolCallId,
  type ResponseMeta,
  requireBase64,
  type StreamEncoder,
  type StreamEnd,
  sseEvent,
  toCacheControl,
} from "../sse";
import { renderAnthropicError } from "./errors";
import type { AnthropicMessagesBody } from "./schemas";

type WireBlock = Exclude<AnthropicMessagesBody["messages"][number]["content"], string>[number];
type PartBlock = Extract<WireBlock, { type: "text" | "image" | "document" }>;
type ToolResultBlock = Extract<WireBlock, { type: "tool_result" }>;

/** Request headers forwarded to Anthropic-family upstreams (gateway-notes §2). */
const PASSTHROUGH_HEADERS = ["anthropic-beta", "anthropic-version"];

const TOOL_CHOICES = { auto: "auto", any: "required", none: "none" } as const;

const STOP_REASONS: Record<FinishReason, StopReason> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};

function fromPart(block: PartBlock, path: string): ContentPart {
  switch (block.type) {
    case "text":
      return cacheLast([{ type: "text", text: block.text }], block.cache_control)[0]!;
    case "image": {
      const { source } = block;
      if (source.type === "url")
        return cacheLast([{ type: "image", source: { kind: "url", url: source.url } }], block.cache_control)[0]!;
      if (!source.media_type.startsWith("image/"))
        throw invalidRequest(`${path}.source.media_type: must be an image type`, `${path}.source.media_type`);
      const data = requireBase64(source.data, `${path}.source.data`);
      return cacheLast([binaryPart(source.media_type, data)], block.cache_control)[0]!;
    }
    case "document": {
      const { source } = block;
      if (source.type === "url")
        throw invalidRequest(`${path}.source: URL documents are not supported; send base64`, `${path}.source`);
      const part: ContentPart =
        source.type === "text"
          ? { type: "text", text: source.data }
          : binaryPart(source.media_type, requireBase64(source.data, `${path}.source.data`), block.title ?? undefined);
      return cacheLast([part], block.cache_control)[0]!;
    }
  }
}

function fromToolResult(block: ToolResultBlock, path: string): Message {
  const { content } = block;
  const parts: ContentPart[] =
    content === undefined
      ? []
      : typeof content === "string"
        ? [{ type: "text", text: content }]
        : content.map((part, k) => fromPart(part, `${path}.content[${k}]`));
  const message: Message = {
    role: "tool",
    content: cacheLast(parts, block.cache_control),
    toolCallId: block.tool_use_id,
  };
  if (block.is_error) message.isError = true;
  return message;
}

/** A user turn becomes canonical tool turns (one per tool_result) and user turns, in the order the blocks came. */
function pushUserTurn(blocks: WireBlock[], path: string, out: Message[]): void {
  let pending: ContentPart[] = [];
  const flush = () => {
    if (pending.length) out.push({ role: "user", content: pending });
    pending = [];
  };
  blocks.forEach((block, j) => {
    const at = `${path}.content[${j}]`;
    if (block.type === "tool_result") {
      flush();
      out.push(fromToolResult(block, at));
    } else if (block.type === "text" || block.type === "image" || block.type === "document") {
      pending.push(fromPart(block, at));
    } else {
      throw invalidRequest(`${at}: ${block.type} blocks belong to assistant turns`, at);
    }
  });
  flush();
}

function fromAssistantTurn(blocks: WireBlock[], path: string): Message {
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  const reasoning: Reasoning[] = [];
  blocks.forEach((block, j) => {
    const at = `${path}.content[${j}]`;
    switch (block.type) {
      case "text":
        content.push(fromPart(block, at));
        break;
      case "tool_use":
        toolCalls.push({ id: block.id, name: block.name, arguments: argumentsText(block.input, `${at}.input`) });
        break;
      case "thinking":
        reasoning.push({ text: block.thinking, signature: block.signature });
        break;
      case "redacted_thinking":
        // Canonical reasoning has no opaque form; dropping it only costs the upstream's cached reasoning.
        break;
      default:
        throw invalidRequest(`${at}: ${block.type} blocks belong to user turns`, at);
    }
  });
  const message: Message = { role: "assistant", content };
  if (toolCalls.length) message.toolCalls = toolCalls;
  if (reasoning.length) message.reasoning = reasoning;
  return message;
}

function passthroughHeaders(headers: Record<string, string | undefined>): Record<string, string> | undefined {
  const present = PASSTHROUGH_HEADERS.filter((name) => headers[name]);
  return present.length ? Object.fromEntries(present.map((name) => [name, headers[name]!])) : undefined;
}

/**
 * Translates a Messages body into the canonical request; `headers` (lowercase names, as Elysia gives them) supply
 * the `anthropic-beta`/`anthropic-version` values to forward. Malformed-but-typed input names its field.
 */
export function fromAnthropicMessages(
  body: AnthropicMessagesBody,
  headers: Record<string, string | undefined> = {},
): ChatRequest {
  const messages: Message[] = [];
  const system: ContentPart[] =
    typeof body.system === "string"
      ? [{ type: "text", text: body.system }]
      : (body.system ?? []).map((b, j) => fromPart(b, `system[${j}]`));
  if (system.some((part) => part.type !== "text" || part.text !== ""))
    messages.push({ role: "system", content: system });
  body.messages.forEach((m, i) => {
    const path = `messages[${i}]`;
    const blocks: WireBlock[] = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content;
    if (m.role === "user") pushUserTurn(blocks, path, messages);
    else messages.push(fromAssistantTurn(blocks, path));
  });
  const choice = body.tool_choice;
  const thinking = body.thinking;
  return {
    model: body.model,
    messages,
    tools: body.tools?.map((tool, i) => {
      if (tool.type && tool.type !== "custom")
        throw invalidRequest(`tools[${i}].type: server tool "${tool.type}" is not supported`, `tools[${i}].type`);
      if (!tool.input_schema) throw invalidRequest(`tools[${i}].input_schema: required`, `tools[${i}].input_schema`);
      const cache = toCacheControl(tool.cache_control);
      return {
        name: tool.name,
        description: tool.description,
        parameters: tool.input_schema,
        ...(cache && { cacheControl: cache }),
      };
    }),
    toolChoice: choice && (choice.type === "tool" ? { name: choice.name } : TOOL_CHOICES[choice.type]),
    parallelToolCalls: choice?.disable_parallel_tool_use ? false : undefined,
    maxTokens: body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    topK: body.top_k,
    stop: body.stop_sequences,
    // "adaptive" lets the model choose; a middle label is the closest canonical request.
    reasoningEffort:
      thinking?.type === "enabled" ? thinking.budget_tokens : thinking?.type === "adaptive" ? "medium" : undefined,
    user: body.metadata?.user_id ?? undefined,
    passthroughHeaders: passthroughHeaders(headers),
  };
}

/** Renders canonical usage as the cumulative `message_delta` usage: the same counts as a Message's. */
function toDeltaUsage(usage: Usage): MessageDeltaUsage & { input_tokens: number } {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_creation_input_tokens: usage.cacheWriteTokens,
    cache_read_input_tokens: usage.cacheReadTokens,
    output_tokens_details: usage.reasoningTokens === undefined ? null : { thinking_tokens: usage.reasoningTokens },
    server_tool_use: null,
  };
}

/** Renders canonical usage as Anthropic counts it: `input_tokens` excludes cache reads and writes. */
export function toAnthropicUsage(usage: Usage): AnthropicUsage {
  return { ...toDeltaUsage(usage), cache_creation: null, inference_geo: null, service_tier: null, speed: null };
}

const messageId = (meta: ResponseMeta) => `msg_${meta.id}`;

const toolUseBlock = (id: string, name: string, input: unknown): ToolUseBlock => ({
  type: "tool_use",
  id,
  name,
  input,
  caller: { type: "direct" },
});

/** The message object of a non-streamed answer and of `message_start`, which carries no content yet. */
function messageOf(
  meta: ResponseMeta,
  content: ContentBlock[],
  usage: Usage,
  stop: StopReason | null,
): AnthropicMessage {
  return {
    id: messageId(meta),
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: toAnthropicUsage(usage),
    container: null,
    diagnostics: null,
    stop_details: null,
  };
}

/** Renders a whole answer as an Anthropic Message: thinking, then text, then tool_use blocks with object input. */
export function toAnthropicMessage(result: ChatResult, meta: ResponseMeta): AnthropicMessage {
  const content: ContentBlock[] = (result.reasoning ?? []).map((r) => ({
    type: "thinking",
    thinking: r.text,
    signature: r.signature ?? "",
  }));
  if (result.text) content.push({ type: "text", text: result.text, citations: null });
  for (const call of result.toolCalls) content.push(toolUseBlock(call.id, call.name, argumentsObject(call.arguments)));
  return messageOf(meta, content, result.usage, STOP_REASONS[result.finishReason]);
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

const frame = (event: RawMessageStreamEvent): string => sseEvent(event.type, event);

/**
 * Builds the SSE encoder for one streamed Messages call. `message_start` is written lazily with the first chunk
 * (or at `end`), blocks open and close as the chunk kind switches, each tool call gets its own tool_use block, and
 * `end` closes the open block and writes `message_delta` (stop reason, full usage) and `message_stop`.
 */
export function createAnthropicStreamEncoder(meta: ResponseMeta): StreamEncoder {
  let started = false;
  let latestUsage: Usage = NO_USAGE;
  let openKind: "text" | "thinking" | "tool_use" | undefined;
  let signed = false;
  let nextIndex = 0;
  const toolBlocks = new Map<number, number>();

  const start = (): string => {
    if (started) return "";
    started = true;
    return frame({ type: "message_start", message: messageOf(meta, [], latestUsage, null) });
  };
  const close = (): string => {
    if (openKind === undefined) return "";
    openKind = undefined;
    return frame({ type: "content_block_stop", index: nextIndex - 1 });
  };
  const begin = (block: TextBlock | ThinkingBlock | ToolUseBlock): string => {
    const out = close();
    openKind = block.type;
    signed = false;
    return out + frame({ type: "content_block_start", index: nextIndex++, content_block: block });
  };

  return {
    open: () => "",
    chunk(c: ChatChunk): string {
      switch (c.type) {
        case "text": {
          if (!c.text) return "";
          let out = start();
          if (openKind !== "text") out += begin({ type: "text", text: "", citations: null });
          return (
            out +
            frame({ type: "content_block_delta", index: nextIndex - 1, delta: { type: "text_delta", text: c.text } })
          );
        }
        case "reasoning": {
          if (!c.text && !c.signature) return "";
          let out = start();
          // A signature seals its thinking block, so reasoning after it starts a new one.
          if (openKind !== "thinking" || (signed && c.text))
            out += begin({ type: "thinking", thinking: "", signature: "" });
          const index = nextIndex - 1;
          if (c.text)
            out += frame({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: c.text } });
          if (c.signature) {
            signed = true;
            out += frame({
              type: "content_block_delta",
              index,
              delta: { type: "signature_delta", signature: c.signature },
            });
          }
          return out;
        }
        case "tool_call": {
          let out = start();
          // A late fragment of an earlier call goes to that call's block: clients assemble blocks by index.
          let index = toolBlocks.get(c.index);
          if (index === undefined) {
            const id = c.id ?? fallbackToolCallId(meta.id, toolBlocks.size);
            out += begin(toolUseBlock(id, c.name ?? "", {}));
            index = nextIndex - 1;
            toolBlocks.set(c.index, index);
          }
          const delta = { type: "input_json_delta", partial_json: c.argumentsDelta } as const;
          return c.argumentsDelta ? out + frame({ type: "content_block_delta", index, delta }) : out;
        }
        case "usage":
          latestUsage = c.usage;
          return "";
        default:
          return "";
      }
    },
    end(final: StreamEnd): string {
      latestUsage = final.usage;
      const delta = {
        stop_reason: STOP_REASONS[final.finishReason],
        stop_sequence: null,
        container: null,
        stop_details: null,
      };
      return (
        start() +
        close() +
        frame({ type: "message_delta", delta, usage: toDeltaUsage(final.usage) }) +
        frame({ type: "message_stop" })
      );
    },
    error: (e: AppError) => sseEvent("error", renderAnthropicError(e)),
    ping: () => sseEvent("ping", { type: "ping" }),
  };
}
