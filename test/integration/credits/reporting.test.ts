/** @module What users and operators read about credits: balances, the AIGNE credits echo, usage, the ledger and call exports. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { COST_MICRO, type CreditsFixture, MODEL, readSse, startCreditsHub, USAGE } from "./helpers";

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;
const OTHER_MODEL = "openai/gpt-4o";

let f: CreditsFixture;

beforeAll(async () => {
  f = await startCreditsHub();
  await f.hub.deps.catalog.setModel({
    model: OTHER_MODEL,
    inputRate: "0.000003",
    outputRate: "0.000004",
    maxOutputTokens: 50,
  });
});
afterAll(() => f.stop());

/** The user's `creditBalance` as `/api/user/info` reports it. */
async function balance(key = f.key) {
  const response = await f.request("GET", "/api/user/info", { key });
  expect(response.status).toBe(200);
  const info = await response.json();
  expect(info.enableCredit).toBe(true);
  for (const field of ["balance", "total", "pendingCredit"]) expect(info.creditBalance[field]).toMatch(PLAIN_DECIMAL);
  return info.creditBalance as { balance: string; total: string; grantCount: number; pendingCredit: string };
}

describe("GET /api/user/info", () => {
  test("reports balances as plain decimal strings, without exponent notation, right after grants", async () => {
    expect(await balance()).toEqual({ balance: "0", total: "0", grantCount: 0, pendingCredit: "0" });
    await f.hub.deps.credits.grant({ userId: f.userId, amount: "0.000001" });
    expect(await balance()).toEqual({ balance: "0.000001", total: "0.000001", grantCount: 1, pendingCredit: "0" });
    await f.hub.deps.credits.grant({ userId: f.userId, amount: "1234.5" });
    expect(await balance()).toMatchObject({ balance: "1234.500001", total: "1234.500001", grantCount: 2 });
  });

  test("after a call, total stays what was granted and balance drops by exactly the settled debit", async () => {
    f.mock.setScript({ text: "Hello there", usage: USAGE });
    const response = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false) });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aigne-hub-credits")).toBe("0.00005");
    await f.settled();
    expect(await balance()).toEqual({
      balance: "1234.499951",
      total: "1234.500001",
      grantCount: 2,
      pendingCredit: "0",
    });
  });

  test("while a call is in flight its hold shows as pendingCredit and is not available", async () => {
    f.mock.setScript({ text: "slow", usage: USAGE, firstByteDelayMs: 300 });
    const call = f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false) });
    await f.mock.waitForRequest(f.mock.requests.length);
    expect(await balance()).toMatchObject({ balance: "1234.499742", total: "1234.500001", pendingCredit: "0.000209" });
    expect((await call).status).toBe(200);
    await f.settled();
    expect(await balance()).toMatchObject({ balance: "1234.499901", pendingCredit: "0" });
  });
});

describe("usage.aigneHubCredits on /api/v2/chat", () => {
  test("equals the settled debit as a JSON number, in whole answers and in the final stream frame", async () => {
    f.mock.setScript({ text: "Hello there", usage: { input: 1, output: 0 } });
    const whole = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(false) });
    const text = await whole.text();
    expect(text).toContain('"aigneHubCredits":0.000001');
    expect(JSON.parse(text).usage).toEqual({ inputTokens: 1, outputTokens: 0, aigneHubCredits: 0.000001 });

    f.mock.setScript({ text: "Hello there", usage: USAGE });
    const { data } = await readSse(await f.request("POST", "/api/v2/chat", { body: f.aigneChat(true) }));
    const usage = data.at(-1).delta.json.usage;
    expect(usage).toEqual({ inputTokens: 10, outputTokens: 20, aigneHubCredits: 0.00005 });
    expect(typeof usage.aigneHubCredits).toBe("number");

    await f.settled();
    const captures = (await f.entries()).filter((e) => e.kind === "capture").slice(-2);
    expect(captures.map((e) => e.amount / 1_000_000)).toEqual([0.000001, 0.00005]);
  });
});

describe("GET /api/usage", () => {
  test("sums the caller's calls by day and model, with the cost in decimal credits", async () => {
    f.mock.setScript({ text: "other", usage: { input: 100, output: 10 } });
    expect(
      (await f.request("POST", "/v1/chat/completions", { body: { ...f.openaiChat(false), model: OTHER_MODEL } }))
        .status,
    ).toBe(200);
    await f.settled();
    const response = await f.request("GET", "/api/usage?days=1");
    expect(response.status).toBe(200);
    const { since, usage } = await response.json();
    const today = new Date().toISOString().slice(0, 10);
    expect(since).toBe(today);
    const calls = (await f.calls()).filter((c) => c.userId === f.userId);
    const main = calls.filter((c) => c.model === "gpt-4o-mini");
    expect(usage).toEqual([
      {
        day: today,
        model: OTHER_MODEL,
        requests: 1,
        inputTokens: 100,
        outputTokens: 10,
        cacheReadTokens: 0,
        cost: "0.00034",
      },
      {
        day: today,
        model: MODEL,
        requests: main.length,
        inputTokens: main.reduce((n, c) => n + c.inputTokens, 0),
        outputTokens: main.reduce((n, c) => n + c.outputTokens, 0),
        cacheReadTokens: 0,
        cost: "0.000151",
      },
    ]);
    // Three calls at 0.00005 and one at 0.000001.
    expect(main.map((c) => c.cost).sort((a, b) => a - b)).toEqual([1, COST_MICRO, COST_MICRO, COST_MICRO]);
  });
});

describe("GET /api/admin/credits/ledger", () => {
  test("lists a user's entries newest first with amounts in decimal credits, and the account", async () => {
    const response = await f.request("GET", `/api/admin/credits/ledger?email=${encodeURIComponent(f.email)}`, {
      key: f.adminKey,
    });
    expect(response.status).toBe(200);
    const { account, entries } = await response.json();
    expect(account).toEqual(await balance());
    const stored = (await f.entries()).reverse();
    expect(entries.map((e: { id: string }) => e.id)).toEqual(stored.map((e) => e.id));
    expect(entries.at(-1)).toMatchObject({
      kind: "grant",
      amount: "0.000001",
      delta: "0.000001",
      balanceAfter: "0.000001",
    });
    const kinds = new Set(entries.map((e: { kind: string }) => e.kind));
    expect([...kinds].sort()).toEqual(["capture", "grant", "hold", "release"]);
    for (const entry of entries) {
      for (const field of ["amount", "delta", "balanceAfter"]) expect(entry[field]).toMatch(PLAIN_DECIMAL);
      expect(entry.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(entries.length).toBeGreaterThan(3);
    let cursor: string | null = null;
    const paged: string[] = [];
    do {
      const page = await f.request(
        "GET",
        `/api/admin/credits/ledger?email=${encodeURIComponent(f.email)}&limit=3${cursor ? `&before=${cursor}` : ""}`,
        { key: f.adminKey },
      );
      const body: { entries: { id: string }[]; next: string | null } = await page.json();
      expect(body.entries.length).toBeLessThanOrEqual(3);
      paged.push(...body.entries.map((e) => e.id));
      cursor = body.next;
    } while (cursor);
    expect(paged).toEqual(stored.map((e) => e.id));
    const bad = await f.request(
      "GET",
      `/api/admin/credits/ledger?email=${encodeURIComponent(f.email)}&before=2026-01-01`,
      {
        key: f.adminKey,
      },
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toStartWith("before must be an entry id");
    expect((await f.request("GET", `/api/admin/credits/ledger?email=${f.email}`)).status).toBe(403);
    expect(
      (await f.request("GET", "/api/admin/credits/ledger?email=nobody@example.com", { key: f.adminKey })).status,
    ).toBe(404);
  });
});

describe("GET /api/admin/calls?format=csv", () => {
  test("exports the call records as CSV with a header row, one row per call and the cost in decimal credits", async () => {
    const response = await f.request("GET", `/api/admin/calls?format=csv&email=${encodeURIComponent(f.email)}`, {
      key: f.adminKey,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toContain("calls.csv");
    const [header, ...rows] = (await response.text()).split("\r\n");
    const columns = header!.split(",");
    expect(columns.slice(0, 3)).toEqual(["createdAt", "id", "userId"]);
    const calls = (await f.calls()).filter((c) => c.userId === f.userId);
    expect(rows).toHaveLength(calls.length);
    const cost = columns.indexOf("cost");
    const id = columns.indexOf("id");
    const byId = new Map(rows.map((row) => [row.split(",")[id], row.split(",")]));
    for (const call of calls) {
      const row = byId.get(call.id)!;
      // Every cost here is at least one micro-credit, so JavaScript prints it without an exponent too.
      expect(row[cost]).toBe(String(call.cost / 1_000_000));
      expect(row[columns.indexOf("status")]).toBe(call.status);
      expect(row[columns.indexOf("model")]).toBe(`openai/${call.model}`);
    }
    const json = await f.request("GET", "/api/admin/calls", { key: f.adminKey });
    expect((await json.json()).calls.length).toBeGreaterThanOrEqual(calls.length);
  });
});
