/** @module The AIGNE surface (`/api/v2/*`, `/api/ai/models`) over plain fetch, checked frame by frame against the wire spec. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ulid } from "ulid";
import { dataJson, type GatewayFixture, GPT, parseSse, startGateway } from "./helpers";

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, temperature: { type: "number" } },
  required: ["city", "temperature"],
};

/** The `/api/v2/chat` envelope the AIGNE clients send. */
function envelope(input: Record<string, unknown>, streaming?: boolean) {
  return {
    input: { modelOptions: { model: GPT }, ...input },
    agent: "$CHAT_MODEL",
    ...(streaming === undefined ? {} : { options: { streaming, userContext: {}, memories: [] } }),
  };
}

const hello = [{ role: "user", content: "Hello" }];

let g: GatewayFixture;

beforeAll(async () => {
  g = await startGateway();
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

/** Checks every frame obeys §6.6: a data line with a JSON object holding `delta`, or a comment; no [DONE]. */
function expectOnlyDeltaFrames(text: string) {
  expect(text).not.toContain("[DONE]");
  expect(text).not.toMatch(/^event:/m);
  for (const frame of parseSse(text)) {
    if (frame.comment !== undefined && frame.data === undefined) continue;
    expect(frame.event).toBeUndefined();
    const payload = JSON.parse(frame.data!);
    expect(Object.keys(payload)).toEqual(["delta"]);
  }
}

describe("POST /api/v2/chat", () => {
  test("without options it answers JSON with text, the served model and numeric usage", async () => {
    g.mock.setScript({ text: "Hello world", usage: { input: 11, output: 3, cacheRead: 2 } });
    const response = await g.post("/api/v2/chat", { input: { messages: hello, modelOptions: { model: GPT } } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = await response.json();
    expect(body).toMatchObject({
      text: "Hello world",
      model: GPT,
      usage: { inputTokens: 13, outputTokens: 3, cacheReadInputTokens: 2 },
    });
    expect(typeof body.usage.aigneHubCredits).toBe("number");
    expect(body.usage).not.toHaveProperty("creditPrefix");
    expect(g.mock.requests[0]!.body.messages).toEqual([{ role: "user", content: "Hello" }]);
  });

  test("with options.streaming it answers SSE: model frame, text deltas, the final usage last; no [DONE] or named events", async () => {
    g.mock.setScript({ text: "Hello brave new world", chunks: 4, usage: { input: 11, output: 5 } });
    const response = await g.post("/api/v2/chat", envelope({ messages: hello }, true));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const text = await response.text();
    expectOnlyDeltaFrames(text);
    const frames = dataJson(parseSse(text));
    expect(frames[0]).toEqual({ delta: { json: { model: GPT } } });
    const answer = frames.map((f) => f.delta.text?.text ?? "").join("");
    expect(answer).toBe("Hello brave new world");
    expect(frames.filter((f) => f.delta.text).length).toBe(4);
    const usages = frames.filter((f) => f.delta.json?.usage);
    expect(usages).toHaveLength(1);
    expect(frames.at(-1)).toBe(usages[0]);
    expect(frames.at(-1).delta.json.usage).toMatchObject({ inputTokens: 11, outputTokens: 5 });
    expect(typeof frames.at(-1).delta.json.usage.aigneHubCredits).toBe("number");
  });

  test("reasoning text is appended as thoughts, apart from the answer text", async () => {
    g.mock.setScript({ reasoning: "Let me think.", text: "42", chunks: 2 });
    const plain = await (await g.post("/api/v2/chat", envelope({ messages: hello }))).json();
    expect(plain).toMatchObject({ text: "42", thoughts: "Let me think." });
    const frames = dataJson(parseSse(await (await g.post("/api/v2/chat", envelope({ messages: hello }, true))).text()));
    expect(frames.map((f) => f.delta.text?.thoughts ?? "").join("")).toBe("Let me think.");
    expect(frames.map((f) => f.delta.text?.text ?? "").join("")).toBe("42");
  });

  test("stream headers are sent before the upstream has answered", async () => {
    g.mock.setScript({ text: "late", firstByteDelayMs: 600 });
    const started = Date.now();
    const response = await g.post("/api/v2/chat", envelope({ messages: hello }, true));
    expect(Date.now() - started).toBeLessThan(400);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const frames = dataJson(parseSse(await response.text()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(frames.map((f) => f.delta.text?.text ?? "").join("")).toBe("late");
  });

  test("json_schema answers come back as the `json` object, in JSON mode and in SSE mode", async () => {
    const responseFormat = { type: "json_schema", jsonSchema: { name: "weather", schema: SCHEMA, strict: true } };
    g.mock.setScript({ json: { city: "Paris", temperature: 21 } });
    const plain = await (await g.post("/api/v2/chat", envelope({ messages: hello, responseFormat }))).json();
    expect(plain.json).toEqual({ city: "Paris", temperature: 21 });
    expect(plain).not.toHaveProperty("text");
    expect(g.mock.requests[0]!.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "weather", schema: SCHEMA, strict: true },
    });

    const text = await (await g.post("/api/v2/chat", envelope({ messages: hello, responseFormat }, true))).text();
    expectOnlyDeltaFrames(text);
    const frames = dataJson(parseSse(text));
    expect(frames.filter((f) => f.delta.text)).toEqual([]);
    const json = frames.filter((f) => f.delta.json?.json);
    expect(json).toEqual([{ delta: { json: { json: { city: "Paris", temperature: 21 } } } }]);
    expect(frames.at(-1).delta.json.usage).toBeDefined();
  });

  test("tool calls come back with object arguments, and the agent/tool follow-up maps upstream", async () => {
    g.mock.setScript({ toolCalls: [{ id: "call_p", name: "get_weather", arguments: { city: "Paris" } }] });
    const first = await (
      await g.post("/api/v2/chat", envelope({ messages: hello, tools: [WEATHER_TOOL], toolChoice: "auto" }))
    ).json();
    expect(first.toolCalls).toEqual([
      { id: "call_p", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } },
    ]);
    expect(g.mock.requests[0]!.body.tools).toEqual([WEATHER_TOOL]);

    g.mock.setScript({ text: "It is sunny." });
    const followUp = await g.post(
      "/api/v2/chat",
      envelope({
        messages: [
          ...hello,
          { role: "agent", toolCalls: first.toolCalls },
          { role: "tool", toolCallId: "call_p", content: "temperature: 21" },
        ],
        tools: [WEATHER_TOOL],
      }),
    );
    expect(followUp.status).toBe(200);
    expect((await followUp.json()).text).toBe("It is sunny.");
    expect(g.mock.requests[1]!.body.messages).toEqual([
      { role: "user", content: "Hello" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_p", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_p", content: "temperature: 21" },
    ]);
  });

  test("a streamed tool call is sent once, complete, as one json delta with object arguments", async () => {
    g.mock.setScript({
      toolCalls: [
        { id: "call_1", name: "get_weather", arguments: { city: "Oslo" } },
        { id: "call_2", name: "get_weather", arguments: { city: "Rome" } },
      ],
    });
    const text = await (
      await g.post("/api/v2/chat", envelope({ messages: hello, tools: [WEATHER_TOOL] }, true))
    ).text();
    expectOnlyDeltaFrames(text);
    const frames = dataJson(parseSse(text));
    const toolFrames = frames.filter((f) => f.delta.json?.toolCalls);
    expect(toolFrames).toEqual([
      {
        delta: {
          json: {
            toolCalls: [
              { id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Oslo" } } },
              { id: "call_2", type: "function", function: { name: "get_weather", arguments: { city: "Rome" } } },
            ],
          },
        },
      },
    ]);
    expect(frames.at(-1).delta.json.usage).toBeDefined();
  });

  test("x-aigne-hub-client-did is stored as the call's app id; without it the key id is", async () => {
    const did = "z8iZpog7mcgcgBZzTiXJCWESvmnRrQmnd3XBB";
    expect(
      (await g.post("/api/v2/chat", envelope({ messages: hello }), { headers: { "x-aigne-hub-client-did": did } }))
        .status,
    ).toBe(200);
    expect((await g.calls()).at(-1)).toMatchObject({ appId: did, surface: "aigne", keyId: g.keyId });

    expect((await g.post("/api/v2/chat", envelope({ messages: hello }))).status).toBe(200);
    expect((await g.calls()).at(-1)!.appId).toBe(g.keyId);
  });

  test("gpt-4o-mini, openai:gpt-4o-mini and the older top-level model all resolve to openai/gpt-4o-mini", async () => {
    for (const body of [
      { input: { messages: hello, modelOptions: { model: "gpt-4o-mini" } } },
      { input: { messages: hello, modelOptions: { model: "openai:gpt-4o-mini" } } },
      { model: GPT, input: { messages: hello } },
    ]) {
      const response = await g.post("/api/v2/chat", body);
      expect(response.status).toBe(200);
      expect((await response.json()).model).toBe(GPT);
    }
    expect(g.mock.requests.map((r) => r.body.model)).toEqual(["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini"]);
  });

  test("the same body sent twice is two calls with two records and two debits", async () => {
    const body = envelope({ messages: [{ role: "user", content: "same words" }] });
    const before = (await g.calls()).length;
    const first = await (await g.post("/api/v2/chat", body)).json();
    const second = await (await g.post("/api/v2/chat", body)).json();
    const records = (await g.calls()).slice(before);
    expect(records).toHaveLength(2);
    expect(records[0]!.id).not.toBe(records[1]!.id);
    expect(records.every((r) => r.cost > 0)).toBe(true);
    expect(first.usage.aigneHubCredits).toBeGreaterThan(0);
    expect(second.usage.aigneHubCredits).toBe(first.usage.aigneHubCredits);
    expect(g.mock.requests).toHaveLength(2);
  });

  test("an unknown model is refused with 400 Unsupported model before any upstream call", async () => {
    for (const streaming of [false, true]) {
      const response = await g.post(
        "/api/v2/chat",
        envelope({ messages: hello, modelOptions: { model: "foo/bar" } }, streaming),
      );
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body).toEqual({
        error: { type: "invalid_request", message: expect.stringContaining('Unsupported model "foo/bar"') },
      });
    }
    expect(g.mock.requests).toHaveLength(0);
  });
});

describe("GET /api/ai/models", () => {
  test("answers without auth with items whose rates are strings and status is an object", async () => {
    const response = await g.get("/api/ai/models", { key: null });
    expect(response.status).toBe(200);
    const items = await response.json();
    expect(Array.isArray(items)).toBe(true);
    expect(items.find((m: { model: string }) => m.model === GPT)).toEqual({
      model: GPT,
      type: "chat",
      provider: "openai",
      input_credits_per_token: "0.00000015",
      output_credits_per_token: "0.0000006",
      modelMetadata: {},
      providerDisplayName: "OpenAI",
      status: { available: true },
    });
    for (const item of items) {
      expect(typeof item.input_credits_per_token).toBe("string");
      expect(typeof item.output_credits_per_token).toBe("string");
      expect(item.status).toEqual({ available: expect.any(Boolean) });
      expect(item.model).toContain("/");
    }
  });

  test("?type filters the list", async () => {
    const images = await (await g.get("/api/ai/models?type=image", { key: null })).json();
    expect(images.map((m: { model: string }) => m.model)).toEqual(["openai/gpt-image-1"]);
    const chats = await (await g.get("/api/ai/models?type=chat", { key: null })).json();
    expect(chats.map((m: { model: string }) => m.model).sort()).toEqual([
      "anthropic/claude-sonnet-4",
      "gemini/gemini-2.5-flash",
      GPT,
    ]);
  });
});

describe("GET /api/v2/status", () => {
  test("a routable model is available; an unknown one is not, nor any for a key without credits; no model is a 400", async () => {
    expect(await (await g.get(`/api/v2/status?model=${GPT}`)).json()).toEqual({ available: true });
    expect(await (await g.get(`/api/v2/status?model=${GPT}`, { key: null })).json()).toEqual({ available: true });
    const unknown = await (await g.get("/api/v2/status?model=foo/bar")).json();
    expect(unknown).toMatchObject({ available: false, error: expect.any(String) });
    const broke = await g.hub.deps.stores.accounts.upsertUser({
      newId: ulid(),
      newDid: `z${ulid()}`,
      email: "broke@example.com",
      role: "user",
      passwordHash: "!no-sign-in",
      at: Date.now(),
    });
    const brokeKey = (await g.hub.deps.accounts.issueHubKey({ userId: broke.user.id, name: "b", source: "admin" })).key;
    expect(await (await g.get(`/api/v2/status?model=${GPT}`, { key: brokeKey })).json()).toEqual({
      available: false,
      error: expect.any(String),
      type: "NOT_ENOUGH",
      link: expect.stringMatching(/^https?:\/\//),
    });
    const missing = await g.get("/api/v2/status");
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.type).toBe("invalid_request");
    expect(g.mock.requests).toHaveLength(0);
  });
});

describe("POST /api/v2/embeddings", () => {
  test("accepts the envelope and the flat body, answering in the OpenAI embeddings shape", async () => {
    const wrapped = await g.post("/api/v2/embeddings", {
      input: { input: ["ab", "c"], modelOptions: { model: "openai/text-embedding-3-small" } },
    });
    expect(wrapped.status).toBe(200);
    const a = await wrapped.json();
    expect(a.data).toEqual([
      { object: "embedding", index: 0, embedding: [2, 0, 0.5] },
      { object: "embedding", index: 1, embedding: [1, 1, 0.5] },
    ]);
    expect(a.model).toBe("openai/text-embedding-3-small");
    expect(a.usage).toMatchObject({ promptTokens: 2, totalTokens: 2 });

    const flat = await g.post("/api/v2/embeddings", { model: "openai/text-embedding-3-small", input: "abcd" });
    expect(flat.status).toBe(200);
    const b = await flat.json();
    expect(b.data).toEqual([{ object: "embedding", index: 0, embedding: [4, 0, 0.5] }]);
    expect(b.usage).toMatchObject({ promptTokens: 1, totalTokens: 1 });
    expect(g.mock.requests.map((r) => r.body.input)).toEqual([["ab", "c"], ["abcd"]]);
  });
});

describe("POST /api/v2/image", () => {
  test("returns base64 file parts that need no Authorization to use", async () => {
    const response = await g.post("/api/v2/image", {
      input: { prompt: "a cat", n: 2, outputFileType: "url", modelOptions: { model: "openai/gpt-image-1" } },
      options: { streaming: false },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.model).toBe("openai/gpt-image-1");
    expect(body.images).toHaveLength(2);
    for (const image of body.images) {
      expect(image).toEqual({ type: "file", data: expect.stringMatching(/^iVBORw0KGgo/), mimeType: "image/png" });
    }
    expect(body.usage).toMatchObject({ inputTokens: expect.any(Number), outputTokens: expect.any(Number) });
    expect(g.mock.requests[0]!.body).toMatchObject({ model: "gpt-image-1", prompt: "a cat", n: 2 });
  });
});
