/** @module The fan-out hub and one SSE subscriber over a fake event log: order, gaps, overflow, end, 204. */
import { describe, expect, test } from "bun:test";
import type { PlatformEvent, RunDetail } from "../../../src/db/platform-stores";
import { createEventHub } from "../../../src/server/services/agents/event-hub";
import { openRunStream } from "../../../src/server/services/agents/run-stream";

const RUN = "run-1";

function event(seq: number, extra: Partial<PlatformEvent> = {}): PlatformEvent {
  return {
    runId: RUN,
    runRef: "r_0000000000000001",
    seq,
    kind: "message",
    persona: "agent",
    payload: { text: `#${seq}` },
    isKeyNode: false,
    agentId: null,
    workItemId: null,
    createdAt: 0,
    ...extra,
  };
}

/** A run's event log in memory, standing in for the database. */
function fakeLog(status: RunDetail["status"] = "running") {
  const events: PlatformEvent[] = [];
  const run: RunDetail = {
    id: RUN,
    publicRef: "r_0000000000000001",
    publisherUserId: "u",
    goal: "g",
    constraints: "",
    status,
    kind: "user",
    onboardingAgentId: null,
    createdAt: 0,
    updatedAt: 0,
    completedAt: null,
    failureReason: null,
    requiredTags: [],
    workItems: [],
  };
  let reads = 0;
  return {
    run,
    events,
    reads: () => reads,
    append(...extra: PlatformEvent[]) {
      events.push(...extra);
      return extra;
    },
    runs: {
      eventsAfter: async (_: string, after: number, limit: number) => {
        reads++;
        return events.filter((e) => e.seq > after).slice(0, limit);
      },
      lastSeq: async () => events.at(-1)?.seq ?? 0,
      findRun: async () => run,
    },
  };
}

/** Collects the ids of frames until `count` events arrived (or an end frame). */
async function collect(
  stream: { next(): Promise<string | null> },
  count: number,
): Promise<{ ids: number[]; end?: string }> {
  const ids: number[] = [];
  while (ids.length < count) {
    const frame = await stream.next();
    if (frame === null) break;
    if (frame.startsWith("event: end")) return { ids, end: frame };
    const id = /^id: (\d+)/.exec(frame)?.[1];
    if (id) ids.push(Number(id));
  }
  return { ids };
}

const toWire = (e: PlatformEvent) => ({ seq: e.seq });

describe("a run stream", () => {
  test("backfills, then delivers live events in order, repairing gaps and dropping duplicates", async () => {
    const log = fakeLog();
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 0, bufferEvents: 100 });
    log.append(event(1), event(2));
    const stream = (await openRunStream({
      run: log.run,
      afterSeq: 0,
      runs: log.runs,
      hub,
      keepaliveMs: 1000,
      toWire,
    }))!;
    expect(await stream.next()).toBe("retry: 3000\n\n");
    expect((await collect(stream, 2)).ids).toEqual([1, 2]);
    const waiting = collect(stream, 4);
    // Event 3 is committed but published late: 4 arrives first and the stream re-reads 3 from the log.
    log.append(event(3), event(4));
    hub.publish([event(4)]);
    hub.publish([event(3)]);
    log.append(event(5), event(6));
    hub.publish([event(5), event(6), event(5)]);
    expect((await waiting).ids).toEqual([3, 4, 5, 6]);
    stream.close();
    expect(hub.subscriberCount()).toBe(0);
  });

  test("a subscriber that falls behind drops its buffer and re-reads the log instead of growing", async () => {
    const log = fakeLog();
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 0, bufferEvents: 3 });
    const stream = (await openRunStream({
      run: log.run,
      afterSeq: 0,
      runs: log.runs,
      hub,
      keepaliveMs: 1000,
      toWire,
    }))!;
    await stream.next();
    const collecting = collect(stream, 10);
    await Bun.sleep(5);
    const readsBefore = log.reads();
    for (let seq = 1; seq <= 10; seq++) hub.publish(log.append(event(seq)));
    expect((await collecting).ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.reads()).toBeGreaterThan(readsBefore);
    stream.close();
  });

  test("the run's end event ends the stream with `event: end`", async () => {
    const log = fakeLog();
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 0, bufferEvents: 100 });
    const stream = (await openRunStream({
      run: log.run,
      afterSeq: 0,
      runs: log.runs,
      hub,
      keepaliveMs: 1000,
      toWire,
    }))!;
    await stream.next();
    log.run.status = "completed";
    hub.publish(log.append(event(1), event(2, { kind: "system", payload: { event: "run_completed" } })));
    const { ids, end } = await collect(stream, 5);
    expect(ids).toEqual([1, 2]);
    expect(end).toBe(`event: end\ndata: ${JSON.stringify({ run_id: RUN, status: "completed" })}\n\n`);
    expect(await stream.next()).toBeNull();
  });

  test("a terminal run with nothing after the cursor opens no stream (204); with a backlog it ends after it", async () => {
    const log = fakeLog("failed");
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 0, bufferEvents: 100 });
    log.append(event(1), event(2));
    expect(
      await openRunStream({ run: log.run, afterSeq: 2, runs: log.runs, hub, keepaliveMs: 1000, toWire }),
    ).toBeNull();
    expect(hub.subscriberCount()).toBe(0);
    const stream = (await openRunStream({
      run: log.run,
      afterSeq: 1,
      runs: log.runs,
      hub,
      keepaliveMs: 1000,
      toWire,
    }))!;
    await stream.next();
    const { ids, end } = await collect(stream, 5);
    expect(ids).toEqual([2]);
    expect(end).toContain('"status":"failed"');
  });

  test("the database poll brings in events no local write published", async () => {
    const log = fakeLog();
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 20, bufferEvents: 100 });
    const stream = (await openRunStream({
      run: log.run,
      afterSeq: 0,
      runs: log.runs,
      hub,
      keepaliveMs: 5000,
      toWire,
    }))!;
    await stream.next();
    const collecting = collect(stream, 2);
    await Bun.sleep(5);
    log.append(event(1), event(2));
    expect((await collecting).ids).toEqual([1, 2]);
    stream.close();
    hub.close();
  });

  test("an idle stream sends keep-alive comments; closing the hub ends it", async () => {
    const log = fakeLog();
    const hub = createEventHub({ readAfter: log.runs.eventsAfter, pollMs: 0, bufferEvents: 100 });
    const stream = (await openRunStream({ run: log.run, afterSeq: 0, runs: log.runs, hub, keepaliveMs: 10, toWire }))!;
    await stream.next();
    expect(await stream.next()).toBe(": keepalive\n\n");
    hub.close();
    expect(await stream.next()).toBeNull();
  });

  test("long polls wake on new offers, on their timeout, or on abort", async () => {
    const hub = createEventHub({ readAfter: async () => [], pollMs: 0, bufferEvents: 1 });
    const woken = hub.waitForOffers(10_000);
    hub.offersChanged();
    await woken;
    await hub.waitForOffers(5);
    const aborter = new AbortController();
    const aborted = hub.waitForOffers(10_000, aborter.signal);
    aborter.abort();
    await aborted;
  });
});
