/** @module Settlement: what was generated is billed (client gone or upstream broken mid-stream); a call failing before output is not. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { CallRecord } from "../../../src/db/stores";
import {
  COST_MICRO,
  type CreditsFixture,
  HOLD_MICRO,
  MODEL,
  readSse,
  startCreditsHub,
  total,
  USAGE,
  waitFor,
} from "./helpers";

const DRAIN_SECONDS = 0.3;
const LONG_TEXT = "The quick brown fox jumps over the lazy dog and keeps on running far away. ".repeat(4);

let f: CreditsFixture;

beforeAll(async () => {
  f = await startCreditsHub({ env: { AIGNE_HUB_STREAM_DRAIN_SECONDS: String(DRAIN_SECONDS) } });
  await f.hub.deps.credits.grant({ userId: f.userId, amount: "1" });
});
afterAll(() => f.stop());
beforeEach(async () => {
  f.mock.reset();
  // A failed attempt cools the one credential down; each test starts with it usable again.
  const view = await f.hub.deps.catalog.view();
  for (const credentials of view.credentialsByProvider.values())
    for (const c of credentials) f.hub.deps.health.restore(c);
});

/** Waits for the call record after the first `seen` ones, once it is written. */
async function nextCall(seen: number): Promise<CallRecord> {
  return waitFor("a new call record", async () => (await f.calls())[seen]);
}

/** Reads `count` SSE frames of a response, then closes the connection the way a client that leaves does. */
async function readThenLeave(response: Response, count: number, controller: AbortController): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while ((text.match(/\n\n/g) ?? []).length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  await reader.cancel().catch(() => undefined);
  return text;
}

describe("a stream the client closes after a few chunks", () => {
  const surfaces = [
    { route: "/v1/chat/completions", body: () => f.openaiChat(true) },
    { route: "/api/v2/chat", body: () => f.aigneChat(true) },
  ] as const;

  for (const { route, body } of surfaces) {
    test(`${route}: is billed for the generated chunks as an estimate, recorded cancelled, and leaves no hold open`, async () => {
      // No usage frame ever comes, so the hub must estimate what was generated before it gave up draining.
      f.mock.setScript({ text: LONG_TEXT, chunks: 40, chunkDelayMs: 40, omitUsage: true });
      const seen = (await f.calls()).length;
      const before = await f.account();
      const controller = new AbortController();
      const response = await fetch(`${f.hub.url}${route}`, {
        method: "POST",
        headers: { authorization: `Bearer ${f.key}`, "content-type": "application/json" },
        body: JSON.stringify(body()),
        signal: controller.signal,
      });
      expect(response.status).toBe(200);
      const text = await readThenLeave(response, 4, controller);
      expect(text).toContain("brown");
      // The hub keeps reading upstream for the drain bound, then aborts it.
      await f.mock.waitForAbort(0, DRAIN_SECONDS * 1000 + 2000);

      const call = await nextCall(seen);
      expect(call).toMatchObject({ status: "cancelled", estimated: true, stream: true });
      expect(call.outputTokens).toBeGreaterThan(0);
      expect(call.outputTokens).toBeLessThan(Math.ceil(LONG_TEXT.length / 4));
      // Estimates at 1 and 2 micro-credits per input and output token.
      expect(call.cost).toBe(call.inputTokens + 2 * call.outputTokens);
      await f.settled();
      const captures = (await f.entries()).filter((e) => e.kind === "capture" && e.reference === call.id);
      expect(captures).toHaveLength(1);
      expect(captures[0]!.amount).toBe(call.cost);
      expect(captures[0]!.amount).toBeGreaterThan(0);
      const after = await f.account();
      expect(after.held).toBe(0);
      expect(after.balance).toBe(before.balance - call.cost);
      expect(await f.hub.deps.stores.ledger.ledgerBalance(f.userId)).toBe(after.balance);
    });
  }
});

describe("a failed upstream call", () => {
  test("an upstream 500 on a whole answer bills nothing and releases the hold", async () => {
    f.mock.setScript({ status: 500 });
    const seen = (await f.calls()).length;
    const before = await f.account();
    const earlier = (await f.entries()).length;
    const response = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false) });
    expect(response.status).toBe(502);
    expect((await response.json()).error.type).toBe("server_error");
    expect(f.mock.requests).toHaveLength(1);

    const call = await nextCall(seen);
    expect(call).toMatchObject({ status: "failed", cost: 0, errorType: "upstream_error" });
    await f.settled();
    // The call's worst case was held (a tranche's first growth is exactly it) and all of it released; nothing captured.
    const entries = (await f.entries()).slice(earlier);
    expect(entries.map((e) => [e.kind, e.amount])).toEqual([
      ["hold", HOLD_MICRO],
      ["release", HOLD_MICRO],
    ]);
    expect(entries.some((e) => e.reference === call.id)).toBe(false);
    const after = await f.account();
    expect(after).toMatchObject({ held: 0, balance: before.balance, spent: before.spent });
  });

  test("an upstream 500 before the first chunk of an AIGNE stream ends in an error event and bills nothing", async () => {
    f.mock.setScript({ status: 500 });
    const seen = (await f.calls()).length;
    const before = await f.account();
    const response = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(true) });
    expect(response.status).toBe(200);
    const { events, data } = await readSse(response);
    expect(events).toEqual(["error"]);
    expect(data.at(-1).message).toContain("temporarily unavailable");

    const call = await nextCall(seen);
    expect(call).toMatchObject({ status: "failed", cost: 0 });
    await f.settled();
    expect((await f.entries()).filter((e) => e.reference === call.id && e.kind === "capture")).toHaveLength(0);
    expect(await f.account()).toMatchObject({ held: 0, balance: before.balance });
  });

  test("an upstream 500 on an OpenAI stream answers 502 before any byte and bills nothing", async () => {
    f.mock.setScript({ status: 500 });
    const before = await f.account();
    const response = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(true) });
    expect(response.status).toBe(502);
    await f.settled();
    const after = await f.account();
    expect(after).toMatchObject({ held: 0, balance: before.balance });
    const entries = await f.entries();
    expect(await f.hub.deps.stores.ledger.ledgerBalance(f.userId)).toBe(after.balance);
    expect(total(entries, "grant") - total(entries, "capture")).toBe(after.balance);
  });

  test("a stream the upstream cuts after partial output bills the delivered output, like a disconnect", async () => {
    f.mock.setScript({ text: LONG_TEXT, chunks: 10, cutAfterChunks: 3, omitUsage: true });
    const seen = (await f.calls()).length;
    const before = await f.account();
    const response = await f.request("POST", "/api/v2/chat", { body: f.aigneChat(true) });
    const { events, data } = await readSse(response);
    expect(data.some((frame) => frame.delta?.text?.text)).toBe(true);
    expect(events).toEqual(["error"]);

    const call = await nextCall(seen);
    expect(call).toMatchObject({ status: "failed", estimated: true });
    expect(call.outputTokens).toBeGreaterThan(0);
    // gateway-notes §5.6: "A failure after partial output bills the partial output like a disconnect."
    expect(call.cost).toBe(call.inputTokens + 2 * call.outputTokens);
    await f.settled();
    const captures = (await f.entries()).filter((e) => e.kind === "capture" && e.reference === call.id);
    expect(captures.map((e) => e.amount)).toEqual([call.cost]);
    expect(await f.account()).toMatchObject({ held: 0, balance: before.balance - call.cost });
  });
});

describe("holds and duplicate requests", () => {
  test("a request's own max tokens bound its hold, on /v1 and on AIGNE, and are sent upstream", async () => {
    f.mock.setScript({ text: "short", usage: USAGE, firstByteDelayMs: 200 });
    const before = await f.account();
    const calls = [
      f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false, { max_tokens: 10 }) }),
      f.request("POST", "/api/v2/chat", {
        body: f.aigneChat(false, MODEL, { maxTokens: 10 }),
      }),
    ];
    await f.mock.waitForRequest(1);
    // 9 prompt tokens at 1 micro-credit and 10 output tokens at 2, per call.
    expect((await f.account()).held).toBe(2 * (9 + 10 * 2));
    expect((await Promise.all(calls)).map((r) => r.status)).toEqual([200, 200]);
    expect(f.mock.requests.map((r) => r.body.max_completion_tokens)).toEqual([10, 10]);
    await f.settled();
    expect((await f.account()).balance).toBe(before.balance - 2 * COST_MICRO);
  });

  test("the same request body sent twice is two calls, each recorded and debited once", async () => {
    f.mock.setScript({ text: "twice", usage: USAGE });
    const seen = (await f.calls()).length;
    const before = await f.account();
    const body = f.aigneChat(false);
    const responses = await Promise.all([0, 1].map(() => f.request("POST", "/api/v2/chat", { body })));
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    await f.settled();
    const calls = (await f.calls()).slice(seen);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.id).not.toBe(calls[1]!.id);
    const captures = (await f.entries()).filter((e) => e.kind === "capture" && calls.some((c) => c.id === e.reference));
    expect(captures.map((e) => e.amount)).toEqual([COST_MICRO, COST_MICRO]);
    expect((await f.account()).balance).toBe(before.balance - 2 * COST_MICRO);
  });
});
