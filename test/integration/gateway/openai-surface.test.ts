/** @module The OpenAI-compatible surface driven by the real `openai` SDK against an in-process hub and the mock. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { type GatewayFixture, GPT, OPENAI_KEY, startGateway, userTurn } from "./helpers";

const WEATHER_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const CITY_SCHEMA = {
  type: "object",
  properties: { city: { type: "string" }, temperature: { type: "number" } },
  required: ["city", "temperature"],
  additionalProperties: false,
};

let g: GatewayFixture;

beforeAll(async () => {
  g = await startGateway();
  await g.hub.deps.catalog.setModel({ model: "openai/dall-e-3", type: "image", outputRate: "0.04" });
});
afterAll(() => g.stop());
beforeEach(async () => {
  g.mock.reset();
  await g.forgetCalls();
});

describe("POST /v1/chat/completions", () => {
  test("a chat completion returns the upstream answer, the provider/model id and OpenAI usage with cached tokens", async () => {
    g.mock.setScript({ text: "Hello world", usage: { input: 11, output: 3, cacheRead: 4 } });
    const { data, response } = await g.openai.chat.completions
      .create({ model: GPT, messages: [{ role: "system", content: "Be brief" }, userTurn("Hi")] })
      .withResponse();

    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe(GPT);
    expect(data.id).toStartWith("chatcmpl-");
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]!.message.content).toBe("Hello world");
    expect(data.choices[0]!.finish_reason).toBe("stop");
    // OpenAI's prompt_tokens includes the cached tokens.
    expect(data.usage).toMatchObject({
      prompt_tokens: 15,
      completion_tokens: 3,
      total_tokens: 18,
      prompt_tokens_details: { cached_tokens: 4 },
    });
    expect(response.headers.get("x-aigne-hub-provider")).toBe("openai");
    expect(response.headers.get("x-request-id")).toBeTruthy();

    const upstream = g.mock.requests[0]!;
    expect(upstream.path).toBe("/v1/chat/completions");
    expect(upstream.apiKey).toBe(OPENAI_KEY);
    expect(upstream.body.model).toBe("gpt-4o-mini");
    expect(upstream.body.messages).toEqual([
      { role: "system", content: "Be brief" },
      { role: "user", content: "Hi" },
    ]);

    const call = (await g.calls()).at(-1)!;
    expect(call).toMatchObject({
      id: data.id.replace(/^chatcmpl-/, ""),
      surface: "openai",
      status: "success",
      stream: false,
      provider: "openai",
      model: "gpt-4o-mini",
      inputTokens: 11,
      cacheReadTokens: 4,
      outputTokens: 3,
      estimated: false,
    });
    // The settled debit, in credits, is echoed on whole (non-streamed) answers.
    const credits = response.headers.get("x-aigne-hub-credits")!;
    expect(credits).toMatch(/^\d+(\.\d+)?$/);
    expect(Math.round(Number(credits) * 1_000_000)).toBe(call.cost);
    expect(call.cost).toBeGreaterThan(0);
  });

  test("a stream delivers the text in deltas and, with include_usage, ends with a choices-less usage chunk", async () => {
    g.mock.setScript({ text: "one two three four", chunks: 4, usage: { input: 20, output: 4, cacheRead: 8 } });
    const stream = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("Count")],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);

    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("one two three four");
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(4);
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === GPT)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: 28,
      completion_tokens: 4,
      total_tokens: 32,
      prompt_tokens_details: { cached_tokens: 8 },
    });
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    // Only the final chunk carries usage.
    expect(chunks.slice(0, -1).some((c) => c.usage)).toBe(false);

    expect(g.mock.requests[0]!.body.stream).toBe(true);
    expect(g.mock.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  test("a stream without include_usage sends no usage chunk but is still billed from the upstream's final usage", async () => {
    g.mock.setScript({ text: "abc def", usage: { input: 9, output: 2 } });
    const stream = await g.openai.chat.completions.create({ model: GPT, messages: [userTurn("x")], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    // include_usage is forced upstream, so the record holds exact counts.
    expect(g.mock.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    const call = await g.waitForCall((c) => c.stream && c.status === "success");
    expect(call).toMatchObject({ inputTokens: 9, outputTokens: 2, estimated: false });
    expect(call.cost).toBeGreaterThan(0);
  });

  test("a tool call round-trip: the model calls a tool and the follow-up with its result maps upstream as tool messages", async () => {
    g.mock.setScript({ toolCalls: [{ id: "call_w1", name: "get_weather", arguments: { city: "Paris" } }] });
    const first = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("Weather in Paris?")],
      tools: [WEATHER_TOOL],
      tool_choice: "auto",
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    const toolCall = choice.message.tool_calls![0]!;
    expect(toolCall).toMatchObject({ id: "call_w1", type: "function", function: { name: "get_weather" } });
    if (toolCall.type !== "function") throw new Error("expected a function call");
    expect(JSON.parse(toolCall.function.arguments)).toEqual({ city: "Paris" });
    expect(g.mock.requests[0]!.body.tools).toEqual([WEATHER_TOOL]);
    expect(g.mock.requests[0]!.body.tool_choice).toBe("auto");

    g.mock.setScript({ text: "It is 21 degrees in Paris." });
    const followUp: ChatCompletionMessageParam[] = [
      userTurn("Weather in Paris?"),
      choice.message as ChatCompletionMessageParam,
      { role: "tool", tool_call_id: "call_w1", content: '{"temperature":21}' },
    ];
    const second = await g.openai.chat.completions.create({ model: GPT, messages: followUp, tools: [WEATHER_TOOL] });
    expect(second.choices[0]!.message.content).toBe("It is 21 degrees in Paris.");

    expect(g.mock.requests[1]!.body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_w1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_w1", content: '{"temperature":21}' },
    ]);
  });

  test("a streamed tool call arrives as indexed fragments whose arguments join into the upstream's JSON", async () => {
    g.mock.setScript({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Oslo" } },
        { id: "call_b", name: "get_weather", arguments: { city: "Rome" } },
      ],
    });
    const stream = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("Oslo and Rome?")],
      tools: [WEATHER_TOOL],
      stream: true,
    });
    const calls: { id?: string; name?: string; arguments: string }[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      finish = choice?.finish_reason ?? finish;
      for (const fragment of choice?.delta.tool_calls ?? []) {
        calls[fragment.index] ??= { arguments: "" };
        const call = calls[fragment.index]!;
        if (fragment.id) call.id = fragment.id;
        if (fragment.function?.name) call.name = fragment.function.name;
        call.arguments += fragment.function?.arguments ?? "";
      }
    }
    expect(finish).toBe("tool_calls");
    expect(calls.map((c) => ({ ...c, arguments: JSON.parse(c.arguments) }))).toEqual([
      { id: "call_a", name: "get_weather", arguments: { city: "Oslo" } },
      { id: "call_b", name: "get_weather", arguments: { city: "Rome" } },
    ]);
  });

  test("response_format json_schema is forwarded upstream and the answer is the JSON document", async () => {
    g.mock.setScript({ json: { city: "Paris", temperature: 21 } });
    const completion = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("Weather as JSON")],
      response_format: { type: "json_schema", json_schema: { name: "weather", schema: CITY_SCHEMA, strict: true } },
    });
    expect(JSON.parse(completion.choices[0]!.message.content!)).toEqual({ city: "Paris", temperature: 21 });
    expect(g.mock.requests[0]!.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "weather", schema: CITY_SCHEMA, strict: true },
    });
  });

  test("POST /chat/completions at the root answers like /v1/chat/completions, also for a bare model name", async () => {
    const root = new OpenAI({ apiKey: g.key, baseURL: g.hub.url, maxRetries: 0 });
    g.mock.setScript({ text: "from the root" });
    const completion = await root.chat.completions.create({ model: "gpt-4o-mini", messages: [userTurn("hi")] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe(GPT);
    expect(completion.choices[0]!.message.content).toBe("from the root");

    const stream = await root.chat.completions.create({
      model: GPT,
      messages: [userTurn("hi")],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("from the root");
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });
    expect(g.mock.requests.map((r) => r.body.model)).toEqual(["gpt-4o-mini", "gpt-4o-mini"]);
  });
});

describe("POST /v1/embeddings", () => {
  test("embeddings come back in input order under the provider/model id, base64-decoded by the SDK", async () => {
    // The SDK asks for base64 by default and decodes float32; the hub must encode exactly.
    const result = await g.openai.embeddings.create({ model: "openai/text-embedding-3-small", input: ["a", "bbb"] });
    expect(result.object).toBe("list");
    expect(result.model).toBe("openai/text-embedding-3-small");
    expect(result.data).toEqual([
      { object: "embedding", index: 0, embedding: [1, 0, 0.5] },
      { object: "embedding", index: 1, embedding: [3, 1, 0.5] },
    ]);
    expect(result.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    expect(g.mock.requests[0]!.body).toMatchObject({ model: "text-embedding-3-small", input: ["a", "bbb"] });
  });

  test("encoding_format float returns plain number arrays", async () => {
    g.mock.setScript({ embeddings: [[0.25, -1.5]] });
    const result = await g.openai.embeddings.create({
      model: "openai/text-embedding-3-small",
      input: "one",
      encoding_format: "float",
    });
    expect(result.data[0]!.embedding).toEqual([0.25, -1.5]);
  });
});

describe("POST /v1/images/generations", () => {
  test("response_format url returns the URLs the upstream hosts", async () => {
    const result = await g.openai.images.generate({
      model: "openai/dall-e-3",
      prompt: "a red square",
      n: 2,
      response_format: "url",
    });
    expect(result.data).toEqual([
      { url: `${g.mock.url}/files/mock-image-0.png` },
      { url: `${g.mock.url}/files/mock-image-1.png` },
    ]);
    expect(g.mock.requests[0]!.body).toMatchObject({
      model: "dall-e-3",
      prompt: "a red square",
      response_format: "url",
    });
  });

  test("response_format b64_json returns base64 PNG data", async () => {
    const result = await g.openai.images.generate({
      model: "openai/gpt-image-1",
      prompt: "a blue circle",
      response_format: "b64_json",
    });
    expect(result.data).toHaveLength(1);
    const png = Buffer.from(result.data![0]!.b64_json!, "base64");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const call = (await g.calls()).at(-1)!;
    expect(call).toMatchObject({ type: "image", status: "success", outputTokens: 1 });
  });
});

describe("GET /v1/models", () => {
  test("lists only enabled, priced models of enabled providers, as provider/model ids", async () => {
    const { catalog } = g.hub.deps;
    await catalog.setModel({
      model: "openai/gpt-retired",
      inputRate: "0.000001",
      outputRate: "0.000001",
      enabled: false,
    });
    await catalog.setProvider({ name: "offline", type: "openai", baseUrl: g.mock.openaiBase, enabled: false });
    await catalog.setModel({ model: "offline/gpt-4o", inputRate: "0.000001", outputRate: "0.000001" });

    const ids: string[] = [];
    for await (const model of g.openai.models.list()) {
      expect(model.object).toBe("model");
      expect(model.owned_by).toBe(model.id.split("/")[0]!);
      ids.push(model.id);
    }
    expect(ids.sort()).toEqual([
      "anthropic/claude-sonnet-4",
      "gemini/gemini-2.5-flash",
      "openai/dall-e-3",
      "openai/gpt-4o-mini",
      "openai/gpt-image-1",
      "openai/text-embedding-3-small",
    ]);
    // The listing is served from the catalog, not from an upstream call.
    expect(g.mock.requests).toHaveLength(0);
  });
});
