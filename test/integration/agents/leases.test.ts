/** @module Claims and leases over HTTP with an injected clock: one winner, expiry, renewal, release, fail, limits. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import {
  type Call,
  expectError,
  newAgent,
  newPublisher,
  newUser,
  platformClient,
  publish,
  RFC3339,
  runTask,
  type TestAgent,
  type TestUser,
} from "./helpers";

const T0 = 1_800_000_000_000;
const LEASE_MS = 300_000;
const RECLAIM = "agents:reclaim-expired-leases";

describe("claims and leases", () => {
  let clock = T0;
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };
  let other: TestAgent;
  let third: TestAgent;

  /** Publishes a run offered to the publisher's agent, `other` and `third`. */
  async function freshItem(goal = "a task") {
    const { runId, workItemId, reply } = await publish(call, publisher.user.key, { goal });
    expect(reply.body.offered_agents).toBe(3);
    return { runId, workItemId };
  }

  const claim = (agent: TestAgent, workItemId: string) =>
    call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: agent.key });

  beforeAll(async () => {
    hub = await startInProcessHub({ now: () => clock, env: { AIGNE_HUB_MATCHING_PARTICIPANT_COUNT: "3" } });
    call = platformClient(hub.url);
    publisher = await newPublisher(call);
    const outsider = await newUser(call);
    other = await newAgent(call, outsider.key, { tags: ["b"] });
    third = await newAgent(call, (await newUser(call)).key, { tags: ["c"] });
  });
  afterAll(() => hub.stop());

  test("twenty parallel claims of one work item: exactly one 200 and nineteen 409", async () => {
    const crowd = await startInProcessHub({ env: { AIGNE_HUB_MATCHING_PARTICIPANT_COUNT: "20" } });
    try {
      const crowdCall = platformClient(crowd.url);
      const owner = await newPublisher(crowdCall);
      const agents: TestAgent[] = [owner.agent];
      for (let u = 0; u < 4; u++) {
        const user = await newUser(crowdCall);
        for (let a = 0; a < 5 && agents.length < 20; a++) agents.push(await newAgent(crowdCall, user.key));
      }
      const { workItemId, reply } = await publish(crowdCall, owner.user.key, { goal: "race" });
      expect(reply.body.offered_agents).toBe(20);
      const replies = await Promise.all(
        agents.map((agent) => crowdCall("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: agent.key })),
      );
      const won = replies.filter((r) => r.status === 200);
      const lost = replies.filter((r) => r.status === 409);
      expect(won.length).toBe(1);
      expect(lost.length).toBe(19);
      for (const r of lost) expect(["not claimable", "already claimed"]).toContain(r.body.error);
    } finally {
      await crowd.stop();
    }
  });

  test("an expired lease is re-offered by the worker and claimable by another agent", async () => {
    const { runId, workItemId } = await freshItem();
    expect((await claim(publisher.agent, workItemId)).status).toBe(200);
    clock += LEASE_MS - 1000;
    await runTask(hub, RECLAIM);
    expectError(await claim(other, workItemId), 409, "not claimable");
    clock += 2000;
    await runTask(hub, RECLAIM);
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body.work_items).toEqual([{ work_item_id: workItemId, status: "offered", attempts: 1 }]);
    const expired = await call("GET", `/v1/runs/${runId}/replay`);
    expect(expired.body.events.at(-1).payload).toMatchObject({ event: "lease_expired", work_item_id: workItemId });
    expect((await claim(other, workItemId)).status).toBe(200);
    // The former holder lost its lease: it may not write or complete.
    expectError(
      await call("POST", `/v1/gateway/runs/${runId}/events`, {
        key: publisher.agent.key,
        json: { kind: "message", payload: { text: "still here" } },
      }),
      403,
      "not a participant",
    );
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: publisher.agent.key }),
      403,
      "not lease holder",
    );
  });

  test("a renewed lease is not reclaimed; renewals stop at the lease's total lifetime", async () => {
    const { workItemId } = await freshItem();
    const claimed = await claim(other, workItemId);
    const claimedAt = clock;
    clock += 200_000;
    const beat = await call("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, { key: other.key });
    expect(beat.body).toEqual({
      work_item_id: workItemId,
      status: "claimed",
      lease_expires_at: new Date(clock + LEASE_MS).toISOString().replace(".000", ""),
    });
    expect(Date.parse(beat.body.lease_expires_at)).toBeGreaterThan(Date.parse(claimed.body.lease_expires_at));
    clock += 150_000;
    await runTask(hub, RECLAIM);
    expectError(await claim(third, workItemId), 409, "not claimable");
    const short = await call("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, {
      key: other.key,
      json: { extend_seconds: 60 },
    });
    expect(short.status).toBe(200);
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, { key: third.key }),
      403,
      "not lease holder",
    );
    clock = claimedAt + 2 * 3600_000 - 10_000;
    const capped = await call("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, { key: other.key, body: "" });
    expect(Date.parse(capped.body.lease_expires_at)).toBe(claimedAt + 2 * 3600_000);
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/heartbeat`, { key: other.key }),
      409,
      "lease limit reached",
    );
    const read = await call("GET", `/v1/gateway/work-items/${workItemId}`, { key: other.key });
    expect(read.body.lease_expires_at).toMatch(RFC3339);
    expect((await call("GET", `/v1/gateway/work-items/${workItemId}`, { key: third.key })).body).not.toHaveProperty(
      "lease_expires_at",
    );
  });

  test("a stale lease is expired lazily by the next claim, and late completion is accepted", async () => {
    const first = await freshItem();
    expect((await claim(third, first.workItemId)).status).toBe(200);
    clock += LEASE_MS + 1000;
    expect((await claim(other, first.workItemId)).status).toBe(200);
    expect((await call("GET", `/v1/runs/${first.runId}`)).body.work_items[0]).toMatchObject({ attempts: 1 });

    const second = await freshItem();
    expect((await claim(third, second.workItemId)).status).toBe(200);
    clock += LEASE_MS + 1000;
    const late = await call("POST", `/v1/gateway/work-items/${second.workItemId}/complete`, { key: third.key });
    expect(late.body).toEqual({ status: "completed" });
    expect((await call("GET", `/v1/runs/${second.runId}`)).body.status).toBe("completed");
  });

  test("release re-offers without counting; fail counts and the third failure fails the run", async () => {
    const { runId, workItemId } = await freshItem();
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/release`, { key: other.key }),
      409,
      "not leased",
    );
    expect((await claim(other, workItemId)).status).toBe(200);
    const released = await call("POST", `/v1/gateway/work-items/${workItemId}/release`, {
      key: other.key,
      json: { reason: "busy" },
    });
    expect(released.body).toEqual({ status: "offered" });
    expect((await call("GET", `/v1/runs/${runId}`)).body.work_items[0]).toMatchObject({ attempts: 0 });
    for (const [attempt, expected] of [
      [1, "offered"],
      [2, "offered"],
      [3, "failed"],
    ] as const) {
      expect((await claim(other, workItemId)).status).toBe(200);
      const failed = await call("POST", `/v1/gateway/work-items/${workItemId}/fail`, {
        key: other.key,
        json: { reason: `attempt ${attempt} broke` },
      });
      expect(failed.body).toEqual({ status: expected });
    }
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body).toMatchObject({ status: "failed", failure_reason: "work items failed" });
    expectError(await claim(third, workItemId), 409, "not claimable");
  });

  test("an item whose lease keeps expiring fails after the maximum attempts, and so does its run", async () => {
    const { runId, workItemId } = await freshItem();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await claim(third, workItemId)).status).toBe(200);
      clock += LEASE_MS + 1000;
      await runTask(hub, RECLAIM);
    }
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body).toMatchObject({
      status: "failed",
      work_items: [{ work_item_id: workItemId, status: "failed", attempts: 3 }],
    });
    const replay = await call("GET", `/v1/runs/${runId}/replay`);
    expect(replay.body.events.at(-1).payload).toMatchObject({ event: "run_failed", status: "failed" });
  });

  test("claim-next takes the oldest offer, waits for one with `wait`, and says `no offers` otherwise", async () => {
    const owner = await newUser(call);
    const solo = await newAgent(call, owner.key);
    const first = await call("POST", "/v1/gateway/inbox/claim-next", { key: solo.key });
    expect(first.body).toMatchObject({ work_item_id: solo.onboarding.workItemId, status: "claimed" });
    for (let i = 0; i < 2; i++) {
      expect((await call("POST", "/v1/gateway/inbox/claim-next", { key: solo.key })).status).toBe(200);
    }
    expectError(await call("POST", "/v1/gateway/inbox/claim-next", { key: solo.key }), 404, "no offers");
    const started = performance.now();
    const waited = call("POST", "/v1/gateway/inbox/claim-next?wait=5", { key: solo.key });
    await Bun.sleep(200);
    await call("POST", `/v1/gateway/work-items/${solo.onboarding.workItemId}/release`, { key: solo.key });
    const got = await waited;
    expect(got.body).toMatchObject({ work_item_id: solo.onboarding.workItemId, status: "claimed" });
    expect(performance.now() - started).toBeLessThan(4000);
  });

  test("an agent at its lease limit gets `lease limit reached`", async () => {
    const a = await freshItem();
    const b = await freshItem();
    const settings = hub.deps.agentPlatform.settings;
    const previous = settings.maxLeasesPerAgent;
    settings.maxLeasesPerAgent = 1;
    try {
      expect((await claim(third, a.workItemId)).status).toBe(200);
      expectError(await claim(third, b.workItemId), 409, "lease limit reached");
    } finally {
      settings.maxLeasesPerAgent = previous;
    }
  });

  test("disabling the holder gives its lease back, and its key is refused", async () => {
    const owner = await newUser(call);
    const agent = await newAgent(call, owner.key);
    const { workItemId } = agent.onboarding;
    expect((await claim(agent, workItemId)).status).toBe(200);
    expect((await call("POST", `/v1/agents/${agent.agentId}/disable`, { key: owner.key })).body).toEqual({
      status: "disabled",
    });
    const run = await call("GET", `/v1/runs/${agent.onboarding.runId}`);
    expect(run.body.work_items[0]).toEqual({ work_item_id: workItemId, status: "offered", attempts: 0 });
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: agent.key }), 403, "agent disabled");
    expect(
      (await call("PATCH", `/v1/agents/${agent.agentId}`, { key: owner.key, json: { status: "enabled" } })).body,
    ).toEqual({ status: "ok" });
    expect((await call("GET", "/v1/gateway/inbox/poll", { key: agent.key })).status).toBe(200);
  });

  test("deleting an agent deletes its onboarding run and re-offers what it held", async () => {
    const owner = await newPublisher(call);
    const { runId, workItemId } = await publish(call, owner.user.key, { goal: "held by a doomed agent" });
    expect((await claim(owner.agent, workItemId)).status).toBe(200);
    expect((await call("DELETE", `/v1/agents/${owner.agent.agentId}`, { key: owner.user.key })).body).toEqual({
      status: "deleted",
    });
    expectError(await call("GET", `/v1/runs/${owner.agent.onboarding.runId}`), 404, "not found");
    expectError(await call("DELETE", `/v1/agents/${owner.agent.agentId}`, { key: owner.user.key }), 404, "not found");
    expect((await call("GET", `/v1/runs/${runId}`)).body.work_items[0]).toEqual({
      work_item_id: workItemId,
      status: "offered",
      attempts: 0,
    });
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: owner.agent.key }), 401, "invalid token");
  });

  test("the publisher can cancel an open run; others cannot see it to cancel", async () => {
    const { runId, workItemId } = await freshItem();
    expect((await claim(other, workItemId)).status).toBe(200);
    expectError(await call("POST", `/v1/runs/${runId}/cancel`, { key: other.key }), 401, "invalid token");
    const stranger = await newUser(call);
    expectError(await call("POST", `/v1/runs/${runId}/cancel`, { key: stranger.key }), 404, "not found");
    expect((await call("POST", `/v1/runs/${runId}/cancel`, { key: publisher.user.key })).body).toEqual({
      status: "failed",
    });
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body).toMatchObject({
      status: "failed",
      failure_reason: "cancelled",
      work_items: [{ status: "failed" }],
    });
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: other.key }),
      409,
      "not leased",
    );
  });
});
