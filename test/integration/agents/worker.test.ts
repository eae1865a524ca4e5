/** @module The lease worker's tasks with an injected clock: top-up, stale offers, run expiry, purge, two processes. */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../../src/db/open";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import {
  type Call,
  expectError,
  newAgent,
  newPublisher,
  newUser,
  platformClient,
  publish,
  rowCounts,
  runTask,
  type TestAgent,
  type TestUser,
} from "./helpers";

const T0 = 1_800_000_000_000;
const DAY_MS = 86_400_000;

/** The offers an agent sees in its poll. */
async function offeredTo(call: Call, agent: TestAgent): Promise<string[]> {
  const poll = await call("GET", "/v1/gateway/inbox/poll", { key: agent.key });
  return poll.body.offers.map((offer: { work_item_id: string }) => offer.work_item_id);
}

describe("lease worker tasks", () => {
  let clock = T0;
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };

  beforeAll(async () => {
    hub = await startInProcessHub({ now: () => clock, env: { AIGNE_HUB_WORKER_TICK_SECONDS: "0.2" } });
    call = platformClient(hub.url);
    publisher = await newPublisher(call);
  });
  afterAll(() => hub.stop());

  test("the worker's tasks are registered with the configured tick", () => {
    const mine = hub.deps.backgroundTasks.filter((task) => task.name.startsWith("agents:"));
    expect(mine.map((task) => [task.name, task.everyMs])).toEqual([
      ["agents:reclaim-expired-leases", 200],
      ["agents:top-up-offers", 200],
      ["agents:fail-expired-runs", 200],
      ["agents:purge-idempotency-keys", 600_000],
      ["agents:prune-audit", 3_600_000],
    ]);
  });

  test("a run nobody was eligible for is offered to agents that appear later, ranked as at publish time", async () => {
    const { workItemId, reply } = await publish(call, publisher.user.key, {
      goal: "wait for help",
      required_tags: ["rare"],
    });
    expect(reply.body.offered_agents).toBe(1);
    const plain = await newAgent(call, (await newUser(call)).key, { tags: ["common"] });
    const matching = await newAgent(call, (await newUser(call)).key, { tags: ["rare"] });
    const settings = hub.deps.agentPlatform.settings;
    settings.participantCount = 2;
    try {
      await runTask(hub, "agents:top-up-offers");
    } finally {
      settings.participantCount = 3;
    }
    expect(await offeredTo(call, matching)).toContain(workItemId);
    expect(await offeredTo(call, plain)).not.toContain(workItemId);
    await runTask(hub, "agents:top-up-offers");
    expect(await offeredTo(call, plain)).toContain(workItemId);
  });

  test("offers held by disabled agents are dropped so top-up can fill their places", async () => {
    const owner = await newUser(call);
    // The only agent with the run's tag, so matching ranks it first among the outside agents (ties are random).
    const sleeper = await newAgent(call, owner.key, { tags: ["sleeper"] });
    const { workItemId } = await publish(call, publisher.user.key, {
      goal: "replace the sleeper",
      required_tags: ["sleeper"],
    });
    const db = new Database(join(hub.dir, "data", "hub.db"), { readonly: true });
    const offered = () =>
      (
        db.query("SELECT agent_id FROM work_item_offers WHERE work_item_id = ?").all(workItemId) as {
          agent_id: string;
        }[]
      ).map((row) => row.agent_id);
    try {
      expect(offered()).toContain(sleeper.agentId);
      expect(offered().length).toBe(3);
      await call("POST", `/v1/agents/${sleeper.agentId}/disable`, { key: owner.key });
      await runTask(hub, "agents:top-up-offers");
      expect(offered()).not.toContain(sleeper.agentId);
      expect(offered().length).toBe(3);
    } finally {
      db.close();
    }
  });

  test("a disabled agent keeps its onboarding offers, so it can finish onboarding once enabled again", async () => {
    const owner = await newUser(call);
    const agent = await newAgent(call, owner.key);
    await call("POST", `/v1/agents/${agent.agentId}/disable`, { key: owner.key });
    await runTask(hub, "agents:top-up-offers");
    await call("PATCH", `/v1/agents/${agent.agentId}`, { key: owner.key, json: { status: "enabled" } });
    expect((await offeredTo(call, agent)).length).toBe(3);
  });

  test("a user run nobody finished fails after the unclaimed-run expiry, with its event and audit row", async () => {
    const { runId } = await publish(call, publisher.user.key, { goal: "forgotten" });
    clock += 7 * DAY_MS - 1000;
    await runTask(hub, "agents:fail-expired-runs");
    expect((await call("GET", `/v1/runs/${runId}`)).body.status).not.toBe("failed");
    clock += 2000;
    await runTask(hub, "agents:fail-expired-runs");
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body).toMatchObject({ status: "failed", failure_reason: "expired: nobody completed it in time" });
    const replay = await call("GET", `/v1/runs/${runId}/replay`);
    expect(replay.body.events.at(-1)).toMatchObject({ kind: "system", persona: "platform", is_key_node: false });
    const db = new Database(join(hub.dir, "data", "hub.db"), { readonly: true });
    try {
      const audit = db.query("SELECT action FROM platform_audit_logs WHERE run_id = ? ORDER BY created_at").all(runId);
      expect(audit).toEqual([{ action: "run_created" }, { action: "run_failed" }]);
    } finally {
      db.close();
    }
  });

  test("idempotency keys are forgotten after a day", async () => {
    const headers = { "idempotency-key": "publish-once" };
    const first = await call("POST", "/v1/runs", { key: publisher.user.key, json: { goal: "once" }, headers });
    const replay = await call("POST", "/v1/runs", { key: publisher.user.key, json: { goal: "once" }, headers });
    expect(replay.body).toEqual(first.body);
    expectError(
      await call("POST", "/v1/runs", { key: publisher.user.key, json: { goal: "other" }, headers }),
      409,
      "idempotency key reuse",
    );
    clock += DAY_MS + 1000;
    await runTask(hub, "agents:purge-idempotency-keys");
    expect(rowCounts(hub).platform_idempotency_keys).toBe(0);
    const fresh = await call("POST", "/v1/runs", { key: publisher.user.key, json: { goal: "other" }, headers });
    expect(fresh.body.run_id).not.toBe(first.body.run_id);
  });

  test("two processes reclaiming the same expired leases at once reclaim each exactly once", async () => {
    const owner = await newPublisher(call);
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await publish(call, owner.user.key, { goal: `contended ${i}` }));
    for (const run of runs) {
      expect(
        (await call("POST", `/v1/gateway/work-items/${run.workItemId}/claim`, { key: owner.agent.key })).status,
      ).toBe(200);
    }
    const second = await openStores({ dataDir: join(hub.dir, "data") });
    try {
      const at = clock + 301_000;
      const [a, b] = await Promise.all([
        hub.deps.stores.platform.work.reclaimExpired({ at, maxAttempts: 3, limit: 100 }),
        second.platform.work.reclaimExpired({ at, maxAttempts: 3, limit: 100 }),
      ]);
      expect(a.reclaimed + b.reclaimed).toBe(5);
      for (const run of runs) {
        expect((await call("GET", `/v1/runs/${run.runId}`)).body.work_items[0]).toMatchObject({
          status: "offered",
          attempts: 1,
        });
      }
    } finally {
      await second.close();
    }
  });
});
