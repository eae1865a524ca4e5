/** @module The real `AIGNEHubChatModel` of @aigne/aigne-hub 0.10.16 against an in-process hub backed by the mock upstream. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { AIGNEHubChatModel } from "@aigne/aigne-hub";
import type { ChatModelInput, ChatModelOutput } from "@aigne/core";
import { type GatewayFixture, startGateway } from "../gateway/helpers";

const WEATHER_TOOL = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const CITY_FORMAT = {
  type: "json_schema" as const,
  jsonSchema: {
    name: "city",
    schema: {
      type: "object",
      properties: { city: { type: "string" }, temperature: { type: "number" } },
      required: ["city", "temperature"],
      additionalProperties: false,
    },
  },
};

let g: GatewayFixture;
let brokeKey = "";

/** The class the aigne CLI uses for hub models, reached through the package's exported dispatcher (`aignehub/…`). */
const hubModel = (apiKey: string) =>
  new AIGNEHubChatModel({ baseURL: g.hub.url, apiKey, model: "aignehub/openai/gpt-4o-mini" });

/** Invokes with streaming on and merges the deltas the way the AIGNE clients do. */
async function invokeStreaming(model: AIGNEHubChatModel, input: ChatModelInput) {
  const stream = (await model.invoke(input, { streaming: true })) as unknown as ReadableStream<{
    delta: { text?: Record<string, string>; json?: Record<string, unknown> };
  }>;
  const output: Record<string, unknown> = {};
  const texts: string[] = [];
  for await (const chunk of stream) {
    for (const [key, value] of Object.entries(chunk.delta?.text ?? {})) {
      output[key] = `${(output[key] as string | undefined) ?? ""}${value}`;
      if (key === "text") texts.push(value);
    }
    Object.assign(output, chunk.delta?.json ?? {});
  }
  return { output: output as ChatModelOutput, texts };
}

const ask = (content: string): ChatModelInput => ({ messages: [{ role: "user", content }] });

beforeAll(async () => {
  g = await startGateway();
  await g.hub.deps.credits.grant({ userId: g.userId, amount: "100", note: "tests" });
  const { user } = await g.hub.deps.accounts.upsertUser({ email: "broke@example.com", password: "broke-password-1" });
  brokeKey = (await g.hub.deps.accounts.issueHubKey({ userId: user.id, name: "broke", source: "admin" })).key;
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

describe("AIGNEHubChatModel", () => {
  test("gets a non-streamed answer with token usage and the credits charged", async () => {
    g.mock.setScript({ text: "Hello world", usage: { input: 11, output: 3 } });
    const output = await hubModel(g.key).invoke(ask("Hi"));
    expect(output.text).toBe("Hello world");
    expect(output.usage).toMatchObject({ inputTokens: 11, outputTokens: 3 });
    expect(typeof output.usage?.aigneHubCredits).toBe("number");
    expect(output.usage?.aigneHubCredits).toBeGreaterThan(0);
    expect(g.mock.requests[0]?.body.model).toBe("gpt-4o-mini");
    expect(g.mock.requests[0]?.stream).toBe(false);
  });

  test("gets a streamed answer whose text deltas join to the upstream answer, usage last", async () => {
    g.mock.setScript({ text: "Streaming works fine", chunks: 3, usage: { input: 7, output: 4 } });
    const { output, texts } = await invokeStreaming(hubModel(g.key), ask("Stream please"));
    expect(texts.length).toBeGreaterThan(1);
    expect(output.text).toBe("Streaming works fine");
    expect(output.usage).toMatchObject({ inputTokens: 7, outputTokens: 4 });
    expect(output.usage?.aigneHubCredits).toBeGreaterThan(0);
    expect(g.mock.requests[0]?.stream).toBe(true);
    const call = await g.waitForCall((c) => c.status === "success" && c.stream);
    expect(call.appId).toStartWith("@aigne/aigne-hub:");
  });

  test("receives tool calls with object arguments and continues after the tool's answer", async () => {
    g.mock.setScript({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: { city: "Paris" } }] });
    const model = hubModel(g.key);
    const first = await model.invoke({ ...ask("Weather in Paris?"), tools: [WEATHER_TOOL], toolChoice: "auto" });
    expect(first.toolCalls).toEqual([
      { id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Paris" } } },
    ]);
    g.mock.setScript({ text: "It is sunny in Paris." });
    const second = await model.invoke({
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "agent", toolCalls: first.toolCalls },
        { role: "tool", toolCallId: "call_1", content: "sunny, 21 °C" },
      ],
      tools: [WEATHER_TOOL],
    });
    expect(second.text).toBe("It is sunny in Paris.");
    expect(g.mock.requests[1]?.body.messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_1" });
  });

  test("gets structured output as the json object, streamed and not", async () => {
    const answer = { city: "Paris", temperature: 21 };
    g.mock.setScript({ json: answer });
    const plain = await hubModel(g.key).invoke({ ...ask("Paris as JSON"), responseFormat: CITY_FORMAT });
    expect(plain.json).toEqual(answer);
    const { output } = await invokeStreaming(hubModel(g.key), { ...ask("Paris as JSON"), responseFormat: CITY_FORMAT });
    expect(output.json).toEqual(answer);
    expect(g.mock.requests[0]?.body.response_format?.type).toBe("json_schema");
  });

  test("a user without credits gets NOT_ENOUGH, which the client raises with the top-up link, before any upstream call", async () => {
    const error = await hubModel(brokeKey)
      .invoke(ask("Hi"))
      .then(
        () => undefined,
        (e: Error & { type?: string }) => e,
      );
    expect(error?.type).toBe("NOT_ENOUGH");
    expect(error?.message).toMatch(/https?:\/\/\S+/);
    expect(g.mock.requests).toHaveLength(0);
  });
});
