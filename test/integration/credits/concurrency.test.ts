/**
 * @module Concurrent calls by one user: reservations never overspend, every success is captured once, 402s cost no
 * upstream call.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type CreditsFixture, HOLD_MICRO, readSse, startCreditsHub, total } from "./helpers";

const CALLS = 200;
const COVERED = 50;

let f: CreditsFixture;

beforeAll(async () => {
  f = await startCreditsHub();
});
afterAll(() => f.stop());

interface Outcome {
  route: "/v1/chat/completions" | "/api/v2/chat";
  stream: boolean;
  status: number;
  requestId: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire JSON without casts.
  body: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  frames: any[];
}

async function call(index: number): Promise<Outcome> {
  const route = index % 2 === 0 ? "/v1/chat/completions" : "/api/v2/chat";
  const stream = index % 4 >= 2;
  const body = route === "/api/v2/chat" ? f.aigneChat(stream) : f.openaiChat(stream);
  const response = await f.request("POST", route, { body });
  const outcome: Outcome = {
    route,
    stream,
    status: response.status,
    requestId: response.headers.get("x-request-id"),
    body: null,
    frames: [],
  };
  if (response.status === 200 && stream) outcome.frames = (await readSse(response)).data;
  else outcome.body = await response.json();
  return outcome;
}

describe("200 concurrent chat calls by one user whose balance covers 50 holds", () => {
  let outcomes: Outcome[];
  const samples: { balance: number; held: number }[] = [];
  // Captures are written by the gateway's group commit, many to a transaction; tranche growths are awaited writes.
  let settlementWrites = 0;
  let growths = 0;

  beforeAll(async () => {
    // Each call costs exactly its hold (9 prompt tokens, 100 output tokens), so the grant pays for exactly 50 calls.
    f.mock.setScript({ text: "Hello there", usage: { input: 9, output: 100 }, firstByteDelayMs: 20 });
    await f.hub.deps.credits.grant({ userId: f.userId, amount: String((COVERED * HOLD_MICRO) / 1_000_000) });
    // Sample the stored account right after every growth and capture write the hub makes, and on a timer in between.
    const { ledger, calls } = f.hub.deps.stores;
    const { growTranche } = ledger;
    const { commit } = calls;
    const sample = async () => {
      const { balance, held } = await ledger.account(f.userId);
      samples.push({ balance, held });
    };
    ledger.growTranche = async (input) => {
      const result = await growTranche(input);
      growths++;
      await sample();
      return result;
    };
    calls.commit = async (batch) => {
      await commit(batch);
      if (batch.tranches.length) settlementWrites++;
      await sample();
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await Bun.sleep(1);
      }
    })();
    try {
      outcomes = await Promise.all(Array.from({ length: CALLS }, (_, index) => call(index)));
      await f.settled();
    } finally {
      sampling = false;
      await sampler;
      Object.assign(ledger, { growTranche });
      Object.assign(calls, { commit });
    }
  });

  test("every call either succeeds or is refused with 402, and exactly the 50 covered calls succeed", () => {
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].sort()).toEqual([200, 402]);
    expect(outcomes.filter((o) => o.status === 200)).toHaveLength(COVERED);
    expect(outcomes.filter((o) => o.status === 402)).toHaveLength(CALLS - COVERED);
    // Refusals happen on every surface and in both modes.
    for (const route of ["/v1/chat/completions", "/api/v2/chat"]) {
      for (const stream of [false, true]) {
        expect(outcomes.some((o) => o.route === route && o.stream === stream && o.status === 402)).toBe(true);
      }
    }
  });

  test("the available balance never went below zero while the calls ran, and nothing stays held", async () => {
    // One sample per growth (each refused call tried one) and per capture write at least.
    expect(settlementWrites).toBeGreaterThan(0);
    expect(growths).toBeGreaterThanOrEqual(CALLS - COVERED);
    expect(samples.length).toBeGreaterThanOrEqual(growths + settlementWrites);
    expect(Math.min(...samples.map((s) => s.balance))).toBeGreaterThanOrEqual(0);
    expect(Math.min(...samples.map((s) => s.balance - s.held))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples.map((s) => s.held))).toBeGreaterThan(0);
    expect(Math.max(...samples.map((s) => s.held))).toBeLessThanOrEqual(COVERED * HOLD_MICRO);
    const account = await f.account();
    expect(account.held).toBe(0);
    expect(account.balance).toBe(0);
    expect(account.spent).toBe(COVERED * HOLD_MICRO);
  });

  test("afterwards the ledger sums to the stored balance, the grant minus the captures", async () => {
    const entries = await f.entries();
    const account = await f.account();
    expect(await f.hub.deps.stores.ledger.ledgerBalance(f.userId)).toBe(account.balance);
    expect(total(entries, "grant") - total(entries, "capture")).toBe(account.balance);
    // A refused growth writes no hold; what the tranches held was all captured or released.
    expect(total(entries, "hold")).toBe(total(entries, "capture") + total(entries, "release"));
    expect(total(entries, "hold")).toBeGreaterThanOrEqual(COVERED * HOLD_MICRO);
    expect(entries.filter((e) => e.kind === "hold").length).toBeLessThan(COVERED);
  });

  test("every 2xx response has exactly one capture entry referencing its call id", async () => {
    const calls = await f.calls();
    const byRequest = new Map(calls.map((c) => [c.requestId, c]));
    const captures = (await f.entries()).filter((e) => e.kind === "capture");
    expect(captures).toHaveLength(COVERED);
    const captured = new Map(captures.map((e) => [e.reference, e]));
    expect(captured.size).toBe(COVERED);
    for (const outcome of outcomes.filter((o) => o.status === 200)) {
      const record = byRequest.get(outcome.requestId!)!;
      expect(record.status).toBe("success");
      expect(captured.get(record.id)?.amount).toBe(record.cost);
      expect(record.cost).toBe(HOLD_MICRO);
      if (outcome.route === "/v1/chat/completions") {
        const id = outcome.stream ? outcome.frames[0].id : outcome.body.id;
        expect(id).toBe(`chatcmpl-${record.id}`);
      } else {
        const usage = outcome.stream ? outcome.frames.at(-1).delta.json.usage : outcome.body.usage;
        expect(usage.aigneHubCredits).toBe(HOLD_MICRO / 1_000_000);
      }
    }
    // The refused calls are recorded as failed and cost nothing.
    const refused = calls.filter((c) => c.errorType === "NOT_ENOUGH");
    expect(refused).toHaveLength(CALLS - COVERED);
    expect(refused.every((c) => c.status === "failed" && c.cost === 0 && c.attempts.length === 0)).toBe(true);
  });

  test("every 402 came before any upstream call: the mock saw exactly the successful calls", () => {
    expect(f.mock.requests).toHaveLength(outcomes.filter((o) => o.status !== 402).length);
    expect(f.mock.requests.every((r) => !r.aborted)).toBe(true);
  });

  test("a 402 on /v1 has OpenAI's insufficient_quota shape", () => {
    const refused = outcomes.filter((o) => o.route === "/v1/chat/completions" && o.status === 402);
    for (const { body } of refused) {
      expect(body).toEqual({
        error: { message: expect.any(String), type: "insufficient_quota", param: null, code: "insufficient_quota" },
      });
      expect(body.error.message).toContain(`${f.hub.url}/ui/credits`);
    }
  });

  test("a 402 on /api/v2/chat is NOT_ENOUGH with an absolute top-up link in the message and in `link`", () => {
    const refused = outcomes.filter((o) => o.route === "/api/v2/chat" && o.status === 402);
    for (const { body } of refused) {
      expect(Object.keys(body)).toEqual(["error"]);
      expect(body.error.type).toBe("NOT_ENOUGH");
      expect(body.error.link).toBe(`${f.hub.url}/ui/credits`);
      expect(new URL(body.error.link).protocol).toBe("http:");
      expect(body.error.message).toContain(body.error.link);
      expect(Number.isNaN(Date.parse(body.error.timestamp))).toBe(false);
    }
  });
});
