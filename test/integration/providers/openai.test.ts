/** @module The `openai` provider against the mock upstream over real HTTP. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { openaiProvider } from "../../../src/server/providers/openai";
import type { ChatRequest } from "../../../src/server/services/gateway/types";
import { byApiKey, startMockUpstream } from "../../mocks/upstream";
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
const target = targetAt(mock.openaiBase, { model: "gpt-4o-mini" });
const hello: ChatRequest = { model: "openai/gpt-4o-mini", messages: [userText("Say hello")] };

beforeEach(() => mock.reset());
afterAll(() => mock.stop());

describe("openai provider: chat", () => {
  test("chat returns the text, the finish reason, the upstream model and usage with cached tokens split out", async () => {
    mock.setScript({
      text: "Hello world",
      usage: { input: 20, cacheRead: 5, output: 7, reasoning: 2 },
      model: "gpt-4o-mini-2024",
    });
    const result = await openaiProvider.chat({ ...hello, maxTokens: 64 }, target, NEVER);
    expect(result).toEqual({
      text: "Hello world",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 20, cacheReadTokens: 5, cacheWriteTokens: 0, outputTokens: 7, reasoningTokens: 2 },
      upstreamModel: "gpt-4o-mini-2024",
    });
    const [request] = mock.requests;
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
    expect(request?.body).toEqual({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say hello" }],
      max_completion_tokens: 64,
    });
  });

  test("chatStream yields the text in upstream order, then one usage chunk, then finish, after asking for stream usage", async () => {
    mock.setScript({ text: "Hello there world", chunks: 3, usage: { input: 9, cacheRead: 3, output: 4 } });
    const chunks = await collect(openaiProvider.chatStream(hello, target, NEVER));
    expect(chunks).toEqual([
      { type: "text", text: "Hello " },
      { type: "text", text: "there " },
      { type: "text", text: "world" },
      {
        type: "usage",
        usage: { inputTokens: 9, cacheReadTokens: 3, cacheWriteTokens: 0, outputTokens: 4, reasoningTokens: 0 },
      },
      { type: "finish", reason: "stop" },
    ]);
    expect(mock.requests[0]?.body.stream).toBe(true);
    expect(mock.requests[0]?.body.stream_options).toEqual({ include_usage: true });
  });

  test("chatStream turns reasoning_content into reasoning chunks ahead of the answer", async () => {
    mock.setScript({ reasoning: "think first", chunks: 1, text: "answer" });
    const chunks = await collect(openaiProvider.chatStream(hello, target, NEVER));
    expect(chunks.slice(0, 2)).toEqual([
      { type: "reasoning", text: "think first" },
      { type: "text", text: "answer" },
    ]);
  });

  test("chatStream streams tool call fragments whose first fragment carries the id and name", async () => {
    mock.setScript({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_time", arguments: { zone: "CET" } },
      ],
    });
    const chunks = await collect(openaiProvider.chatStream(hello, target, NEVER));
    const fragments = chunks.filter((chunk) => chunk.type === "tool_call");
    expect(fragments[0]).toEqual({
      type: "tool_call",
      index: 0,
      id: "call_a",
      name: "get_weather",
      argumentsDelta: "",
    });
    expect(fragments.slice(1).every((fragment) => fragment.index === 1 || fragment.id === undefined)).toBe(true);
    expect(toolCallsOf(chunks)).toEqual([
      { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "get_time", arguments: '{"zone":"CET"}' },
    ]);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });

  test("chat returns whole tool calls with their JSON argument strings", async () => {
    mock.setScript({ toolCalls: [{ id: "call_1", name: "lookup", arguments: '{"q":"x"}' }] });
    const result = await openaiProvider.chat(hello, target, NEVER);
    expect(result.toolCalls).toEqual([{ id: "call_1", name: "lookup", arguments: '{"q":"x"}' }]);
    expect(result.finishReason).toBe("tool_calls");
  });

  test("a length stop maps to the length finish reason", async () => {
    mock.setScript({ text: "cut", finishReason: "length" });
    expect((await openaiProvider.chat(hello, target, NEVER)).finishReason).toBe("length");
  });
});

describe("openai provider: request mapping", () => {
  test("messages map to Chat Completions: system, user parts, assistant tool calls and tool results", async () => {
    const request: ChatRequest = {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: [{ type: "text", text: "Be brief." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "Look:" },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.png" } },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
            { type: "file", mediaType: "image/jpeg", data: "/9j/4AAQ" },
            { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "report.pdf" },
          ],
        },
        {
          role: "assistant",
          content: [],
          toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }],
        },
        { role: "tool", toolCallId: "call_1", content: [{ type: "text", text: "sunny" }] },
        { role: "assistant", content: [{ type: "text", text: "It is sunny." }] },
      ],
    };
    await openaiProvider.chat(request, target, NEVER);
    expect(mock.requests[0]?.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      {
        role: "user",
        content: [
          { type: "text", text: "Look:" },
          { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          { type: "image_url", image_url: { url: "data:image/jpeg;base64,/9j/4AAQ" } },
          { type: "file", file: { filename: "report.pdf", file_data: "data:application/pdf;base64,JVBERi0x" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny" },
      { role: "assistant", content: "It is sunny." },
    ]);
  });

  test("tools, tool choice, parallel calls, json_schema, reasoning effort and sampling options reach the upstream", async () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    await openaiProvider.chat(
      {
        ...hello,
        tools: [{ name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } }],
        toolChoice: { name: "lookup" },
        parallelToolCalls: false,
        responseFormat: { type: "json_schema", name: "answer", schema, strict: true },
        reasoningEffort: "low",
        temperature: 0.2,
        topP: 0.9,
        stop: ["END"],
        seed: 7,
        frequencyPenalty: 0.1,
        presencePenalty: 0.3,
        user: "user-42",
      },
      target,
      NEVER,
    );
    const body = mock.requests[0]?.body;
    expect(body.tools).toEqual([
      {
        type: "function",
        function: { name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: "function", function: { name: "lookup" } });
    expect(body.parallel_tool_calls).toBe(false);
    expect(body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "answer", schema, strict: true },
    });
    expect(body).toMatchObject({
      reasoning_effort: "low",
      temperature: 0.2,
      top_p: 0.9,
      stop: ["END"],
      seed: 7,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      user: "user-42",
    });
  });

  test("a numeric reasoning effort is not sent, and json_object asks for a JSON object", async () => {
    await openaiProvider.chat(
      { ...hello, reasoningEffort: 2048, responseFormat: { type: "json_object" } },
      target,
      NEVER,
    );
    expect(mock.requests[0]?.body.reasoning_effort).toBeUndefined();
    expect(mock.requests[0]?.body.response_format).toEqual({ type: "json_object" });
  });
});

describe("openai provider: failures", () => {
  test.each([
    [401, "auth"],
    [402, "auth"],
    [403, "auth"],
    [404, "not_found"],
    [400, "bad_request"],
    [422, "bad_request"],
    [408, "timeout"],
    [500, "server"],
    [502, "server"],
    [503, "overloaded"],
    [504, "server"],
    [529, "overloaded"],
  ] as const)("status %d becomes an UpstreamFailure of kind %s", async (status, kind) => {
    mock.setScript({ status, error: { message: `upstream says ${status}` } });
    const failure = await failureOf(openaiProvider.chat(hello, target, NEVER));
    expect(failure.kind).toBe(kind);
    expect(failure.status).toBe(status);
    expect(failure.message).toContain(`upstream says ${status}`);
  });

  test("a 429 is a rate limit carrying Retry-After seconds", async () => {
    mock.setScript({ status: 429, retryAfter: 7 });
    const failure = await failureOf(openaiProvider.chat(hello, target, NEVER));
    expect(failure).toMatchObject({ kind: "rate_limit", status: 429, retryAfterSeconds: 7 });
  });

  test("a Retry-After HTTP date becomes the seconds until that date", async () => {
    mock.setScript({ status: 429, retryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const failure = await failureOf(openaiProvider.chat(hello, target, NEVER));
    expect(failure.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(failure.retryAfterSeconds).toBeLessThanOrEqual(31);
  });

  test("OpenAI's insufficient_quota 429 is the credential's fault, not a rate limit", async () => {
    mock.setScript({ status: 429, error: { type: "insufficient_quota", message: "You exceeded your current quota" } });
    expect((await failureOf(openaiProvider.chat(hello, target, NEVER))).kind).toBe("auth");
  });

  test("no failure message contains the API key, even when the upstream echoes it", async () => {
    const echo = `Incorrect API key provided: ${FAKE_KEY}. See https://x.test/v1?key=${FAKE_KEY}&a=1, Bearer ${FAKE_KEY}`;
    mock.setScript([
      { status: 401, error: { message: echo } },
      { status: 500, error: { body: `<html>${FAKE_KEY}</html>` } },
    ]);
    const messages = [
      (await failureOf(openaiProvider.chat(hello, target, NEVER))).message,
      (await failureOf(openaiProvider.chat(hello, target, NEVER))).message,
    ];
    for (const message of messages) expect(message).not.toContain(FAKE_KEY);
    expect(messages[0]).toContain("Incorrect API key provided: [redacted]");
  });

  test("a mid-stream error frame throws after the chunks already yielded", async () => {
    mock.setScript({
      text: "abcdef",
      chunks: 3,
      streamError: { afterChunks: 2, type: "server_error", message: "boom" },
    });
    const { chunks, error } = await collectUntilError(openaiProvider.chatStream(hello, target, NEVER));
    expect(textOf(chunks)).toBe("abcd");
    expect(error).toMatchObject({ name: "UpstreamFailure", kind: "server" });
    expect((error as Error).message).toContain("boom");
  });

  test("a stream cut mid-way fails as a network error after the chunks already yielded, with no usage", async () => {
    mock.setScript({ text: "abcdef", chunks: 3, cutAfterChunks: 1 });
    const { chunks, error } = await collectUntilError(openaiProvider.chatStream(hello, target, NEVER));
    expect(chunks).toEqual([{ type: "text", text: "ab" }]);
    expect(error).toMatchObject({ name: "UpstreamFailure", kind: "network" });
  });

  test("an upstream that sends no headers within timeoutMs fails with timeout and the request is dropped", async () => {
    mock.setScript({ hang: true });
    const started = Date.now();
    const failure = await failureOf(openaiProvider.chat(hello, { ...target, timeoutMs: 150 }, NEVER));
    expect(failure.kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await mock.waitForAbort(0)).aborted).toBe(true);
  });

  test("a slow first byte inside the timeout still succeeds", async () => {
    mock.setScript({ firstByteDelayMs: 100, text: "late" });
    expect((await openaiProvider.chat(hello, { ...target, timeoutMs: 2000 }, NEVER)).text).toBe("late");
  });

  test("aborting the caller's signal ends a waiting request at once and the upstream sees the disconnect", async () => {
    mock.setScript({ hang: true });
    const controller = new AbortController();
    const pending = openaiProvider.chat(hello, target, controller.signal);
    await mock.waitForRequest(0);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect((await mock.waitForAbort(0)).aborted).toBe(true);
  });

  test("aborting mid-stream ends the upstream stream", async () => {
    mock.setScript({ text: "a slow answer", chunks: 5, chunkDelayMs: 40 });
    const controller = new AbortController();
    const { chunks, error } = await collectUntilError(
      (async function* () {
        for await (const chunk of openaiProvider.chatStream(hello, target, controller.signal)) {
          yield chunk;
          if (chunk.type === "text") controller.abort();
        }
      })(),
    );
    expect(chunks).toHaveLength(1);
    expect(error).toMatchObject({ name: "AbortError" });
    expect((await mock.waitForAbort(0)).aborted).toBe(true);
  });

  test("leaving a stream early cancels the upstream request", async () => {
    mock.setScript({ text: "a slow answer", chunks: 5, chunkDelayMs: 40 });
    for await (const chunk of openaiProvider.chatStream(hello, target, NEVER)) if (chunk.type === "text") break;
    expect((await mock.waitForAbort(0)).aborted).toBe(true);
  });

  test("an unreachable upstream is a network failure whose message holds no key", async () => {
    const closed = await startMockUpstream();
    await closed.stop();
    const failure = await failureOf(
      openaiProvider.chat(hello, { ...target, baseUrl: `${closed.openaiBase}?key=${FAKE_KEY}` }, NEVER),
    );
    expect(failure.kind).toBe("network");
    expect(failure.message).not.toContain(FAKE_KEY);
  });

  test("replies can depend on the key, so one credential is rate limited while another succeeds", async () => {
    mock.setScript(byApiKey({ "key-a": { status: 429, retryAfter: 3 } }, { text: "from key b" }));
    const failure = await failureOf(openaiProvider.chat(hello, { ...target, apiKey: "key-a" }, NEVER));
    const result = await openaiProvider.chat(hello, { ...target, apiKey: "key-b" }, NEVER);
    expect(failure).toMatchObject({ kind: "rate_limit", retryAfterSeconds: 3 });
    expect(result.text).toBe("from key b");
    expect(mock.requests.map((request) => request.apiKey)).toEqual(["key-a", "key-b"]);
  });
});

describe("openai provider: embeddings, images and probe", () => {
  test("embed returns vectors in input order with the prompt token usage", async () => {
    mock.setScript({
      embeddings: [
        [0.1, 0.2],
        [0.3, 0.4],
      ],
    });
    const result = await openaiProvider.embed(
      { model: "text-embedding-3-small", input: ["first text", "second"], dimensions: 2 },
      { ...target, model: "text-embedding-3-small" },
      NEVER,
    );
    expect(result.vectors).toEqual([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    expect(result.usage.inputTokens).toBe(5);
    expect(mock.requests[0]?.path).toBe("/v1/embeddings");
    expect(mock.requests[0]?.body).toEqual({
      model: "text-embedding-3-small",
      input: ["first text", "second"],
      dimensions: 2,
      encoding_format: "float",
    });
  });

  test("image returns base64 images for GPT image models without sending response_format", async () => {
    const result = await openaiProvider.image(
      { model: "gpt-image-1", prompt: "a cat", n: 2, size: "1024x1024", responseFormat: "url" },
      { ...target, model: "gpt-image-1" },
      NEVER,
    );
    expect(result.images).toHaveLength(2);
    expect(result.images[0]).toMatchObject({ kind: "base64", mediaType: "image/png" });
    expect(result.usage).toEqual({ inputTokens: 2, outputTokens: 200 });
    expect(mock.requests[0]?.body).toEqual({ model: "gpt-image-1", prompt: "a cat", n: 2, size: "1024x1024" });
  });

  test("image returns upstream URLs when a DALL·E model is asked for URLs", async () => {
    const result = await openaiProvider.image(
      { model: "dall-e-3", prompt: "a dog", n: 1, responseFormat: "url" },
      { ...target, model: "dall-e-3" },
      NEVER,
    );
    expect(result.images).toEqual([{ kind: "url", url: `${mock.url}/files/mock-image-0.png` }]);
    expect(mock.requests[0]?.body.response_format).toBe("url");
  });

  test("probe lists the models with the bearer key and fails with auth on a 401", async () => {
    await openaiProvider.probe({ baseUrl: mock.openaiBase, apiKey: FAKE_KEY, timeoutMs: 2000 }, NEVER);
    expect(mock.requests[0]).toMatchObject({ method: "GET", path: "/v1/models", apiKey: FAKE_KEY });
    mock.setScript({ status: 401 });
    const failure = await failureOf(
      openaiProvider.probe({ baseUrl: mock.openaiBase, apiKey: FAKE_KEY, timeoutMs: 2000 }, NEVER),
    );
    expect(failure.kind).toBe("auth");
  });
});
