import { describe, expect, test } from "bun:test";
import type { AnthropicMessagesBody } from "../../../src/server/routes/anthropic/schemas";
import {
  createAnthropicStreamEncoder,
  fromAnthropicMessages,
  toAnthropicMessage,
} from "../../../src/server/routes/anthropic/translate";
import type { ChatChunk, ChatResult, FinishReason, Usage } from "../../../src/server/services/gateway/types";
import { AppError } from "../../../src/shared/errors";
import { anthropicStreamError, jsonFrames, readAnthropicStream, splitFrames, thrownBy } from "./readers";

const meta = { id: "01JCALL", model: "anthropic/claude-sonnet-4", created: 1_700_000_000 };
const usage: Usage = { inputTokens: 80, outputTokens: 12, cacheReadTokens: 20, cacheWriteTokens: 4 };
const PNG = "iVBORw0KGgoAAAANSUhEUg==";

const body = (extra: Partial<AnthropicMessagesBody> = {}): AnthropicMessagesBody => ({
  model: "anthropic/claude-sonnet-4",
  max_tokens: 1024,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function encode(chunks: ChatChunk[], finishReason: FinishReason = "stop") {
  const encoder = createAnthropicStreamEncoder(meta);
  return encoder.open() + chunks.map((c) => encoder.chunk(c)).join("") + encoder.end({ usage, finishReason });
}

/** Each frame as [event, data.type, index?, delta or block type?] — the shape of a stream at a glance. */
const outline = (text: string) =>
  jsonFrames(text).map(({ event, json }) => {
    const data = json as { type: string; index?: number; delta?: { type?: string }; content_block?: { type: string } };
    return [event, data.type, data.index, data.delta?.type ?? data.content_block?.type].filter((x) => x !== undefined);
  });

describe("Anthropic request translation", () => {
  test("system text moves into a system turn, string content becomes a text part, max_tokens is kept", () => {
    const request = fromAnthropicMessages(
      body({ system: [{ type: "text", text: "be brief", cache_control: { type: "ephemeral" } }] }),
    );
    expect(request.maxTokens).toBe(1024);
    expect(request.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "be brief", cacheControl: { type: "ephemeral" } }] },
      { role: "user", content: [{ type: "text", text: "hi" }] },
    ]);
    expect(fromAnthropicMessages(body({ system: "" })).messages).toHaveLength(1);
  });

  test("images, documents and cache marks in user blocks become canonical parts", () => {
    const request = fromAnthropicMessages(
      body({
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: PNG } },
              { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
              {
                type: "document",
                source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
                title: "a.pdf",
              },
              { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
              { type: "text", text: "summarise", cache_control: { type: "ephemeral", ttl: "1h" } },
            ],
          },
        ],
      }),
    );
    expect(request.messages[0]!.content).toEqual([
      { type: "image", source: { kind: "base64", mediaType: "image/png", data: PNG } },
      { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" } },
      { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "a.pdf" },
      { type: "text", text: "notes" },
      { type: "text", text: "summarise", cacheControl: { type: "ephemeral", ttl: "1h" } },
    ]);
  });

  test("tool_result blocks split a user turn into tool turns and a user turn, in block order", () => {
    const request = fromAnthropicMessages(
      body({
        messages: [
          { role: "user", content: "weather and time?" },
          {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "two tools", signature: "sig1" },
              { type: "redacted_thinking", data: "opaque" },
              { type: "text", text: "Checking." },
              { type: "tool_use", id: "toolu_a", name: "weather", input: { city: "Oslo" } },
              { type: "tool_use", id: "toolu_b", name: "time", input: {} },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_a", content: "sunny" },
              {
                type: "tool_result",
                tool_use_id: "toolu_b",
                is_error: true,
                content: [{ type: "text", text: "no clock" }],
                cache_control: { type: "ephemeral" },
              },
              { type: "text", text: "thanks" },
            ],
          },
        ],
      }),
    );
    expect(request.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: [{ type: "text", text: "Checking." }],
        toolCalls: [
          { id: "toolu_a", name: "weather", arguments: '{"city":"Oslo"}' },
          { id: "toolu_b", name: "time", arguments: "{}" },
        ],
        reasoning: [{ text: "two tools", signature: "sig1" }],
      },
      { role: "tool", content: [{ type: "text", text: "sunny" }], toolCallId: "toolu_a" },
      {
        role: "tool",
        content: [{ type: "text", text: "no clock", cacheControl: { type: "ephemeral" } }],
        toolCallId: "toolu_b",
        isError: true,
      },
      { role: "user", content: [{ type: "text", text: "thanks" }] },
    ]);
  });

  test("tools, tool_choice, thinking, sampling, stop sequences, metadata and beta headers map across", () => {
    const request = fromAnthropicMessages(
      body({
        tools: [
          { name: "weather", description: "w", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } },
        ],
        tool_choice: { type: "any", disable_parallel_tool_use: true },
        thinking: { type: "enabled", budget_tokens: 2048 },
        temperature: 0.5,
        top_p: 0.8,
        top_k: 40,
        stop_sequences: ["END"],
        metadata: { user_id: "u1" },
      }),
      { "anthropic-beta": "prompt-caching-2024-07-31", "anthropic-version": "2023-06-01", "x-api-key": "secret" },
    );
    expect(request).toMatchObject({
      tools: [
        { name: "weather", description: "w", parameters: { type: "object" }, cacheControl: { type: "ephemeral" } },
      ],
      toolChoice: "required",
      parallelToolCalls: false,
      reasoningEffort: 2048,
      temperature: 0.5,
      topP: 0.8,
      topK: 40,
      stop: ["END"],
      user: "u1",
      passthroughHeaders: { "anthropic-beta": "prompt-caching-2024-07-31", "anthropic-version": "2023-06-01" },
    });
    expect(fromAnthropicMessages(body({ tool_choice: { type: "tool", name: "weather" } })).toolChoice).toEqual({
      name: "weather",
    });
    expect(
      fromAnthropicMessages(body({ tool_choice: { type: "none" }, thinking: { type: "adaptive" } })),
    ).toMatchObject({
      toolChoice: "none",
      reasoningEffort: "medium",
      passthroughHeaders: undefined,
    });
  });

  test("blocks in the wrong turn, bad base64, URL documents and server tools are refused, naming the field", () => {
    const message = (b: AnthropicMessagesBody) => thrownBy(() => fromAnthropicMessages(b)).message;
    expect(
      message(body({ messages: [{ role: "user", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }] })),
    ).toBe("messages[0].content[0]: tool_use blocks belong to assistant turns");
    expect(
      message(body({ messages: [{ role: "assistant", content: [{ type: "tool_result", tool_use_id: "t" }] }] })),
    ).toBe("messages[0].content[0]: tool_result blocks belong to user turns");
    expect(
      message(
        body({
          messages: [
            {
              role: "user",
              content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: "%%%" } }],
            },
          ],
        }),
      ),
    ).toBe("messages[0].content[0].source.data: not valid base64 data");
    expect(
      message(
        body({
          messages: [
            { role: "user", content: [{ type: "document", source: { type: "url", url: "https://x/a.pdf" } }] },
          ],
        }),
      ),
    ).toBe("messages[0].content[0].source: URL documents are not supported; send base64");
    expect(message(body({ tools: [{ name: "web_search", type: "web_search_20250305" }] }))).toBe(
      'tools[0].type: server tool "web_search_20250305" is not supported',
    );
    expect(message(body({ tools: [{ name: "f" }] }))).toBe("tools[0].input_schema: required");
    const error = thrownBy(() => fromAnthropicMessages(body({ tools: [{ name: "f" }] })));
    expect([error.status, error.type]).toEqual([400, "invalid_request"]);
  });
});

describe("Anthropic message rendering", () => {
  const result: ChatResult = {
    text: "It is sunny.",
    reasoning: [{ text: "check weather", signature: "sig1" }],
    toolCalls: [{ id: "toolu_a", name: "weather", arguments: '{"city":"Oslo"}' }],
    finishReason: "tool_calls",
    usage,
  };

  test("an answer renders as a Message: thinking, text, tool_use with object input; input excludes cache", () => {
    expect(toAnthropicMessage(result, meta)).toEqual({
      id: "msg_01JCALL",
      type: "message",
      role: "assistant",
      model: "anthropic/claude-sonnet-4",
      content: [
        { type: "thinking", thinking: "check weather", signature: "sig1" },
        { type: "text", text: "It is sunny.", citations: null },
        { type: "tool_use", id: "toolu_a", name: "weather", input: { city: "Oslo" }, caller: { type: "direct" } },
      ],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: {
        input_tokens: 80,
        output_tokens: 12,
        cache_creation_input_tokens: 4,
        cache_read_input_tokens: 20,
        output_tokens_details: null,
        server_tool_use: null,
        cache_creation: null,
        inference_geo: null,
        service_tier: null,
        speed: null,
      },
      container: null,
      diagnostics: null,
      stop_details: null,
    });
  });

  test("finish reasons map to Anthropic stop reasons", () => {
    const stop = (finishReason: FinishReason) => toAnthropicMessage({ ...result, finishReason }, meta).stop_reason;
    expect([stop("stop"), stop("length"), stop("tool_calls"), stop("content_filter")]).toEqual([
      "end_turn",
      "max_tokens",
      "tool_use",
      "refusal",
    ]);
  });
});

describe("Anthropic stream encoder", () => {
  test("blocks open and close with correct indices as thinking, text and tool calls follow each other", async () => {
    const text = encode(
      [
        { type: "usage", usage: { ...usage, outputTokens: 0 } },
        { type: "reasoning", text: "check " },
        { type: "reasoning", text: "weather" },
        { type: "reasoning", text: "", signature: "sig1" },
        { type: "text", text: "Checking " },
        { type: "text", text: "now." },
        { type: "tool_call", index: 1, id: "toolu_a", name: "weather", argumentsDelta: "" },
        { type: "tool_call", index: 1, argumentsDelta: '{"city":' },
        { type: "tool_call", index: 1, argumentsDelta: '"Oslo"}' },
        { type: "tool_call", index: 2, id: "toolu_b", name: "time", argumentsDelta: "{}" },
        { type: "finish", reason: "tool_calls" },
      ],
      "tool_calls",
    );
    expect(outline(text)).toEqual([
      ["message_start", "message_start"],
      ["content_block_start", "content_block_start", 0, "thinking"],
      ["content_block_delta", "content_block_delta", 0, "thinking_delta"],
      ["content_block_delta", "content_block_delta", 0, "thinking_delta"],
      ["content_block_delta", "content_block_delta", 0, "signature_delta"],
      ["content_block_stop", "content_block_stop", 0],
      ["content_block_start", "content_block_start", 1, "text"],
      ["content_block_delta", "content_block_delta", 1, "text_delta"],
      ["content_block_delta", "content_block_delta", 1, "text_delta"],
      ["content_block_stop", "content_block_stop", 1],
      ["content_block_start", "content_block_start", 2, "tool_use"],
      ["content_block_delta", "content_block_delta", 2, "input_json_delta"],
      ["content_block_delta", "content_block_delta", 2, "input_json_delta"],
      ["content_block_stop", "content_block_stop", 2],
      ["content_block_start", "content_block_start", 3, "tool_use"],
      ["content_block_delta", "content_block_delta", 3, "input_json_delta"],
      ["content_block_stop", "content_block_stop", 3],
      ["message_delta", "message_delta"],
      ["message_stop", "message_stop"],
    ]);
    const frames = jsonFrames(text);
    expect((frames[0]!.json as { message: { usage: { input_tokens: number } } }).message.usage.input_tokens).toBe(80);
    expect(frames.at(-2)!.json).toEqual({
      type: "message_delta",
      delta: { stop_reason: "tool_use", stop_sequence: null, container: null, stop_details: null },
      usage: {
        input_tokens: 80,
        output_tokens: 12,
        cache_creation_input_tokens: 4,
        cache_read_input_tokens: 20,
        output_tokens_details: null,
        server_tool_use: null,
      },
    });

    const { final } = await readAnthropicStream(text);
    expect(final.content).toEqual([
      { type: "thinking", thinking: "check weather", signature: "sig1" },
      { type: "text", text: "Checking now.", citations: null },
      { type: "tool_use", id: "toolu_a", name: "weather", input: { city: "Oslo" }, caller: { type: "direct" } },
      { type: "tool_use", id: "toolu_b", name: "time", input: {}, caller: { type: "direct" } },
    ]);
    expect(final.stop_reason).toBe("tool_use");
    expect(final.usage).toMatchObject({
      input_tokens: 80,
      output_tokens: 12,
      cache_read_input_tokens: 20,
      cache_creation_input_tokens: 4,
    });
  });

  test("message_start waits for the first chunk, so an empty stream still gets start, delta and stop at end", () => {
    const encoder = createAnthropicStreamEncoder(meta);
    expect(encoder.open()).toBe("");
    expect(encoder.chunk({ type: "usage", usage })).toBe("");
    expect(outline(encoder.end({ usage, finishReason: "length" }))).toEqual([
      ["message_start", "message_start"],
      ["message_delta", "message_delta"],
      ["message_stop", "message_stop"],
    ]);
  });

  test("reasoning after a signature starts a new thinking block", () => {
    const text = encode([
      { type: "reasoning", text: "one", signature: "s1" },
      { type: "reasoning", text: "two" },
    ]);
    expect(outline(text).filter(([event]) => event === "content_block_start")).toEqual([
      ["content_block_start", "content_block_start", 0, "thinking"],
      ["content_block_start", "content_block_start", 1, "thinking"],
    ]);
  });

  test("an error is an error event in Anthropic's shape, and the SDK throws it", async () => {
    const encoder = createAnthropicStreamEncoder(meta);
    const text =
      encoder.chunk({ type: "text", text: "par" }) +
      encoder.error(new AppError("unavailable", 503, "upstream overloaded"));
    const frames = jsonFrames(text);
    expect(frames.at(-1)).toEqual({
      event: "error",
      json: { type: "error", error: { type: "overloaded_error", message: "upstream overloaded" } },
    });
    const error = (await anthropicStreamError(text)) as Error;
    expect(error.message).toContain("upstream overloaded");
  });

  test("ping is a named ping event that the SDK skips", async () => {
    const encoder = createAnthropicStreamEncoder(meta);
    const text =
      encoder.ping() +
      encoder.chunk({ type: "text", text: "Hi" }) +
      encoder.ping() +
      encoder.end({ usage, finishReason: "stop" });
    expect(splitFrames(encoder.ping())).toEqual([{ event: "ping", data: '{"type":"ping"}' }]);
    const { final } = await readAnthropicStream(text);
    expect(final.content).toEqual([{ type: "text", text: "Hi", citations: null }]);
    expect(final.stop_reason).toBe("end_turn");
  });
});
