/** @module The `anthropic` provider against the mock upstream over real HTTP. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { anthropicProvider } from "../../../src/server/providers/anthropic";
import type { ChatRequest } from "../../../src/server/services/gateway/types";
import { startMockUpstream } from "../../mocks/upstream";
import {
  collect,
  collectUntilError,
  FAKE_KEY,
  failureOf,
  NEVER,
  targetAt,
  textOf,
  toolCallsOf,
  userText,
} from "./helpers";

const mock = await startMockUpstream();
const target = targetAt(mock.anthropicBase, { model: "claude-sonnet-4" });
const hello: ChatRequest = { model: "anthropic/claude-sonnet-4", messages: [userText("Say hello")] };

beforeEach(() => mock.reset());
afterAll(() => mock.stop());

describe("anthropic provider: chat", () => {
  test("chat posts to /v1/messages with x-api-key and the API version, and maps text, stop reason and cache usage", async () => {
    mock.setScript({
      text: "Hello!",
      usage: { input: 12, output: 3, cacheRead: 100, cacheWrite: 40 },
      model: "claude-sonnet-4-2025",
    });
    const result = await anthropicProvider.chat(hello, target, NEVER);
    expect(result).toEqual({
      text: "Hello!",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 100, cacheWriteTokens: 40 },
      upstreamModel: "claude-sonnet-4-2025",
    });
    const request = mock.requests[0];
    expect(request?.path).toBe("/v1/messages");
    expect(request?.headers["x-api-key"]).toBe(FAKE_KEY);
    expect(request?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({
      model: "claude-sonnet-4",
      max_tokens: 8192,
      messages: [{ role: "user", content: [{ type: "text", text: "Say hello" }] }],
    });
  });

  test("the caller's anthropic-beta header is forwarded and maxTokens replaces the default", async () => {
    await anthropicProvider.chat(
      { ...hello, maxTokens: 300, passthroughHeaders: { "anthropic-beta": "prompt-caching-2024-07-31" } },
      target,
      NEVER,
    );
    expect(mock.requests[0]?.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    expect(mock.requests[0]?.body.max_tokens).toBe(300);
  });

  test("chatStream yields text deltas in order, then one usage chunk built from message_start and message_delta, then finish", async () => {
    mock.setScript({
      text: "Hello there world",
      chunks: 3,
      usage: { input: 12, output: 9, cacheRead: 30, cacheWrite: 4 },
    });
    const chunks = await collect(anthropicProvider.chatStream(hello, target, NEVER));
    expect(chunks).toEqual([
      { type: "text", text: "Hello " },
      { type: "text", text: "there " },
      { type: "text", text: "world" },
      { type: "usage", usage: { inputTokens: 12, outputTokens: 9, cacheReadTokens: 30, cacheWriteTokens: 4 } },
      { type: "finish", reason: "stop" },
    ]);
    expect(mock.requests[0]?.body.stream).toBe(true);
  });

  test("chatStream turns thinking deltas into reasoning chunks and passes the signature", async () => {
    mock.setScript({ reasoning: "Let me think", text: "42" });
    const chunks = await collect(anthropicProvider.chatStream(hello, target, NEVER));
    const reasoning = chunks.filter((chunk) => chunk.type === "reasoning");
    expect(reasoning.map((chunk) => chunk.text).join("")).toBe("Let me think");
    expect(reasoning.at(-1)).toEqual({ type: "reasoning", text: "", signature: "sig-mock" });
    expect(textOf(chunks)).toBe("42");
  });

  test("chatStream turns tool_use blocks into tool call fragments, the first with id and name", async () => {
    mock.setScript({
      toolCalls: [
        { id: "toolu_1", name: "get_weather", arguments: { city: "Paris" } },
        { id: "toolu_2", name: "get_time", arguments: { zone: "CET" } },
      ],
    });
    const chunks = await collect(anthropicProvider.chatStream(hello, target, NEVER));
    expect(chunks.find((chunk) => chunk.type === "tool_call")).toEqual({
      type: "tool_call",
      index: 0,
      id: "toolu_1",
      name: "get_weather",
      argumentsDelta: "",
    });
    expect(toolCallsOf(chunks)).toEqual([
      { id: "toolu_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "toolu_2", name: "get_time", arguments: '{"zone":"CET"}' },
    ]);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });

  test("chat returns thinking with its signature and tool calls with JSON argument strings", async () => {
    mock.setScript({ reasoning: "hmm", toolCalls: [{ id: "toolu_9", name: "lookup", arguments: { q: "x" } }] });
    const result = await anthropicProvider.chat(hello, target, NEVER);
    expect(result.reasoning).toEqual([{ text: "hmm", signature: "sig-mock" }]);
    expect(result.toolCalls).toEqual([{ id: "toolu_9", name: "lookup", arguments: '{"q":"x"}' }]);
    expect(result.finishReason).toBe("tool_calls");
  });

  test("a max_tokens stop maps to length", async () => {
    mock.setScript({ text: "cut", finishReason: "length" });
    expect((await anthropicProvider.chat(hello, target, NEVER)).finishReason).toBe("length");
  });
});

describe("anthropic provider: request mapping", () => {
  test("system turns become top-level blocks; tool calls, merged tool results, images and PDFs become content blocks", async () => {
    const request: ChatRequest = {
      model: "claude-sonnet-4",
      messages: [
        { role: "system", content: [{ type: "text", text: "Be brief." }] },
        {
          role: "system",
          content: [{ type: "text", text: "Use metric units.", cacheControl: { type: "ephemeral", ttl: "1h" } }],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "Look:" },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.png" } },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
            { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "report.pdf" },
          ],
        },
        {
          role: "assistant",
          content: [{ type: "text", text: "Checking both." }],
          reasoning: [{ text: "two lookups", signature: "sig-1" }],
          toolCalls: [
            { id: "toolu_a", name: "get_weather", arguments: '{"city":"Paris"}' },
            { id: "toolu_b", name: "get_time", arguments: '{"zone":"CET"}' },
          ],
        },
        { role: "tool", toolCallId: "toolu_a", content: [{ type: "text", text: "sunny" }] },
        { role: "tool", toolCallId: "toolu_b", content: [{ type: "text", text: "no clock" }], isError: true },
      ],
    };
    await anthropicProvider.chat(request, target, NEVER);
    const body = mock.requests[0]?.body;
    expect(body.system).toEqual([
      { type: "text", text: "Be brief." },
      { type: "text", text: "Use metric units.", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "Look:" },
          { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
            title: "report.pdf",
          },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "two lookups", signature: "sig-1" },
          { type: "text", text: "Checking both." },
          { type: "tool_use", id: "toolu_a", name: "get_weather", input: { city: "Paris" } },
          { type: "tool_use", id: "toolu_b", name: "get_time", input: { zone: "CET" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_a", content: "sunny" },
          { type: "tool_result", tool_use_id: "toolu_b", content: "no clock", is_error: true },
        ],
      },
    ]);
  });

  test("tools map to input_schema and cache breakpoints mark the last tool, system block and message", async () => {
    await anthropicProvider.chat(
      {
        ...hello,
        messages: [{ role: "system", content: [{ type: "text", text: "sys" }] }, userText("hi")],
        tools: [{ name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } }],
        cacheBreakpoints: { tools: true, system: true, lastMessage: true },
      },
      target,
      NEVER,
    );
    const body = mock.requests[0]?.body;
    expect(body.tools).toEqual([
      {
        name: "lookup",
        description: "Looks up",
        input_schema: { type: "object", properties: {} },
        cache_control: { type: "ephemeral" },
      },
    ]);
    expect(body.system).toEqual([{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }]);
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] },
    ]);
  });

  test.each([
    ["auto", false, { type: "auto" }],
    ["none", false, { type: "none" }],
    ["required", false, { type: "any" }],
    [{ name: "lookup" }, false, { type: "tool", name: "lookup" }],
    ["auto", true, { type: "auto", disable_parallel_tool_use: true }],
    [undefined, true, { type: "auto", disable_parallel_tool_use: true }],
  ] as const)("tool choice %p with parallel calls disabled=%p maps to %p", async (toolChoice, serial, expected) => {
    await anthropicProvider.chat(
      {
        ...hello,
        tools: [{ name: "lookup", parameters: { type: "object", properties: {} } }],
        ...(toolChoice === undefined ? {} : { toolChoice }),
        ...(serial ? { parallelToolCalls: false } : {}),
      },
      target,
      NEVER,
    );
    expect(mock.requests[0]?.body.tool_choice).toEqual(expected);
  });

  test("a json_schema response forces a single tool and returns its input as the result text", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    mock.setScript({ json: { city: "Paris" } });
    const request: ChatRequest = { ...hello, responseFormat: { type: "json_schema", name: "place", schema } };
    const result = await anthropicProvider.chat(request, target, NEVER);
    expect(result.text).toBe('{"city":"Paris"}');
    expect(result.toolCalls).toEqual([]);
    expect(result.finishReason).toBe("stop");
    const body = mock.requests[0]?.body;
    expect(body.tools).toEqual([{ name: "place", description: expect.any(String), input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "place" });
  });

  test("a streamed json_schema answer arrives as text chunks with no tool call chunks", async () => {
    mock.setScript({ json: { city: "Paris", country: "France" }, chunks: 4 });
    const request: ChatRequest = {
      ...hello,
      responseFormat: { type: "json_schema", name: "place", schema: { type: "object" } },
    };
    const chunks = await collect(anthropicProvider.chatStream(request, target, NEVER));
    expect(chunks.some((chunk) => chunk.type === "tool_call")).toBe(false);
    expect(chunks.filter((chunk) => chunk.type === "text")).toHaveLength(4);
    expect(JSON.parse(textOf(chunks))).toEqual({ city: "Paris", country: "France" });
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "stop" });
  });

  test("reasoning effort becomes a thinking budget: labels by table, numbers as given, room made in max_tokens", async () => {
    await anthropicProvider.chat({ ...hello, reasoningEffort: "high", temperature: 0.5 }, target, NEVER);
    await anthropicProvider.chat({ ...hello, reasoningEffort: 2000, maxTokens: 5000 }, target, NEVER);
    await anthropicProvider.chat({ ...hello, reasoningEffort: "low" }, target, NEVER);
    const [high, numeric, low] = mock.requests.map((request) => request.body);
    expect(high.thinking).toEqual({ type: "enabled", budget_tokens: 16384 });
    expect(high.max_tokens).toBe(16384 + 8192);
    expect(high.temperature).toBeUndefined();
    expect(numeric.thinking).toEqual({ type: "enabled", budget_tokens: 2000 });
    expect(numeric.max_tokens).toBe(5000);
    expect(low.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(low.max_tokens).toBe(8192);
  });

  test("sampling options, stop sequences and the user id reach the upstream", async () => {
    await anthropicProvider.chat(
      { ...hello, temperature: 0.3, topP: 0.8, topK: 20, stop: ["END"], user: "u-1" },
      target,
      NEVER,
    );
    expect(mock.requests[0]?.body).toMatchObject({
      temperature: 0.3,
      top_p: 0.8,
      top_k: 20,
      stop_sequences: ["END"],
      metadata: { user_id: "u-1" },
    });
  });
});

describe("anthropic provider: failures and the rest", () => {
  test("an event: error mid-stream throws an overloaded failure after the text already yielded", async () => {
    mock.setScript({
      text: "abcdef",
      chunks: 3,
      streamError: { afterChunks: 1, type: "overloaded_error", message: "Overloaded" },
    });
    const { chunks, error } = await collectUntilError(anthropicProvider.chatStream(hello, target, NEVER));
    expect(textOf(chunks)).toBe("ab");
    expect(error).toMatchObject({ name: "UpstreamFailure", kind: "overloaded" });
    expect((error as Error).message).toContain("Overloaded");
  });

  test("a 529 is overloaded, a 429 carries Retry-After and a 401 is auth", async () => {
    mock.setScript([{ status: 529 }, { status: 429, retryAfter: 12 }, { status: 401 }]);
    const overloaded = await failureOf(anthropicProvider.chat(hello, target, NEVER));
    const limited = await failureOf(anthropicProvider.chat(hello, target, NEVER));
    const unauthorised = await failureOf(anthropicProvider.chat(hello, target, NEVER));
    expect(overloaded).toMatchObject({ kind: "overloaded", status: 529 });
    expect(limited).toMatchObject({ kind: "rate_limit", status: 429, retryAfterSeconds: 12 });
    expect(unauthorised).toMatchObject({ kind: "auth", status: 401 });
  });

  test("no failure message contains the API key", async () => {
    mock.setScript({ status: 401, error: { message: `invalid x-api-key ${FAKE_KEY}` } });
    const failure = await failureOf(anthropicProvider.chat(hello, target, NEVER));
    expect(failure.message).not.toContain(FAKE_KEY);
  });

  test("a stream cut mid-way fails as a network error", async () => {
    mock.setScript({ text: "abcdef", chunks: 3, cutAfterChunks: 2 });
    const { chunks, error } = await collectUntilError(anthropicProvider.chatStream(hello, target, NEVER));
    expect(textOf(chunks)).toBe("abcd");
    expect(chunks.some((chunk) => chunk.type === "usage")).toBe(false);
    expect(error).toMatchObject({ kind: "network" });
  });

  test("a hang past timeoutMs is a timeout, and an abort reaches the upstream", async () => {
    mock.setScript({ hang: true });
    const failure = await failureOf(anthropicProvider.chat(hello, { ...target, timeoutMs: 100 }, NEVER));
    expect(failure.kind).toBe("timeout");
    const controller = new AbortController();
    const pending = collect(anthropicProvider.chatStream(hello, target, controller.signal));
    await mock.waitForRequest(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect((await mock.waitForAbort(1)).aborted).toBe(true);
  });

  test("embeddings and images are bad requests that never reach the upstream", async () => {
    const embed = await failureOf(anthropicProvider.embed({ model: "claude", input: ["x"] }, target, NEVER));
    const image = await failureOf(
      anthropicProvider.image({ model: "claude", prompt: "x", n: 1, responseFormat: "url" }, target, NEVER),
    );
    expect(embed.kind).toBe("bad_request");
    expect(embed.message).toContain("not supported by anthropic");
    expect(image.kind).toBe("bad_request");
    expect(mock.requests).toHaveLength(0);
  });

  test("probe lists /v1/models with x-api-key", async () => {
    await anthropicProvider.probe({ baseUrl: mock.anthropicBase, apiKey: FAKE_KEY, timeoutMs: 2000 }, NEVER);
    expect(mock.requests[0]).toMatchObject({
      family: "anthropic",
      method: "GET",
      path: "/v1/models",
      apiKey: FAKE_KEY,
    });
  });
});
