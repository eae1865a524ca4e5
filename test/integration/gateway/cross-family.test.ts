/**
 * @module Cross-family translation with the real SDKs: the Anthropic SDK against an OpenAI-backed model and the
 * OpenAI SDK against an Anthropic-backed model, streamed and not, with usage mapped field by field.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type { Tool } from "@anthropic-ai/sdk/resources/messages";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { ANTHROPIC_KEY, CLAUDE, type GatewayFixture, GPT, OPENAI_KEY, startGateway, userTurn } from "./helpers";

const WEATHER: Tool = {
  name: "get_weather",
  description: "Current weather in a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

let g: GatewayFixture;

beforeAll(async () => {
  g = await startGateway();
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

describe("POST /v1/messages with the Anthropic SDK against an OpenAI-backed model", () => {
  test("a message is answered in Anthropic's shape; input_tokens excludes the cached tokens", async () => {
    g.mock.setScript({ text: "Bonjour", usage: { input: 11, output: 3, cacheRead: 4 } });
    const message = await g.anthropic.messages.create({
      model: GPT,
      max_tokens: 256,
      system: "Answer in French",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: GPT,
      content: [{ type: "text", text: "Bonjour" }],
      stop_reason: "end_turn",
      stop_sequence: null,
    });
    expect(message.id).toStartWith("msg_");
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 3, cache_read_input_tokens: 4 });

    const upstream = g.mock.requests[0]!;
    expect(upstream.family).toBe("openai");
    expect(upstream.apiKey).toBe(OPENAI_KEY);
    expect(upstream.body).toMatchObject({
      model: "gpt-4o-mini",
      max_completion_tokens: 256,
      messages: [
        { role: "system", content: "Answer in French" },
        { role: "user", content: "Hello" },
      ],
    });
  });

  test("a stream has Anthropic's event order and ends with message_delta usage and message_stop", async () => {
    g.mock.setScript({ text: "one two three", chunks: 3, usage: { input: 12, output: 3, cacheRead: 6 } });
    const stream = await g.anthropic.messages.create({
      model: GPT,
      max_tokens: 64,
      messages: [{ role: "user", content: "Count" }],
      stream: true,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("message_start");
    expect(types.slice(1, 2)).toEqual(["content_block_start"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const text = events.map((e) =>
      e.type === "content_block_delta" && e.delta.type === "text_delta" ? e.delta.text : "",
    );
    expect(text.join("")).toBe("one two three");
    const delta = events.find((e) => e.type === "message_delta")!;
    if (delta.type !== "message_delta") throw new Error("unreachable");
    expect(delta.delta.stop_reason).toBe("end_turn");
    expect(delta.usage).toMatchObject({ input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 6 });
    expect(g.mock.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  test("the SDK's stream helper assembles the final message", async () => {
    g.mock.setScript({ text: "assembled answer", chunks: 2, usage: { input: 5, output: 2 } });
    const final = await g.anthropic.messages
      .stream({ model: GPT, max_tokens: 64, messages: [{ role: "user", content: "hi" }] })
      .finalMessage();
    expect(final.content).toMatchObject([{ type: "text", text: "assembled answer" }]);
    expect(final.usage).toMatchObject({ input_tokens: 5, output_tokens: 2 });
  });

  test("tool_use and tool_result map to OpenAI tool_calls and a tool message upstream", async () => {
    g.mock.setScript({ toolCalls: [{ id: "call_x", name: "get_weather", arguments: { city: "Lima" } }] });
    const first = await g.anthropic.messages.create({
      model: GPT,
      max_tokens: 128,
      tools: [WEATHER],
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "Weather in Lima?" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([
      { type: "tool_use", id: "call_x", name: "get_weather", input: { city: "Lima" }, caller: { type: "direct" } },
    ] as unknown as typeof first.content);
    expect(g.mock.requests[0]!.body.tools).toEqual([
      {
        type: "function",
        function: { name: "get_weather", description: WEATHER.description, parameters: WEATHER.input_schema },
      },
    ]);
    expect(g.mock.requests[0]!.body.tool_choice).toBe("required");

    g.mock.setScript({ text: "Sunny, 19 degrees." });
    const second = await g.anthropic.messages.create({
      model: GPT,
      max_tokens: 128,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "Weather in Lima?" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "call_x", name: "get_weather", input: { city: "Lima" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_x", content: "sunny, 19" }] },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "Sunny, 19 degrees." }]);
    expect(g.mock.requests[1]!.body.messages).toEqual([
      { role: "user", content: "Weather in Lima?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_x", type: "function", function: { name: "get_weather", arguments: '{"city":"Lima"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_x", content: "sunny, 19" },
    ]);
  });

  test("a Bearer token works like x-api-key (ANTHROPIC_AUTH_TOKEN-style clients)", async () => {
    const bearer = new Anthropic({ apiKey: null, authToken: g.key, baseURL: g.hub.url, maxRetries: 0 });
    const message = await bearer.messages.create({ model: GPT, max_tokens: 16, messages: [userTurn("hi")] });
    expect(message.content[0]).toMatchObject({ type: "text", text: "Hello from the mock upstream." });
  });
});

describe("POST /v1/chat/completions with the OpenAI SDK against an Anthropic-backed model", () => {
  test("a completion is answered in OpenAI's shape; prompt_tokens includes cache reads and writes", async () => {
    g.mock.setScript({ text: "Hi there", usage: { input: 11, output: 5, cacheRead: 4, cacheWrite: 2 } });
    const completion = await g.openai.chat.completions.create({
      model: CLAUDE,
      messages: [{ role: "system", content: "Be kind" }, userTurn("Hello")],
    });
    expect(completion.model).toBe(CLAUDE);
    expect(completion.choices[0]!.message.content).toBe("Hi there");
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({
      prompt_tokens: 17,
      completion_tokens: 5,
      total_tokens: 22,
      prompt_tokens_details: { cached_tokens: 4 },
    });

    const upstream = g.mock.requests[0]!;
    expect(upstream.family).toBe("anthropic");
    expect(upstream.path).toBe("/v1/messages");
    expect(upstream.apiKey).toBe(ANTHROPIC_KEY);
    expect(upstream.headers["anthropic-version"]).toBe("2023-06-01");
    expect(upstream.body.model).toBe("claude-sonnet-4");
    // The system message moves to its own field, and max_tokens (required upstream) gets a default.
    expect(upstream.body.system).toEqual([{ type: "text", text: "Be kind" }]);
    expect(upstream.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Hello" }] }]);
    expect(upstream.body.max_tokens).toBeGreaterThan(0);

    const call = (await g.calls()).at(-1)!;
    expect(call).toMatchObject({ provider: "anthropic", inputTokens: 11, cacheReadTokens: 4, cacheWriteTokens: 2 });
  });

  test("a stream is answered as chat.completion.chunk frames with the mapped final usage", async () => {
    g.mock.setScript({ text: "alpha beta gamma", chunks: 3, usage: { input: 30, output: 6, cacheRead: 10 } });
    const stream = await g.openai.chat.completions.create({
      model: CLAUDE,
      messages: [userTurn("Greek letters")],
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("alpha beta gamma");
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)!.usage).toMatchObject({
      prompt_tokens: 40,
      completion_tokens: 6,
      prompt_tokens_details: { cached_tokens: 10 },
    });
    expect(g.mock.requests[0]!.body).toMatchObject({ stream: true, max_tokens: 100 });
  });

  test("tool_calls and a tool message map to tool_use and tool_result blocks upstream", async () => {
    g.mock.setScript({ toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Kyiv" } }] });
    const first = await g.openai.chat.completions.create({
      model: CLAUDE,
      messages: [userTurn("Weather in Kyiv?")],
      tools: [{ type: "function", function: { name: WEATHER.name, parameters: WEATHER.input_schema } }],
    });
    const message = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    expect(message.tool_calls).toEqual([
      { id: "toolu_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Kyiv"}' } },
    ]);
    expect(g.mock.requests[0]!.body.tools).toEqual([{ name: "get_weather", input_schema: WEATHER.input_schema }]);

    g.mock.setScript({ text: "Cold." });
    const followUp: ChatCompletionMessageParam[] = [
      userTurn("Weather in Kyiv?"),
      message as ChatCompletionMessageParam,
      { role: "tool", tool_call_id: "toolu_1", content: "-3 C" },
    ];
    const second = await g.openai.chat.completions.create({ model: CLAUDE, messages: followUp });
    expect(second.choices[0]!.message.content).toBe("Cold.");
    expect(g.mock.requests[1]!.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Kyiv?" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Kyiv" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "-3 C" }] },
    ]);
  });

  test("response_format json_schema becomes a forced tool upstream and its input comes back as the JSON text", async () => {
    g.mock.setScript({ json: { city: "Kyiv", temperature: -3 } });
    const schema = { type: "object", properties: { city: { type: "string" }, temperature: { type: "number" } } };
    const completion = await g.openai.chat.completions.create({
      model: CLAUDE,
      messages: [userTurn("JSON please")],
      response_format: { type: "json_schema", json_schema: { name: "weather", schema } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ city: "Kyiv", temperature: -3 });
    expect(completion.choices[0]!.message.tool_calls ?? []).toEqual([]);
    const body = g.mock.requests[0]!.body;
    expect(body.tool_choice).toMatchObject({ type: "tool" });
    expect(body.tools).toContainEqual(expect.objectContaining({ name: body.tool_choice.name, input_schema: schema }));
  });
});
