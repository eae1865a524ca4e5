/**
 * @module Credential rotation, failover and cooldown through the real surfaces: smooth weighted round-robin, failover
 * before the first byte, Retry-After cooldowns on an injected clock, upstream timeouts, invalid keys and their probe,
 * 503 when everything cools down, fallback models, and no retry of a 400.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { byApiKey } from "../../mocks/upstream";
import { CLAUDE, type GatewayFixture, type GatewayOptions, GPT, startGateway, userTurn } from "./helpers";

const KEY_A = "sk-credential-A-000000000000aaaa";
const KEY_B = "sk-credential-B-000000000000bbbb";
const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);

let g: GatewayFixture | undefined;
afterEach(async () => {
  await g?.stop();
  g = undefined;
});

/**
 * A hub whose `openai` provider holds credentials A (weight `weightA`) and B (weight `weightB`) at the mock, with
 * `openai/gpt-4o-mini` priced; returns the fixture and the credential ids.
 */
async function twoCredentials(options: GatewayOptions & { weightA?: number; weightB?: number } = {}) {
  const fixture = await startGateway({ ...options, bare: true });
  g = fixture;
  const { catalog } = fixture.hub.deps;
  const base = { name: "openai", type: "openai", baseUrl: fixture.mock.openaiBase };
  const a = await catalog.setProvider({ ...base, apiKey: KEY_A, weight: options.weightA ?? 10 });
  const b = await catalog.setProvider({ ...base, apiKey: KEY_B, weight: options.weightB ?? 1 });
  await catalog.setModel({ model: GPT, inputRate: "0.00000015", outputRate: "0.0000006" });
  return { g: fixture, a: a.credentialId!, b: b.credentialId! };
}

const chat = (fixture: GatewayFixture, model = GPT) =>
  fixture.openai.chat.completions.create({ model, messages: [userTurn("hi")] });

/** The API keys the mock saw on chat requests, in order. */
const keysSeen = (fixture: GatewayFixture) =>
  fixture.mock.requests
    .filter((r) => r.endpoint === "chat")
    .map((r) => (r.apiKey === KEY_A ? "A" : r.apiKey === KEY_B ? "B" : r.apiKey));

/** Sends a raw OpenAI chat request and returns status, Retry-After and body. */
async function rawChat(fixture: GatewayFixture, model = GPT) {
  const response = await fixture.post("/v1/chat/completions", { model, messages: [userTurn("hi")] });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.json() };
}

describe("credential rotation", () => {
  test("two credentials with weights 3 and 1 split 40 calls exactly 30/10, never twice B in a row", async () => {
    const { g } = await twoCredentials({ weightA: 3, weightB: 1 });
    g.mock.setScript({ text: "ok" });
    for (let i = 0; i < 40; i++) await chat(g);
    const seen = keysSeen(g);
    expect(seen.filter((k) => k === "A")).toHaveLength(30);
    expect(seen.filter((k) => k === "B")).toHaveLength(10);
    expect(seen.join("")).not.toContain("BB");
    // Smooth WRR: every window of four calls holds exactly one B.
    for (let i = 0; i + 4 <= seen.length; i += 4) expect(seen.slice(i, i + 4).filter((k) => k === "B")).toHaveLength(1);
  });
});

describe("failover before the first byte", () => {
  test("credential A answering 500 fails over to B; the call succeeds and records both attempts", async () => {
    const { g, a, b } = await twoCredentials();
    g.mock.setScript(byApiKey({ [KEY_A]: { status: 500 } }, { text: "served by B" }));
    const completion = await chat(g);
    expect(completion.choices[0]!.message.content).toBe("served by B");
    expect(keysSeen(g)).toEqual(["A", "B"]);
    const call = (await g.calls()).at(-1)!;
    expect(call.status).toBe("success");
    expect(call.credentialId).toBe(b);
    expect(call.attempts).toEqual([
      { provider: "openai", credentialId: a, status: 500, outcome: "server", ms: expect.any(Number) },
      { provider: "openai", credentialId: b, status: 200, outcome: "ok", ms: expect.any(Number) },
    ]);
  });

  test("a stream whose first credential answers 500 is served whole by the next one", async () => {
    const { g } = await twoCredentials();
    g.mock.setScript(byApiKey({ [KEY_A]: { status: 500 } }, { text: "streamed by B", chunks: 3 }));
    const stream = await g.openai.chat.completions.create({ model: GPT, messages: [userTurn("hi")], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("streamed by B");
    expect(keysSeen(g)).toEqual(["A", "B"]);
    const call = await g.waitForCall((c) => c.stream && c.status === "success");
    expect(call.attempts.map((x) => x.outcome)).toEqual(["server", "ok"]);
  });

  test("a stream whose upstream breaks before its first content chunk still fails over", async () => {
    const { g } = await twoCredentials();
    g.mock.setScript(byApiKey({ [KEY_A]: { text: "never seen", cutAfterChunks: 0 } }, { text: "whole answer" }));
    const stream = await g.openai.chat.completions.create({ model: GPT, messages: [userTurn("hi")], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("whole answer");
    expect(keysSeen(g)).toEqual(["A", "B"]);
  });

  test("429 with Retry-After cools A down until the deadline passes, then A serves again", async () => {
    // Real time as the start, so the admin view (which reads the wall clock) agrees with the engine's clock.
    let clock = Date.now();
    const { g, a } = await twoCredentials({ now: () => clock });
    g.mock.setScript(byApiKey({ [KEY_A]: { status: 429, retryAfter: 120 } }, { text: "ok" }));
    await chat(g);
    expect(keysSeen(g)).toEqual(["A", "B"]);
    expect((await g.calls()).at(-1)!.attempts.map((x) => [x.credentialId, x.status])).toEqual([
      [a, 429],
      [expect.any(String), 200],
    ]);

    g.mock.setScript({ text: "ok" });
    for (let i = 0; i < 3; i++) await chat(g);
    clock += 119_000;
    await chat(g);
    expect(keysSeen(g)).toEqual(["A", "B", "B", "B", "B", "B"]);

    // The operator sees it cooling once health is flushed.
    await g.hub.deps.health.flush();
    const providers = (await (await g.get("/api/admin/providers")).json()).providers;
    const cooling = providers[0].credentials.find((c: { id: string }) => c.id === a);
    expect(cooling.status).toBe("cooling");

    clock += 2_000;
    await chat(g);
    expect(keysSeen(g).at(-1)).toBe("A");
  });

  test("an upstream that hangs past the upstream timeout is abandoned and the call fails over", async () => {
    const { g } = await twoCredentials({ env: { AIGNE_HUB_UPSTREAM_TIMEOUT_SECONDS: "0.3" } });
    g.mock.setScript(byApiKey({ [KEY_A]: { hang: true } }, { text: "B was quick" }));
    const started = Date.now();
    const completion = await chat(g);
    expect(completion.choices[0]!.message.content).toBe("B was quick");
    expect(Date.now() - started).toBeLessThan(2000);
    await g.mock.waitForAbort(0);
    expect((await g.calls()).at(-1)!.attempts.map((x) => x.outcome)).toEqual(["timeout", "ok"]);
  });

  test("401 marks A invalid; it is skipped until the probe task sees /models answer 200 again", async () => {
    const { g, a } = await twoCredentials();
    let aAuthorised = false;
    g.mock.setScript((request) =>
      request.apiKey === KEY_A && !aAuthorised ? { status: 401, error: { message: "invalid key" } } : { text: "ok" },
    );
    await chat(g);
    for (let i = 0; i < 3; i++) await chat(g);
    expect(keysSeen(g)).toEqual(["A", "B", "B", "B", "B"]);

    await g.hub.deps.health.flush();
    const listed = (await (await g.get("/api/admin/providers")).json()).providers[0].credentials;
    expect(listed.find((c: { id: string }) => c.id === a)).toMatchObject({
      status: "invalid",
      invalidReason: expect.any(String),
    });

    const probe = g.hub.deps.backgroundTasks.find((t) => t.name === "probe invalid credentials")!;
    await probe.run();
    const probes = g.mock.requests.filter((r) => r.endpoint === "models");
    expect(probes.map((r) => r.apiKey)).toEqual([KEY_A]);
    await chat(g);
    expect(keysSeen(g).at(-1)).toBe("B");

    aAuthorised = true;
    await probe.run();
    await chat(g);
    expect(keysSeen(g).at(-1)).toBe("A");
  });

  test("when every credential cools down the hub answers 503 with Retry-After, without calling upstream", async () => {
    let clock = T0;
    const { g } = await twoCredentials({ now: () => clock });
    g.mock.setScript({ status: 429, retryAfter: 60 });
    const first = await rawChat(g);
    expect(first.status).toBe(503);
    expect(first.retryAfter).toBe("60");
    expect(first.body).toEqual({
      error: { message: expect.any(String), type: "server_error", param: null, code: "unavailable" },
    });
    expect(keysSeen(g)).toEqual(["A", "B"]);

    clock += 20_000;
    const second = await rawChat(g);
    expect(second.status).toBe(503);
    expect(second.retryAfter).toBe("40");
    expect(second.body.error.message).toContain("cooling down");
    expect(keysSeen(g)).toHaveLength(2);

    // The Anthropic surface renders the same condition as overloaded_error.
    const anthropic = await g.post("/v1/messages", { model: GPT, max_tokens: 8, messages: [userTurn("hi")] });
    expect(anthropic.status).toBe(503);
    expect(anthropic.headers.get("retry-after")).toBe("40");
    expect((await anthropic.json()).error.type).toBe("overloaded_error");
  });

  test("a 400 from upstream is returned as is, not retried on another credential, and costs A nothing", async () => {
    const { g } = await twoCredentials();
    g.mock.setScript({ status: 400, error: { message: "messages too long for this model" } });
    const response = await rawChat(g);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: "invalid_request_error" });
    expect(response.body.error.message).toContain("messages too long for this model");
    expect(keysSeen(g)).toEqual(["A"]);
    expect((await g.calls()).at(-1)).toMatchObject({ status: "failed", cost: 0 });

    g.mock.setScript({ text: "fine" });
    await chat(g);
    expect(keysSeen(g)).toEqual(["A", "A"]);
  });
});

describe("fallback models", () => {
  async function withFallback() {
    const { g } = await twoCredentials();
    const { catalog } = g.hub.deps;
    await catalog.setProvider({
      name: "anthropic",
      type: "anthropic",
      baseUrl: g.mock.anthropicBase,
      apiKey: "sk-ant-fallback-1234",
    });
    await catalog.setModel({ model: CLAUDE, inputRate: "0.000003", outputRate: "0.000015" });
    await catalog.setModel({ model: GPT, fallbackModel: CLAUDE });
    g.mock.setScript((request) => (request.family === "openai" ? { status: 500 } : { text: "the fallback answered" }));
    return g;
  }

  test("when every credential of the model fails, its configured fallback model serves the call", async () => {
    const g = await withFallback();
    const { data, response } = await chat(g).withResponse();
    expect(data.choices[0]!.message.content).toBe("the fallback answered");
    expect(data.model).toBe(CLAUDE);
    expect(response.headers.get("x-aigne-hub-provider")).toBe("anthropic");
    expect(g.mock.requests.map((r) => r.family)).toEqual(["openai", "openai", "anthropic"]);
    expect((await g.calls()).at(-1)!.attempts.map((x) => [x.provider, x.outcome])).toEqual([
      ["openai", "server"],
      ["openai", "server"],
      ["anthropic", "ok"],
    ]);
  });

  test("while the model's credentials cool down, calls go straight to the fallback model", async () => {
    const g = await withFallback();
    await chat(g).catch(() => undefined);
    g.mock.reset();
    g.mock.setScript({ text: "the fallback answered" });
    const completion = await chat(g);
    expect(completion.model).toBe(CLAUDE);
    expect(g.mock.requests.map((r) => r.family)).toEqual(["anthropic"]);
  });
});
