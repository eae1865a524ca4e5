/** @module The agent platform end to end over HTTP: three agents, one run, from publish to completed and frozen. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import {
  type Call,
  expectError,
  newPublisher,
  openStream,
  platformClient,
  publish,
  RFC3339,
  type TestAgent,
  type TestUser,
} from "./helpers";

describe("a run with three agents", () => {
  let hub: InProcessHub;
  let call: Call;
  let alice: { user: TestUser; agent: TestAgent };
  let bob: { user: TestUser; agent: TestAgent };
  let carol: { user: TestUser; agent: TestAgent };
  let runId = "";
  let workItemId = "";

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
    alice = await newPublisher(call, ["poetry"]);
    bob = await newPublisher(call, ["sci-fi", "poetry"]);
    carol = await newPublisher(call, ["cooking"]);
  });
  afterAll(() => hub.stop());

  test("publishing offers the run's one work item to three agents, the publisher's own included", async () => {
    const created = await publish(call, alice.user.key, {
      goal: "Write a three-act sci-fi poem",
      constraints: "under 200 words",
      required_tags: ["sci-fi", " sci-fi ", ""],
    });
    runId = created.runId;
    workItemId = created.workItemId;
    expect(created.reply.body).toEqual({
      run_id: runId,
      run_ref: expect.stringMatching(/^r_[0-9a-f]{16}$/),
      work_item_id: workItemId,
      offered_agents: 3,
    });
    for (const who of [alice, bob, carol]) {
      const poll = await call("GET", "/v1/gateway/inbox/poll", { key: who.agent.key });
      expect(poll.body.offers.map((offer: { work_item_id: string }) => offer.work_item_id)).toContain(workItemId);
    }
    const run = await call("GET", `/v1/runs/${runId}`);
    expect(run.body).toMatchObject({ id: runId, status: "created", required_tags: ["sci-fi"] });
  });

  test("one agent claims; the others get 409 and no longer see the item in their poll", async () => {
    const claim = await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: bob.agent.key });
    expect(claim.status).toBe(200);
    expect(claim.body).toMatchObject({
      work_item_id: workItemId,
      run_id: runId,
      stage: "ideation",
      kind: "draft",
      status: "claimed",
      goal: "Write a three-act sci-fi poem",
      constraints: "under 200 words",
      lease_expires_at: expect.stringMatching(RFC3339),
    });
    for (const loser of [alice, carol]) {
      expectError(
        await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: loser.agent.key }),
        409,
        "not claimable",
      );
      const poll = await call("GET", "/v1/gateway/inbox/poll", { key: loser.agent.key });
      expect(poll.body.offers.map((offer: { work_item_id: string }) => offer.work_item_id)).not.toContain(workItemId);
    }
    const own = await call("GET", "/v1/gateway/inbox/poll", { key: bob.agent.key });
    const mine = own.body.offers.find((offer: { work_item_id: string }) => offer.work_item_id === workItemId);
    expect(mine).toMatchObject({ status: "claimed", lease_expires_at: expect.stringMatching(RFC3339) });
    expect((await call("GET", `/v1/runs/${runId}`)).body.status).toBe("running");
  });

  test("only the lease holder may narrate, submit and complete", async () => {
    expectError(
      await call("POST", `/v1/gateway/runs/${runId}/events`, {
        key: carol.agent.key,
        json: { kind: "message", payload: { text: "hijack" } },
      }),
      403,
      "not a participant",
    );
    expectError(
      await call("POST", `/v1/gateway/runs/${runId}/artifacts`, { key: alice.agent.key, json: { content: "mine" } }),
      403,
      "not a participant",
    );
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: carol.agent.key }),
      403,
      "not lease holder",
    );
  });

  test("the holder narrates, submits a final artifact linked to its decision and completes the run", async () => {
    const plan = await call("POST", `/v1/gateway/runs/${runId}/events`, {
      key: bob.agent.key,
      json: { kind: "message", payload: { text: "plan: three acts" } },
    });
    expect(plan.status).toBe(201);
    const decision = await call("POST", `/v1/gateway/runs/${runId}/events`, {
      key: bob.agent.key,
      json: { kind: "decision", payload: { text: "I will write a 3-act outline" } },
    });
    expect(decision.body).toMatchObject({ seq: plan.body.seq + 1, persona: "poetry / sci-fi", is_key_node: true });
    const artifact = await call("POST", `/v1/gateway/runs/${runId}/artifacts`, {
      key: bob.agent.key,
      json: { kind: "final", content: "  Act I…  ", linked_event_seq: decision.body.seq },
    });
    expect(artifact.status).toBe(201);
    expect(artifact.body).toEqual({
      run_id: runId,
      run_ref: expect.any(String),
      version: 1,
      kind: "final",
      persona: "poetry / sci-fi",
    });
    const complete = await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, {
      key: bob.agent.key,
      json: { artifact_version: 1, summary: "a poem in three acts" },
    });
    expect(complete.body).toEqual({ status: "completed" });
    const run = await call("GET", `/v1/runs/${runId}/`);
    expect(run.body).toMatchObject({
      status: "completed",
      completed_at: expect.stringMatching(RFC3339),
      work_items: [{ work_item_id: workItemId, status: "completed", attempts: 0 }],
    });
  });

  test("the public reads show gapless events, key nodes and the output", async () => {
    const replay = await call("GET", `/v1/runs/${runId}/replay?after_seq=0&limit=200`);
    const seqs = replay.body.events.map((event: { seq: number }) => event.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    const kinds = replay.body.events.map((event: { kind: string; payload: { event?: string } }) =>
      event.kind === "system" ? `system:${event.payload.event}` : event.kind,
    );
    expect(kinds).toEqual([
      "system:work_item_claimed",
      "message",
      "decision",
      "summary",
      "system:work_item_completed",
      "system:run_completed",
    ]);
    expect(replay.body.key_nodes.map((event: { kind: string }) => event.kind)).toEqual(["decision", "summary"]);
    expect(replay.body).toMatchObject({ has_more: false, next_after_seq: 6, after_seq: 0, limit: 200 });
    const output = await call("GET", `/v1/runs/${runId}/output`);
    expect(output.body).toEqual({
      run_id: runId,
      version: 1,
      kind: "final",
      content: "Act I…",
      author: "poetry / sci-fi",
      created_at: expect.stringMatching(RFC3339),
      linked_seq: 3,
    });
    const listed = await call("GET", "/v1/runs?q=sci-fi");
    expect(listed.body.runs).toEqual([
      expect.objectContaining({ run_id: runId, status: "completed", output_version: 1, output_kind: "final" }),
    ]);
  });

  test("a stream of the finished run replays everything, ends with `end`, and a resume gets 204", async () => {
    const stream = await openStream(hub.url, `/v1/runs/${runId}/stream?after_seq=0`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    expect(await stream.next()).toEqual({ retry: "3000" });
    const ids: string[] = [];
    for (let frame = await stream.next(); frame?.event === "event"; frame = await stream.next()) {
      ids.push(frame.id!);
      if (ids.length === 6) {
        expect(await stream.next()).toEqual({
          event: "end",
          data: JSON.stringify({ run_id: runId, status: "completed" }),
        });
        break;
      }
    }
    expect(ids).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(await stream.next()).toBeNull();
    const resumed = await openStream(hub.url, `/v1/runs/${runId}/stream`, { "last-event-id": "6" });
    expect(resumed.status).toBe(204);
  });

  test("a finished run is frozen: no events, artifacts or claims", async () => {
    expectError(
      await call("POST", `/v1/gateway/runs/${runId}/events`, {
        key: bob.agent.key,
        json: { kind: "message", payload: { text: "late" } },
      }),
      409,
      "run closed",
    );
    expectError(
      await call("POST", `/v1/gateway/runs/${runId}/artifacts`, { key: bob.agent.key, json: { content: "v2" } }),
      409,
      "run closed",
    );
    expectError(
      await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: carol.agent.key }),
      409,
      "not claimable",
    );
    expectError(await call("POST", `/v1/runs/${runId}/cancel`, { key: alice.user.key }), 409, "run closed");
  });

  test("the completing agent's owner is credited with a qualified contribution", async () => {
    const detail = await call("GET", `/v1/agents/${bob.agent.agentId}`, { key: bob.user.key });
    expect(detail.body).toMatchObject({ completed_work_items: 2, qualified_work_items: 2, active_leases: 0 });
    const contributions = await call("GET", `/v1/agents/${bob.agent.agentId}/contributions?limit=1`, {
      key: bob.user.key,
    });
    expect(contributions.body).toEqual({
      items: [
        {
          work_item_id: workItemId,
          run_id: runId,
          stage: "ideation",
          kind: "draft",
          qualified: true,
          completed_at: expect.stringMatching(RFC3339),
        },
      ],
      has_more: true,
      next_offset: 1,
    });
    expectError(
      await call("GET", `/v1/agents/${bob.agent.agentId}/contributions`, { key: alice.user.key }),
      404,
      "not found",
    );
  });
});
