/**
 * @module Call-record retention and daily aggregates: the "prune call records" task drops rows by age and by count,
 * and usage_daily keeps adding up what was called, also after the raw rows are gone.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CallRecord } from "../../../src/db/stores";
import { CLAUDE, type GatewayFixture, GPT, startGateway, userTurn } from "./helpers";

const DAY = 86_400_000;
const T0 = Date.UTC(2031, 2, 10, 9, 0, 0);

let clock = T0;
let g: GatewayFixture;

beforeAll(async () => {
  g = await startGateway({
    now: () => clock,
    env: { AIGNE_HUB_CALL_RETENTION_DAYS: "2", AIGNE_HUB_CALL_RETENTION_ROWS: "6" },
  });
  g.mock.setScript({ text: "counted answer", usage: { input: 10, output: 4, cacheRead: 2 } });
});
afterAll(() => g.stop());

const prune = () => g.hub.deps.backgroundTasks.find((t) => t.name === "prune call records")!.run();

async function callAt(at: number, model = GPT) {
  clock = at;
  const response = await g.post("/v1/chat/completions", { model, messages: [userTurn("hi")] });
  expect(response.status).toBe(200);
}

const sum = (calls: CallRecord[], field: "inputTokens" | "outputTokens" | "cacheReadTokens" | "cost") =>
  calls.reduce((n, c) => n + c[field], 0);

describe("call record retention", () => {
  const made: CallRecord[] = [];

  test("usage_daily holds one row per day and model whose counts add up to the call records", async () => {
    for (let i = 0; i < 3; i++) await callAt(T0 + i * 1000);
    await callAt(T0 + 5000, CLAUDE);
    for (let i = 0; i < 2; i++) await callAt(T0 + DAY + i * 1000);
    made.push(...(await g.calls()));
    expect(made).toHaveLength(6);

    const days = await g.hub.deps.stores.calls.usageByDay(g.userId, "2031-03-01");
    expect(days.map((d) => [d.day, d.model, d.requests])).toEqual([
      ["2031-03-10", CLAUDE, 1],
      ["2031-03-10", GPT, 3],
      ["2031-03-11", GPT, 2],
    ]);
    for (const day of days) {
      const rows = made.filter(
        (c) => new Date(c.createdAt).toISOString().slice(0, 10) === day.day && `${c.provider}/${c.model}` === day.model,
      );
      expect(day).toMatchObject({
        inputTokens: sum(rows, "inputTokens"),
        outputTokens: sum(rows, "outputTokens"),
        cacheReadTokens: sum(rows, "cacheReadTokens"),
        cost: sum(rows, "cost"),
      });
    }
    expect(days.reduce((n, d) => n + d.requests, 0)).toBe(6);
    expect(days.reduce((n, d) => n + d.cost, 0)).toBe(sum(made, "cost"));
    expect(sum(made, "cost")).toBeGreaterThan(0);
    expect((await g.hub.deps.stores.calls.usageByDay(g.userId, "2031-03-11")).map((d) => d.day)).toEqual([
      "2031-03-11",
    ]);
  });

  test("pruning within both limits removes nothing", async () => {
    await prune();
    expect(await g.calls()).toHaveLength(6);
  });

  test("beyond the row cap the oldest rows are dropped first", async () => {
    await callAt(T0 + DAY + 5000);
    await callAt(T0 + DAY + 6000);
    const all = await g.calls();
    expect(all).toHaveLength(8);
    await prune();
    const kept = await g.calls();
    expect(kept.map((c) => c.id)).toEqual(all.slice(2).map((c) => c.id));
  });

  test("rows older than the retention age are dropped, newer ones kept", async () => {
    clock = T0 + 2 * DAY + 5500;
    await prune();
    const kept = await g.calls();
    expect(kept.length).toBe(4);
    expect(kept.every((c) => c.createdAt >= clock - 2 * DAY)).toBe(true);
  });

  test("the daily aggregates outlive the pruned rows", async () => {
    const days = await g.hub.deps.stores.calls.usageByDay(g.userId, "2031-03-01");
    expect(days.reduce((n, d) => n + d.requests, 0)).toBe(8);
    expect(days.find((d) => d.day === "2031-03-10" && d.model === GPT)!.requests).toBe(3);
  });
});
