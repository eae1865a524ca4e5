/** @module Credits on (the default) and off: who is served, what is recorded, and what `/api/user/info` reports. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runBinary } from "../../support/binary";
import { COST_MICRO, type CreditsFixture, MODEL, startCreditsHub, UNPRICED, USAGE, waitFor } from "./helpers";

describe("credits off with AIGNE_HUB_CREDITS=off", () => {
  let f: CreditsFixture;

  beforeAll(async () => {
    f = await startCreditsHub({ env: { AIGNE_HUB_CREDITS: "off" } });
  });
  afterAll(() => f.stop());
  beforeEach(() => f.mock.reset());

  test("a user without any balance is served, and the call record still carries its computed cost", async () => {
    f.mock.setScript({ text: "free lunch", usage: USAGE });
    const response = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false) });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aigne-hub-credits")).toBeNull();
    const id = (await response.json()).id.replace(/^chatcmpl-/, "");
    const [call] = (await f.calls()).filter((c) => c.id === id);
    expect(call).toMatchObject({ status: "success", inputTokens: 10, outputTokens: 20, cost: COST_MICRO });
    expect(JSON.parse(call!.rates!)).toEqual({ input: 1_000_000, output: 2_000_000, cachedInput: null });
    // Nothing is held or debited.
    expect(await f.entries()).toEqual([]);
    expect(await f.account()).toMatchObject({ balance: 0, held: 0, spent: 0 });
  });

  test("AIGNE answers carry usage without aigneHubCredits, streamed or not", async () => {
    f.mock.setScript({ text: "free lunch", usage: USAGE });
    const whole = await (await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false) })).json();
    expect(whole.usage).toEqual({ inputTokens: 10, outputTokens: 20 });
    const streamed = await (await f.request("POST", "/api/v2/chat", { body: f.aigneChat(true) })).text();
    expect(streamed).toContain('"usage":{"inputTokens":10,"outputTokens":20}');
    expect(streamed).not.toContain("aigneHubCredits");
  });

  test("/api/user/info says enableCredit:false with creditBalance and paymentLink null", async () => {
    const response = await f.request("GET", "/api/user/info");
    expect(response.status).toBe(200);
    const info = await response.json();
    expect(info).toMatchObject({ enableCredit: false, creditBalance: null, paymentLink: null });
    expect(info.user).toMatchObject({ email: f.email, did: expect.any(String), fullName: expect.any(String) });
  });

  test("a model of a configured provider without rates is served, at no cost", async () => {
    f.mock.setScript({ text: "unpriced", usage: USAGE });
    const response = await f.request("POST", "/v1/chat/completions", {
      body: { ...f.openaiChat(false), model: UNPRICED },
    });
    expect(response.status).toBe(200);
    expect(f.mock.requests[0]!.body.model).toBe("gpt-4.1-nano");
    const aigne = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false, UNPRICED) });
    expect(aigne.status).toBe(200);
    const calls = (await f.calls()).filter((c) => c.model === "gpt-4.1-nano");
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.status === "success" && c.cost === 0 && c.rates === null)).toBe(true);
  });
});

describe("credits on by default, switched at runtime", () => {
  let f: CreditsFixture;

  beforeAll(async () => {
    f = await startCreditsHub();
  }, 60_000);
  afterAll(() => f.stop());
  beforeEach(() => {
    f.mock.reset();
    f.mock.setScript({ text: "Hello there", usage: USAGE });
  });

  test("by default a user without credits is refused with 402 and /api/user/info reports enableCredit:true", async () => {
    expect((await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false) })).status).toBe(402);
    const info = await (await f.request("GET", "/api/user/info")).json();
    expect(info).toMatchObject({
      enableCredit: true,
      creditBalance: { balance: "0", total: "0" },
      paymentLink: `${f.hub.url}/ui/credits`,
    });
    expect(f.mock.requests).toHaveLength(0);
  });

  test("GET /api/v2/status says NOT_ENOUGH for a key without credits, and available once credits arrive", async () => {
    const { userId, key } = await f.addUser("probe@example.com");
    const path = `/api/v2/status?model=${encodeURIComponent(MODEL)}`;
    expect(await (await f.request("GET", path, { key })).json()).toEqual({
      available: false,
      type: "NOT_ENOUGH",
      error: `Not enough credits. Top up here: ${f.hub.url}/ui/credits`,
      link: `${f.hub.url}/ui/credits`,
    });
    await f.hub.deps.credits.grant({ userId, amount: "0.01" });
    expect(await (await f.request("GET", path, { key })).json()).toEqual({ available: true });
  });

  test("lenient admission serves a small positive balance with the hold capped at it, never overdrawing", async () => {
    const { userId, key } = await f.addUser("lenient@example.com");
    await f.hub.deps.credits.grant({ userId, amount: "0.0001" });
    // The strict default refuses: 100 micro-credits cannot cover the 209 hold.
    expect((await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false), key })).status).toBe(402);
    const set = await f.request("PATCH", "/api/admin/settings", { body: { lenient: true }, key: f.adminKey });
    expect((await set.json()).lenient).toBe(true);
    try {
      // This call costs 9 + 100 × 2 = 209, more than the 100 available: the capture stops at what was held.
      f.mock.setScript({ text: "long", usage: { input: 9, output: 100 } });
      expect((await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false), key })).status).toBe(200);
      expect(await f.account(userId)).toMatchObject({ balance: 0, held: 0, spent: 100 });
      expect(await f.hub.deps.stores.ledger.ledgerBalance(userId)).toBe(0);
      const refused = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false), key });
      expect(refused.status).toBe(402);
      expect((await refused.json()).error.type).toBe("NOT_ENOUGH");
    } finally {
      await f.request("PATCH", "/api/admin/settings", { body: { lenient: false }, key: f.adminKey });
    }
  });

  test("an unpriced model is refused before any upstream call: 404 model_not_found on /v1, 400 Unsupported model on AIGNE", async () => {
    await f.hub.deps.credits.grant({ userId: f.userId, amount: "1" });
    const openai = await f.request("POST", "/v1/chat/completions", {
      body: { ...f.openaiChat(false), model: UNPRICED },
    });
    expect(openai.status).toBe(404);
    const openaiError = (await openai.json()).error;
    expect(openaiError.code).toBe("model_not_found");
    expect(openaiError.message).toContain("admin model set");
    const aigne = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(true, UNPRICED) });
    expect(aigne.status).toBe(400);
    const aigneError = (await aigne.json()).error;
    expect(aigneError.type).toBe("invalid_request");
    expect(aigneError.message).toContain(`Unsupported model "${UNPRICED}"`);
    expect(aigneError.message).toContain("admin model set");
    expect(f.mock.requests).toHaveLength(0);
    expect((await f.account()).held).toBe(0);
  });

  test("PATCH /api/admin/settings {creditsEnabled:false} serves calls without a balance and unpriced models", async () => {
    const broke = await f.addUser("broke@example.com");
    const off = await f.request("PATCH", "/api/admin/settings", { body: { creditsEnabled: false }, key: f.adminKey });
    expect(off.status).toBe(200);
    expect((await off.json()).enabled).toBe(false);
    const served = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false), key: broke.key });
    expect(served.status).toBe(200);
    const unpriced = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false, UNPRICED), key: broke.key });
    expect(unpriced.status).toBe(200);
    expect((await unpriced.json()).usage.aigneHubCredits).toBeUndefined();
    const info = await (await f.request("GET", "/api/user/info", { key: broke.key })).json();
    expect(info).toMatchObject({ enableCredit: false, creditBalance: null });
    const calls = (await f.calls()).filter((c) => c.userId === broke.userId);
    expect(calls.map((c) => c.cost)).toEqual([COST_MICRO, 0]);
    expect(await f.entries(broke.userId)).toEqual([]);

    // `admin settings set --credits on` from another process turns billing back on for the running hub.
    const on = await runBinary(["admin", "settings", "set", "--credits", "on", "--data-dir", f.dataDir], {
      cwd: f.hub.dir,
    });
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ enabled: true });
    await waitFor("billing to be on again", async () => {
      const again = await (await f.request("GET", "/api/user/info", { key: broke.key })).json();
      return again.enableCredit === true ? again : undefined;
    });
    const refused = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false), key: broke.key });
    expect(refused.status).toBe(402);
    expect((await refused.json()).error.type).toBe("NOT_ENOUGH");
  });

  test("a bad setting is refused and changes nothing", async () => {
    const before = await f.hub.deps.credits.settings();
    const cli = await runBinary(["admin", "settings", "set", "--credits", "maybe", "--data-dir", f.dataDir], {
      cwd: f.hub.dir,
    });
    expect(cli.code).toBe(2);
    const rest = await f.request("PATCH", "/api/admin/settings", { body: { creditsEnabled: "no" }, key: f.adminKey });
    expect(rest.status).toBe(400);
    const link = await f.request("PATCH", "/api/admin/settings", { body: { paymentLink: "ftp://x" }, key: f.adminKey });
    expect(link.status).toBe(400);
    const user = await f.request("PATCH", "/api/admin/settings", { body: { creditsEnabled: false } });
    expect(user.status).toBe(403);
    expect(await f.hub.deps.credits.settings()).toEqual(before);
  });
});
