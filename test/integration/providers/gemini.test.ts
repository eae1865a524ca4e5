/** @module The `gemini` provider against the mock upstream over real HTTP. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { geminiProvider } from "../../../src/server/providers/gemini";
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
const target = targetAt(mock.geminiBase, { model: "gemini-2.5-flash" });
const hello: ChatRequest = { model: "google/gemini-2.5-flash", messages: [userText("Say hello")] };

beforeEach(() => mock.reset());
afterAll(() => mock.stop());

describe("gemini provider: chat", () => {
  test("chat posts :generateContent with the key only in x-goog-api-key and maps text and usage", async () => {
    mock.setScript({
      text: "Hello!",
      usage: { input: 10, cacheRead: 4, output: 9, reasoning: 3 },
      model: "gemini-2.5-flash-001",
    });
    const result = await geminiProvider.chat(hello, target, NEVER);
    expect(result).toEqual({
      text: "Hello!",
      toolCalls: [],
      finishReason: "stop",
      usage: { inputTokens: 10, outputTokens: 9, cacheReadTokens: 4, cacheWriteTokens: 0, reasoningTokens: 3 },
      upstreamModel: "gemini-2.5-flash-001",
    });
    const request = mock.requests[0];
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request?.headers["x-goog-api-key"]).toBe(FAKE_KEY);
    expect(request?.query).toEqual({});
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toEqual({ contents: [{ role: "user", parts: [{ text: "Say hello" }] }] });
  });

  test("chatStream uses :streamGenerateContent?alt=sse and yields thoughts, text, usage and finish in order", async () => {
    mock.setScript({
      reasoning: "pondering",
      chunks: 1,
      text: "Hi there",
      usage: { input: 5, output: 6, reasoning: 2 },
    });
    const chunks = await collect(geminiProvider.chatStream(hello, target, NEVER));
    expect(chunks).toEqual([
      { type: "reasoning", text: "pondering" },
      { type: "text", text: "Hi there" },
      {
        type: "usage",
        usage: { inputTokens: 5, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 2 },
      },
      { type: "finish", reason: "stop" },
    ]);
    const request = mock.requests[0];
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(request?.query).toEqual({ alt: "sse" });
    expect(request?.headers["x-goog-api-key"]).toBe(FAKE_KEY);
  });

  test("function calls get synthesized ids and JSON arguments, in chat and in streams", async () => {
    const calls = [
      { name: "get_weather", arguments: { city: "Paris" } },
      { name: "get_time", arguments: { zone: "CET" } },
    ];
    mock.setScript({ toolCalls: calls });
    const result = await geminiProvider.chat(hello, target, NEVER);
    const chunks = await collect(geminiProvider.chatStream(hello, target, NEVER));
    expect(result.toolCalls.map(({ name, arguments: args }) => ({ name, args }))).toEqual([
      { name: "get_weather", args: '{"city":"Paris"}' },
      { name: "get_time", args: '{"zone":"CET"}' },
    ]);
    expect(result.toolCalls[0]?.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(new Set(result.toolCalls.map((call) => call.id)).size).toBe(2);
    expect(result.finishReason).toBe("tool_calls");
    const streamed = toolCallsOf(chunks);
    expect(streamed.map((call) => call.name)).toEqual(["get_weather", "get_time"]);
    expect(streamed.every((call) => call.id?.startsWith("call_"))).toBe(true);
    expect(chunks.at(-1)).toEqual({ type: "finish", reason: "tool_calls" });
  });

  test("MAX_TOKENS maps to length and SAFETY to content_filter", async () => {
    mock.setScript([{ finishReason: "length" }, { finishReason: "content_filter" }]);
    expect((await geminiProvider.chat(hello, target, NEVER)).finishReason).toBe("length");
    expect((await geminiProvider.chat(hello, target, NEVER)).finishReason).toBe("content_filter");
  });
});

describe("gemini provider: request mapping", () => {
  test("contents map roles, inline data, function calls and responses named after the matching earlier call", async () => {
    const request: ChatRequest = {
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: [{ type: "text", text: "Be brief." }] },
        {
          role: "user",
          content: [
            { type: "text", text: "Look:" },
            { type: "image", source: { kind: "base64", mediaType: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.webp" } },
            { type: "file", mediaType: "application/pdf", data: "JVBERi0x" },
          ],
        },
        {
          role: "assistant",
          content: [{ type: "text", text: "Checking." }],
          toolCalls: [
            { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
            { id: "call_b", name: "get_time", arguments: "{}" },
          ],
        },
        { role: "tool", toolCallId: "call_a", content: [{ type: "text", text: '{"sky":"sunny"}' }] },
        { role: "tool", toolCallId: "call_b", content: [{ type: "text", text: "12:00" }] },
        { role: "user", content: [{ type: "text", text: "Thanks" }] },
      ],
    };
    await geminiProvider.chat(request, target, NEVER);
    const body = mock.requests[0]?.body;
    expect(body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
    expect(body.contents).toEqual([
      {
        role: "user",
        parts: [
          { text: "Look:" },
          { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
          { fileData: { mimeType: "image/webp", fileUri: "https://example.com/cat.webp" } },
          { inlineData: { mimeType: "application/pdf", data: "JVBERi0x" } },
        ],
      },
      {
        role: "model",
        parts: [
          { text: "Checking." },
          { functionCall: { name: "get_weather", args: { city: "Paris" } } },
          { functionCall: { name: "get_time", args: {} } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { sky: "sunny" } } },
          { functionResponse: { name: "get_time", response: { content: "12:00" } } },
          { text: "Thanks" },
        ],
      },
    ]);
  });

  test("a tool result for an unknown call is a bad request that never reaches the upstream", async () => {
    const request: ChatRequest = {
      ...hello,
      messages: [userText("hi"), { role: "tool", toolCallId: "call_x", content: [{ type: "text", text: "?" }] }],
    };
    expect((await failureOf(geminiProvider.chat(request, target, NEVER))).kind).toBe("bad_request");
    expect(mock.requests).toHaveLength(0);
  });

  test("tools become function declarations with Gemini-safe schemas, and tool choice becomes a calling mode", async () => {
    const parameters = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      additionalProperties: false,
      properties: { city: { type: ["string", "null"], description: "City" }, unit: { const: "c" } },
      required: ["city"],
    };
    await geminiProvider.chat(
      {
        ...hello,
        tools: [
          { name: "get_weather", description: "Weather", parameters },
          { name: "ping", parameters: { type: "object", properties: {} } },
        ],
        toolChoice: { name: "get_weather" },
      },
      target,
      NEVER,
    );
    const body = mock.requests[0]?.body;
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: "get_weather",
            description: "Weather",
            parameters: {
              type: "object",
              properties: { city: { type: "string", nullable: true, description: "City" }, unit: { enum: ["c"] } },
              required: ["city"],
            },
          },
          { name: "ping" },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } });
  });

  test("generation options, json_schema and reasoning effort become generationConfig", async () => {
    const schema = { type: "object", additionalProperties: false, properties: { a: { type: "string" } } };
    await geminiProvider.chat(
      {
        ...hello,
        maxTokens: 256,
        temperature: 0.4,
        topP: 0.9,
        topK: 40,
        stop: ["END"],
        seed: 3,
        responseFormat: { type: "json_schema", name: "out", schema },
        reasoningEffort: "medium",
      },
      target,
      NEVER,
    );
    expect(mock.requests[0]?.body.generationConfig).toEqual({
      maxOutputTokens: 256,
      temperature: 0.4,
      topP: 0.9,
      topK: 40,
      stopSequences: ["END"],
      seed: 3,
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "string" } } },
      thinkingConfig: { thinkingBudget: 4096, includeThoughts: true },
    });
  });
});

describe("gemini provider: failures, embeddings, images and probe", () => {
  test("a 429 carries Retry-After and a 400 API_KEY_INVALID counts as an auth failure", async () => {
    const invalidKey = {
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }],
      },
    };
    mock.setScript([
      { status: 429, retryAfter: 9 },
      { status: 400, error: { body: invalidKey } },
    ]);
    const limited = await failureOf(geminiProvider.chat(hello, target, NEVER));
    const invalid = await failureOf(geminiProvider.chat(hello, target, NEVER));
    expect(limited).toMatchObject({ kind: "rate_limit", status: 429, retryAfterSeconds: 9 });
    expect(invalid).toMatchObject({ kind: "auth", status: 400 });
    expect(invalid.message).toContain("API key not valid");
  });

  test("a mid-stream error frame throws after the text already yielded", async () => {
    mock.setScript({ text: "abcdef", chunks: 3, streamError: { afterChunks: 2, message: "backend unavailable" } });
    const { chunks, error } = await collectUntilError(geminiProvider.chatStream(hello, target, NEVER));
    expect(textOf(chunks)).toBe("abcd");
    expect(error).toMatchObject({ name: "UpstreamFailure", kind: "overloaded" });
  });

  test("a stream cut before the finish reason fails as a network error", async () => {
    mock.setScript({ text: "abcdef", chunks: 3, cutAfterChunks: 1 });
    const { chunks, error } = await collectUntilError(geminiProvider.chatStream(hello, target, NEVER));
    expect(textOf(chunks)).toBe("ab");
    expect(error).toMatchObject({ kind: "network" });
  });

  test("timeouts and aborts end the request, and the key never reaches a URL or a message", async () => {
    mock.setScript({ hang: true });
    const timeout = await failureOf(geminiProvider.chat(hello, { ...target, timeoutMs: 100 }, NEVER));
    const controller = new AbortController();
    const pending = geminiProvider.chat(hello, target, controller.signal);
    await mock.waitForRequest(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(timeout.kind).toBe("timeout");
    expect((await mock.waitForAbort(1)).aborted).toBe(true);
    mock.setScript({ status: 403, error: { message: `key ${FAKE_KEY} is blocked; retry with ?key=${FAKE_KEY}` } });
    const denied = await failureOf(geminiProvider.chat(hello, target, NEVER));
    expect(denied.message).not.toContain(FAKE_KEY);
    for (const request of mock.requests) {
      expect(request.path).not.toContain(FAKE_KEY);
      expect(request.query.key).toBeUndefined();
    }
  });

  test("embed calls :batchEmbedContents and returns vectors in input order", async () => {
    mock.setScript({
      embeddings: [
        [1, 2],
        [3, 4],
      ],
    });
    const result = await geminiProvider.embed(
      { model: "text-embedding-004", input: ["alpha", "beta"], dimensions: 2 },
      { ...target, model: "text-embedding-004" },
      NEVER,
    );
    expect(result.vectors).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(result.usage.inputTokens).toBe(3);
    expect(mock.requests[0]?.path).toBe("/v1beta/models/text-embedding-004:batchEmbedContents");
    expect(mock.requests[0]?.body.requests).toEqual([
      { model: "models/text-embedding-004", content: { parts: [{ text: "alpha" }] }, outputDimensionality: 2 },
      { model: "models/text-embedding-004", content: { parts: [{ text: "beta" }] }, outputDimensionality: 2 },
    ]);
  });

  test("image generation is a bad request for Gemini chat models and uses :predict for Imagen models", async () => {
    const request = { model: "x", prompt: "a fox", n: 2, responseFormat: "b64_json" as const };
    const refused = await failureOf(geminiProvider.image(request, target, NEVER));
    expect(refused.kind).toBe("bad_request");
    expect(mock.requests).toHaveLength(0);
    const result = await geminiProvider.image(request, { ...target, model: "imagen-4.0-generate-001" }, NEVER);
    expect(result.images).toHaveLength(2);
    expect(result.images[0]).toMatchObject({ kind: "base64", mediaType: "image/png" });
    expect(mock.requests[0]?.path).toBe("/v1beta/models/imagen-4.0-generate-001:predict");
    expect(mock.requests[0]?.body).toEqual({ instances: [{ prompt: "a fox" }], parameters: { sampleCount: 2 } });
  });

  test("probe lists /v1beta/models with the key in the header", async () => {
    await geminiProvider.probe({ baseUrl: mock.geminiBase, apiKey: FAKE_KEY, timeoutMs: 2000 }, NEVER);
    expect(mock.requests[0]).toMatchObject({ method: "GET", path: "/v1beta/models", apiKey: FAKE_KEY, query: {} });
  });
});
