/** @module Live streams and replay over HTTP: resume with Last-Event-ID, replay pages, other writers, limits. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../../src/db/open";
import type { Stores } from "../../../src/db/stores";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import {
  type Call,
  expectError,
  type Frame,
  newAgent,
  newPublisher,
  newUser,
  openStream,
  platformClient,
  publish,
  type StreamReader,
  type TestAgent,
  type TestUser,
} from "./helpers";

/** Reads frames until one with an id is found (skipping retry and keep-alive frames). */
async function nextEvent(stream: StreamReader, timeoutMs = 5000): Promise<Frame | null> {
  for (;;) {
    const frame = await stream.next(timeoutMs);
    if (frame === null || frame.id !== undefined || frame.event === "end") return frame;
  }
}

describe("live streams and replay", () => {
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };
  let runId = "";
  let workItemId = "";

  const emit = (text: string) =>
    call("POST", `/v1/gateway/runs/${runId}/events`, {
      key: publisher.agent.key,
      json: { kind: "message", payload: { text } },
    });

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
    publisher = await newPublisher(call);
    ({ runId, workItemId } = await publish(call, publisher.user.key, { goal: "narrate a lot" }));
    expect(
      (await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: publisher.agent.key })).status,
    ).toBe(200);
  });
  afterAll(() => hub.stop());

  test("a client that disconnects and resumes with Last-Event-ID receives every event exactly once", async () => {
    const seen: number[] = [];
    const first = await openStream(hub.url, `/v1/runs/${runId}/stream?after_seq=0`);
    for (let i = 0; i < 5; i++) await emit(`before drop ${i}`);
    for (let frame = await nextEvent(first); frame; frame = await nextEvent(first)) {
      seen.push(Number(frame.id));
      if (seen.length === 4) break;
    }
    first.close();
    for (let i = 0; i < 5; i++) await emit(`while away ${i}`);
    const resumed = await openStream(hub.url, `/v1/runs/${runId}/stream?after_seq=0`, {
      "last-event-id": String(seen.at(-1)),
    });
    const live = (async () => {
      for (let i = 0; i < 5; i++) await emit(`after resume ${i}`);
      await call("POST", `/v1/gateway/runs/${runId}/artifacts`, { key: publisher.agent.key, json: { content: "x" } });
      await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: publisher.agent.key });
    })();
    let end: Frame | null = null;
    for (let frame = await nextEvent(resumed); frame; frame = await nextEvent(resumed)) {
      if (frame.event === "end") {
        end = frame;
        break;
      }
      seen.push(Number(frame.id));
    }
    await live;
    const last = (await call("GET", `/v1/runs/${runId}/replay?limit=500`)).body.next_after_seq;
    expect(seen).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(JSON.parse(end!.data!)).toEqual({ run_id: runId, status: "completed" });
  });

  test("replay pages add up to exactly what the stream sent", async () => {
    const stream = await openStream(hub.url, `/v1/runs/${runId}/stream`);
    const streamed: unknown[] = [];
    for (let frame = await nextEvent(stream); frame && frame.event !== "end"; frame = await nextEvent(stream)) {
      streamed.push(JSON.parse(frame.data!));
    }
    const paged: unknown[] = [];
    let after = 0;
    for (;;) {
      const page = await call("GET", `/v1/runs/${runId}/replay?after_seq=${after}&limit=4`);
      paged.push(...page.body.events);
      after = page.body.next_after_seq;
      if (!page.body.has_more) break;
    }
    expect(paged).toEqual(streamed);
    const empty = await call("GET", `/v1/runs/${runId}/replay?after_seq=${after}`);
    expect(empty.body).toMatchObject({ events: [], key_nodes: [], has_more: false, next_after_seq: after });
  });

  test("events another process writes to the database reach open streams", async () => {
    const second: Stores = await openStores({ dataDir: join(hub.dir, "data") });
    try {
      const owner = await newPublisher(call);
      const run = await publish(call, owner.user.key, { goal: "two writers" });
      await call("POST", `/v1/gateway/work-items/${run.workItemId}/claim`, { key: owner.agent.key });
      const stream = await openStream(hub.url, `/v1/runs/${run.runId}/stream`);
      expect((await nextEvent(stream))?.id).toBe("1");
      // Written straight into the database, as another `serve` process on the same file would: no local fan-out.
      await second.platform.runs.appendEvent({
        runId: run.runId,
        agentId: owner.agent.agentId,
        kind: "message",
        payload: JSON.stringify({ text: "from elsewhere" }),
        isKeyNode: false,
        at: Date.now(),
      });
      const frame = await nextEvent(stream, 5000);
      expect(frame?.id).toBe("2");
      expect(JSON.parse(frame!.data!).payload).toEqual({ text: "from elsewhere" });
      stream.close();
    } finally {
      await second.close();
    }
  });

  test("idle streams get keep-alive comments, and every frame of an event carries its id", async () => {
    const settings = hub.deps.agentPlatform.settings;
    const previous = settings.keepaliveMs;
    settings.keepaliveMs = 100;
    try {
      const owner = await newPublisher(call);
      const run = await publish(call, owner.user.key, { goal: "quiet" });
      const stream = await openStream(hub.url, `/v1/runs/${run.runId}/stream`);
      expect(stream.headers.get("x-accel-buffering")).toBe("no");
      expect(stream.headers.get("cache-control")).toBe("no-cache");
      expect(await stream.next()).toEqual({ retry: "3000" });
      expect(await stream.next()).toEqual({ comment: "keepalive" });
      stream.close();
    } finally {
      settings.keepaliveMs = previous;
    }
  });

  test("a stream is refused before any header for an unknown run, a bad after_seq, or over the per-address cap", async () => {
    expectError(await call("GET", "/v1/runs/00000000-0000-4000-8000-000000000000/stream"), 404, "not found");
    expectError(await call("GET", `/v1/runs/${runId}/stream?after_seq=-1`), 400, "invalid after_seq");
    expectError(await call("GET", `/v1/runs/${runId}/stream?after_seq=x`), 400, "invalid after_seq");
    expectError(await call("GET", "/v1/runs/not-a-run/stream"), 400, "invalid run id");
    const settings = hub.deps.agentPlatform.settings;
    const previous = settings.streamsPerAddress;
    settings.streamsPerAddress = 2;
    const owner = await newUser(call);
    const agent: TestAgent = await newAgent(call, owner.key);
    const open = [
      await openStream(hub.url, `/v1/runs/${agent.onboarding.runId}/stream`),
      await openStream(hub.url, `/v1/runs/${agent.onboarding.runId}/stream`),
    ];
    try {
      const refused = await call("GET", `/v1/runs/${agent.onboarding.runId}/stream`);
      expectError(refused, 429, "rate_limited");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      for (const stream of open) stream.close();
      settings.streamsPerAddress = previous;
    }
    // The hub notices a closed stream when its socket closes, which a loaded machine may take a while to report.
    let again = await openStream(hub.url, `/v1/runs/${agent.onboarding.runId}/stream`);
    for (let attempt = 0; again.status === 429 && attempt < 100; attempt++) {
      again.close();
      await Bun.sleep(20);
      again = await openStream(hub.url, `/v1/runs/${agent.onboarding.runId}/stream`);
    }
    expect(again.status).toBe(200);
    again.close();
  });
});
