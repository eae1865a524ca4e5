/** @module Per-key limits: requests/min, tokens/min and credit budgets, refused with 429 + Retry-After before any upstream call. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runBinary } from "../../support/binary";
import { type CreditsFixture, HOLD_MICRO, startCreditsHub, USAGE } from "./helpers";

let f: CreditsFixture;

beforeAll(async () => {
  f = await startCreditsHub();
  await f.hub.deps.credits.grant({ userId: f.userId, amount: "10" });
}, 60_000);
afterAll(() => f.stop());
beforeEach(() => {
  f.mock.reset();
  f.mock.setScript({ text: "Hello there", usage: USAGE });
});

/** A fresh key of the billed user, so each test's limits and windows start empty. */
async function newKey() {
  const issued = await f.hub.deps.accounts.issueHubKey({ userId: f.userId, name: "limits", source: "admin" });
  return { key: issued.key, id: issued.record.id };
}

const chat = (key: string) => f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false), key });

describe("requests per minute", () => {
  test("on a 60 rpm key set with PATCH /api/keys/:id/limits, the 61st request in the minute gets 429 with Retry-After", async () => {
    const { key, id } = await newKey();
    const set = await f.request("PATCH", `/api/keys/${id}/limits`, { body: { rpm: 60 }, key });
    expect(set.status).toBe(200);
    expect((await set.json()).limits).toMatchObject({ rpmLimit: 60, tpmLimit: null, dailyBudget: null });

    const statuses = await Promise.all(Array.from({ length: 60 }, () => chat(key).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toMatchObject({
      error: {
        type: "requests",
        code: "rate_limit_exceeded",
        message: expect.stringContaining("60 requests per minute"),
      },
    });
    expect(f.mock.requests).toHaveLength(60);
    // The limit belongs to the key: another key of the same user is still served.
    expect((await chat((await newKey()).key)).status).toBe(200);
  });

  test("a limit set with `admin key limits` on the data dir applies to the running hub at once", async () => {
    const { key, id } = await newKey();
    const result = await runBinary(["admin", "key", "limits", "--id", id, "--rpm", "2", "--data-dir", f.dataDir], {
      cwd: f.hub.dir,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rpmLimit: 2 });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(200);
    const refused = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false), key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await refused.json()).error.type).toBe("rate_limited");
    expect(f.mock.requests).toHaveLength(2);
  });

  test("bad limits are refused with 400 (REST) or exit 2 (CLI) and leave the key's limits unchanged", async () => {
    const { key, id } = await newKey();
    await f.request("PATCH", `/api/keys/${id}/limits`, { body: { rpm: 5, dailyBudget: "1" }, key });
    for (const body of [
      { rpm: 0 },
      { tpm: -1 },
      { dailyBudget: "abc" },
      { dailyBudget: "0" },
      { monthlyBudget: "1.0000001" },
    ]) {
      expect((await f.request("PATCH", `/api/keys/${id}/limits`, { body, key })).status).toBe(400);
    }
    const cli = await runBinary(["admin", "key", "limits", "--id", id, "--rpm", "0", "--data-dir", f.dataDir], {
      cwd: f.hub.dir,
    });
    expect(cli.code).toBe(2);
    expect(await f.hub.deps.stores.keys.keyLimits(id)).toEqual({
      rpmLimit: 5,
      tpmLimit: null,
      dailyBudget: 1_000_000,
      monthlyBudget: null,
    });
    // A user cannot set the limits of another user's key.
    const other = await f.addUser("other-limits@example.com");
    expect((await f.request("PATCH", `/api/keys/${id}/limits`, { body: { rpm: 1000 }, key: other.key })).status).toBe(
      404,
    );
  });
});

describe("tokens per minute", () => {
  test("once a key's settled calls used its tokens for the minute, the next call gets 429 with Retry-After", async () => {
    const { key, id } = await newKey();
    await f.hub.deps.accounts.setKeyLimits({ id, tpm: 100 });
    // Each call uses 30 tokens: after three (90) a fourth is admitted, after four (120) the fifth is not.
    for (let i = 0; i < 4; i++) expect((await chat(key)).status).toBe(200);
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeWithin(1, 61);
    expect((await refused.json()).error.message).toContain("100 tokens per minute");
    expect(f.mock.requests).toHaveLength(4);
  });
});

describe("daily credit budget", () => {
  test("a call whose hold would take the key's captures plus open holds past its daily budget gets 429", async () => {
    const { key, id } = await newKey();
    // 300 micro-credits a day: one hold (209) fits, two open holds do not.
    const set = await f.request("PATCH", `/api/admin/keys/${id}/limits`, {
      body: { dailyBudget: "0.0003" },
      key: f.adminKey,
    });
    expect(set.status).toBe(200);
    expect((await set.json()).limits.dailyBudget).toBe(300);

    f.mock.setScript({ hang: true });
    const controller = new AbortController();
    const hanging = fetch(`${f.hub.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(f.openaiChat(false)),
      signal: controller.signal,
    }).catch(() => "aborted");
    await f.mock.waitForRequest(0);
    expect((await f.account()).held).toBe(HOLD_MICRO);

    const before = await f.account();
    const refused = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false), key });
    expect(refused.status).toBe(429);
    const seconds = Number(refused.headers.get("retry-after"));
    expect(seconds).toBeWithin(1, 86_401);
    expect((await refused.json()).error).toMatchObject({
      type: "rate_limited",
      message: expect.stringContaining("daily"),
    });
    expect(f.mock.requests).toHaveLength(1);
    expect(await f.account()).toEqual(before);

    controller.abort();
    expect(await hanging).toBe("aborted");
    await f.settled();

    // With the hold released, captures count: 0 + 209 and 50 + 209 fit in 300, 100 + 209 does not.
    f.mock.setScript({ text: "Hello there", usage: USAGE });
    expect((await chat(key)).status).toBe(200);
    await f.settled();
    expect((await chat(key)).status).toBe(200);
    await f.settled();
    const third = await chat(key);
    expect(third.status).toBe(429);
    expect((await third.json()).error.message).toContain("daily credit budget");
    const captured = (await f.entries()).filter((e) => e.kind === "capture" && e.keyId === id);
    expect(captured.map((e) => e.amount)).toEqual([50, 50]);
    // The user's balance is far from exhausted: it is the key's budget that refused.
    const account = await f.account();
    expect(account.balance - account.held).toBeGreaterThan(HOLD_MICRO);
  });
});
