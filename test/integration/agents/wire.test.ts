/** @module The wire contract of agent-platform.md: exact shapes, `[]` for lists, exact error strings, and bad input writes nothing. */
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
  rowCounts,
  type TestAgent,
  type TestUser,
  UUID,
} from "./helpers";

const NIL_RUN = "00000000-0000-4000-8000-000000000000";

describe("wire shapes", () => {
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
    publisher = await newPublisher(call, ["b-tag", "a-tag", "c-tag"]);
  });
  afterAll(() => hub.stop());

  test("POST /v1/users returns exactly user_id and a prefixed key", async () => {
    const reply = await call("POST", "/v1/users", { body: "ignored, not JSON" });
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body)).toEqual(["user_id", "api_key"]);
    expect(reply.body.user_id).toMatch(UUID);
    expect(reply.body.api_key).toMatch(/^ahu_[A-Za-z0-9_-]{43}$/);
    expect((await call("GET", "/v1/me", { key: reply.body.api_key })).body).toEqual({
      user_id: reply.body.user_id,
      hub_account: null,
    });
  });

  test("agents: create response, list item with [] tags, detail", async () => {
    const user = await newUser(call);
    const created = await call("POST", "/v1/agents", { key: user.key, json: { name: "  ", description: "d" } });
    expect(created.body).toEqual({
      agent_id: expect.stringMatching(UUID),
      api_key: expect.stringMatching(/^aha_[A-Za-z0-9_-]{43}$/),
      endpoints: { poll: "/v1/gateway/inbox/poll" },
      onboarding: { run_id: expect.stringMatching(UUID), work_item_id: expect.stringMatching(UUID) },
    });
    const list = await call("GET", "/v1/agents", { key: user.key });
    expect(list.body).toEqual({
      agents: [
        {
          id: created.body.agent_id,
          name: "agent",
          description: "d",
          status: "enabled",
          tags: [],
          public_ref: expect.stringMatching(/^a_[0-9a-f]{16}$/),
          last_seen_at: null,
          active_leases: 0,
          completed_work_items: 0,
        },
      ],
    });
    const empty = await newUser(call);
    expect((await call("GET", "/v1/agents", { key: empty.key })).body).toEqual({ agents: [] });
    const detail = await call("GET", `/v1/agents/${created.body.agent_id.toUpperCase()}`, { key: user.key });
    expect(detail.body).toMatchObject({ qualified_work_items: 0, created_at: expect.stringMatching(RFC3339) });
  });

  test("tags: replace returns the normalised set, add and delete; strangers get 404", async () => {
    const user = await newUser(call);
    const agent = await newAgent(call, user.key);
    const path = `/v1/agents/${agent.agentId}/tags`;
    const long = "x".repeat(65);
    expect(
      (await call("PUT", path, { key: user.key, json: { tags: [" 科幻创意 ", "", long, "poetry", "poetry"] } })).body,
    ).toEqual({ tags: ["科幻创意", "poetry"] });
    expect((await call("POST", path, { key: user.key, json: { tag: " sci-fi " } })).body).toEqual({ tag: "sci-fi" });
    expectError(await call("POST", path, { key: user.key, json: { tag: long } }), 400, "invalid tag");
    expect((await call("DELETE", `${path}/${encodeURIComponent("科幻创意")}`, { key: user.key })).body).toEqual({
      status: "ok",
    });
    const stranger = await newUser(call);
    expectError(await call("DELETE", `${path}/poetry`, { key: stranger.key }), 404, "not found");
    expect((await call("GET", `/v1/agents/${agent.agentId}`, { key: user.key })).body.tags).toEqual([
      "poetry",
      "sci-fi",
    ]);
  });

  test("poll, work item read and the emitted event use the spec's field names", async () => {
    const user = await newUser(call);
    const agent = await newAgent(call, user.key, { tags: ["zeta", "alpha", "mid"] });
    const poll = await call("GET", "/v1/gateway/inbox/poll?limit=1", { key: agent.key });
    expect(poll.body).toEqual({
      agent_id: agent.agentId,
      offers: [
        {
          work_item_id: agent.onboarding.workItemId,
          run_id: agent.onboarding.runId,
          run_ref: expect.stringMatching(/^r_[0-9a-f]{16}$/),
          stage: "onboarding",
          kind: "contribute",
          status: "offered",
          goal: expect.stringMatching(/^Onboarding: claim the offered work item/),
          constraints: expect.stringMatching(/^system-onboarding:/),
          attempts: 0,
          created_at: expect.stringMatching(RFC3339),
          updated_at: expect.stringMatching(RFC3339),
        },
      ],
    });
    await call("POST", `/v1/gateway/work-items/${agent.onboarding.workItemId}/claim`, { key: agent.key });
    const event = await call("POST", `/v1/gateway/runs/${agent.onboarding.runId}/events`, {
      key: agent.key,
      json: { kind: " decision ", payload: { text: "I will write a 3-act outline" } },
    });
    expect(event.status).toBe(201);
    expect(event.body).toEqual({
      run_id: agent.onboarding.runId,
      run_ref: expect.any(String),
      seq: 2,
      kind: "decision",
      persona: "alpha / mid",
      payload: { text: "I will write a 3-act outline" },
      is_key_node: true,
      created_at: expect.stringMatching(RFC3339),
    });
    const nullPayload = await call("POST", `/v1/gateway/runs/${poll.body.offers[0].run_ref}/events`, {
      key: agent.key,
      json: { kind: "message", payload: null },
    });
    expect(nullPayload.body.payload).toEqual({});
    const read = await call("GET", `/v1/gateway/work-items/${agent.onboarding.workItemId}`, { key: agent.key });
    expect(Object.keys(read.body).sort()).toEqual(
      [
        "work_item_id",
        "run_id",
        "run_ref",
        "stage",
        "kind",
        "status",
        "goal",
        "constraints",
        "attempts",
        "created_at",
        "updated_at",
        "lease_expires_at",
      ].sort(),
    );
    const artifact = await call("POST", `/v1/gateway/runs/${agent.onboarding.runId}/artifacts`, {
      key: agent.key,
      json: { content: "intro", linked_event_seq: 0 },
    });
    expect(artifact.body).toMatchObject({ version: 1, kind: "final", persona: "alpha / mid" });
    const version = await call("GET", `/v1/runs/${agent.onboarding.runId}/artifacts/1`);
    expect(version.body).toEqual({
      run_id: agent.onboarding.runId,
      version: 1,
      kind: "final",
      content: "intro",
      created_at: expect.stringMatching(RFC3339),
      linked_seq: null,
      replay_url: `/v1/runs/${agent.onboarding.runId}/replay`,
      linked_event_seq: null,
      author: "alpha / mid",
    });
  });

  test("runs are addressed by UUID or r_ ref, and the list reports outputs and paging", async () => {
    const { runId, reply } = await publish(call, publisher.user.key, { goal: "find 100% of the_lighthouse 灯塔" });
    const byRef = await call("GET", `/v1/runs/${reply.body.run_ref}`);
    expect(byRef.body).toMatchObject({ id: runId, run_id: runId, run_ref: reply.body.run_ref, required_tags: [] });
    expect(Object.keys(byRef.body).slice(0, 5)).toEqual(["id", "goal", "constraints", "status", "created_at"]);
    const listed = await call("GET", "/v1/runs?q=灯塔,100%25&limit=1");
    expect(listed.body).toEqual({
      runs: [
        {
          run_id: runId,
          run_ref: reply.body.run_ref,
          goal: "find 100% of the_lighthouse 灯塔",
          constraints: "",
          status: "created",
          created_at: expect.stringMatching(RFC3339),
          updated_at: expect.stringMatching(RFC3339),
          completed_at: null,
          output_version: 0,
          output_kind: "",
          persona_count: 0,
        },
      ],
      has_more: false,
      next_offset: 1,
    });
    expect((await call("GET", "/v1/runs?q=10_%25")).body.runs).toEqual([]);
    expect((await call("GET", "/v1/runs?q=the_l")).body.runs.length).toBe(1);
    const system = await call("GET", "/v1/runs?include_system=yes&limit=50");
    expect(system.body.runs.length).toBeGreaterThan((await call("GET", "/v1/runs?limit=50")).body.runs.length);
    expectError(await call("GET", `/v1/runs/${runId}/output`), 404, "no output");
    expectError(await call("GET", `/v1/runs/${runId}/artifacts/0`), 400, "invalid version");
    expectError(await call("GET", `/v1/runs/${runId}/artifacts/7`), 404, "not found");
    expectError(await call("GET", `/v1/runs/${NIL_RUN}/replay`), 404, "not found");
    expectError(await call("GET", `/v1/runs/${NIL_RUN}`), 404, "not found");
  });

  test("the publish gate answers with its exact bodies", async () => {
    const user = await newUser(call);
    const noAgent = await call("POST", "/v1/runs", { key: user.key, json: { goal: "g" } });
    expect(noAgent.status).toBe(403);
    expect(noAgent.text).toBe(
      '{"error":"publish_gated","reason":"no_agent","requirement":"register at least one agent first"}',
    );
    await newAgent(call, user.key);
    const insufficient = await call("POST", "/v1/runs", { key: user.key, json: { goal: "g" } });
    expect(insufficient.status).toBe(403);
    expect(insufficient.text).toBe(
      '{"error":"publish_gated","reason":"insufficient_contribution","min":1,"completed":0,"requirement":"your agents must complete platform work before you can publish runs"}',
    );
  });

  test("auth errors use the MVP's strings", async () => {
    expectError(await call("GET", "/v1/me"), 401, "missing bearer token");
    expectError(await call("GET", "/v1/me", { headers: { authorization: "Basic abc" } }), 401, "missing bearer token");
    expectError(await call("GET", "/v1/me", { key: "ahu_unknown" }), 401, "invalid token");
    expectError(await call("GET", "/v1/me", { key: publisher.agent.key }), 401, "invalid token");
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: publisher.user.key }), 401, "invalid token");
    const lower = await call("GET", "/v1/me", { headers: { authorization: `bearer   ${publisher.user.key}  ` } });
    expect(lower.status).toBe(200);
    expectError(await call("GET", "/v1/agents/not-a-uuid", { key: publisher.user.key }), 400, "invalid agent id");
    expectError(
      await call("POST", "/v1/gateway/work-items/nope/claim", { key: publisher.agent.key }),
      400,
      "invalid work_item_id",
    );
    expectError(
      await call("GET", `/v1/gateway/work-items/${NIL_RUN}`, { key: publisher.agent.key }),
      404,
      "not offered",
    );
    expectError(await call("GET", "/v1/agents/x/y/z", { key: publisher.user.key }), 404, "not found");
  });

  test("the tool gate denies by default and validates its input", async () => {
    const invoke = (json: unknown) => call("POST", "/v1/gateway/tools/invoke", { key: publisher.agent.key, json });
    expectError(await invoke({ run_id: NIL_RUN, tool: "" }), 400, "invalid tool");
    expectError(await invoke({ run_id: "x", tool: "web" }), 400, "invalid run_id");
    expectError(await invoke({ run_id: NIL_RUN, tool: "web", input: {} }), 403, "tool_denied");
  });
});

describe("bad input is rejected and writes nothing", () => {
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };
  let runId = "";
  let workItemId = "";

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
    publisher = await newPublisher(call);
    ({ runId, workItemId } = await publish(call, publisher.user.key, { goal: "target" }));
    await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: publisher.agent.key });
  });
  afterAll(() => hub.stop());

  /** Sends a request that must fail with `status` and `message`, and checks that no platform table changed. */
  async function rejects(method: string, path: string, options: Parameters<Call>[2], status: number, message: string) {
    const before = rowCounts(hub);
    expectError(await call(method, path, options), status, message);
    expect(rowCounts(hub)).toEqual(before);
  }

  test("strict JSON: unknown fields, malformed, wrong types, empty and oversized bodies", async () => {
    const key = publisher.user.key;
    await rejects("POST", "/v1/agents", { key, json: { name: "a", extra: 1 } }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, body: "{bad" }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, json: [] }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, json: { tags: "x" } }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, json: { tags: [1] } }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, body: "" }, 400, "invalid json");
    await rejects("POST", "/v1/agents", { key, json: { description: "x".repeat(70_000) } }, 400, "invalid json");
    await rejects(
      "POST",
      "/v1/runs",
      { key, json: { goal: "g", required_tags: null, bogus: true } },
      400,
      "invalid json",
    );
    const agentKey = publisher.agent.key;
    const events = `/v1/gateway/runs/${runId}/events`;
    await rejects("POST", events, { key: agentKey, json: { kind: "message", payload: [1] } }, 400, "invalid json");
    await rejects("POST", events, { key: agentKey, json: { kind: "message", payload: "text" } }, 400, "invalid json");
    await rejects(
      "POST",
      `/v1/gateway/runs/${runId}/artifacts`,
      { key: agentKey, json: { content: "c", linked_event_seq: 1.5 } },
      400,
      "invalid json",
    );
    await rejects(
      "POST",
      `/v1/gateway/work-items/${workItemId}/heartbeat`,
      { key: agentKey, json: { extend: 1 } },
      400,
      "invalid json",
    );
  });

  test("text limits count UTF-8 bytes after trimming", async () => {
    const key = publisher.user.key;
    await rejects("POST", "/v1/agents", { key, json: { name: "名".repeat(22) } }, 400, "name too long");
    const ok = await call("POST", "/v1/agents", { key, json: { name: ` ${"名".repeat(21)} ` } });
    expect(ok.status).toBe(201);
    await rejects("POST", "/v1/agents", { key, json: { description: "é".repeat(257) } }, 400, "description too long");
    const agentPath = `/v1/agents/${ok.body.agent_id}`;
    await rejects("PATCH", agentPath, { key, json: {} }, 400, "no fields");
    await rejects("PATCH", agentPath, { key, json: { name: "  " } }, 400, "invalid name");
    await rejects("PATCH", agentPath, { key, json: { status: "paused" } }, 400, "invalid status");
    await rejects("PATCH", `/v1/agents/${NIL_RUN}`, { key, json: { name: "n" } }, 404, "not found");
    await rejects("POST", "/v1/runs", { key, json: { goal: "   " } }, 400, "missing goal");
    await rejects("POST", "/v1/runs", { key, json: { goal: "字".repeat(1334) } }, 400, "goal too long");
    await rejects(
      "POST",
      "/v1/runs",
      { key, json: { goal: "g", constraints: "c".repeat(8001) } },
      400,
      "constraints too long",
    );
  });

  test("event and artifact rules", async () => {
    const key = publisher.agent.key;
    const events = `/v1/gateway/runs/${runId}/events`;
    const artifacts = `/v1/gateway/runs/${runId}/artifacts`;
    await rejects("POST", events, { key, json: { kind: "system", payload: { text: "fake" } } }, 400, "invalid kind");
    await rejects("POST", events, { key, json: { kind: "chat" } }, 400, "invalid kind");
    await rejects(
      "POST",
      events,
      { key, json: { kind: "message", payload: { text: "x".repeat(16_400) } } },
      400,
      "payload too large",
    );
    await rejects("POST", artifacts, { key, json: { kind: "poem", content: "c" } }, 400, "invalid kind");
    await rejects("POST", artifacts, { key, json: { content: "  " } }, 400, "missing content");
    await rejects(
      "POST",
      artifacts,
      { key, json: { content: "c", linked_event_seq: 99 } },
      400,
      "invalid linked_event_seq",
    );
    await rejects("POST", artifacts, { key, json: { content: "字".repeat(66_667) } }, 400, "content too large");
    await rejects(
      "POST",
      `/v1/gateway/work-items/${workItemId}/complete`,
      { key, json: { artifact_version: 1 } },
      400,
      "invalid artifact_version",
    );
    await rejects(
      "POST",
      "/v1/gateway/runs/r_0000000000000000/events",
      { key, json: { kind: "message" } },
      403,
      "not a participant",
    );
  });

  test("a retried write with the same Idempotency-Key replays; another body with that key conflicts", async () => {
    const key = publisher.agent.key;
    const events = `/v1/gateway/runs/${runId}/events`;
    const headers = { "idempotency-key": "retry-1" };
    const first = await call("POST", events, { key, json: { kind: "message", payload: { text: "once" } }, headers });
    const before = rowCounts(hub);
    const again = await call("POST", events, { key, json: { kind: "message", payload: { text: "once" } }, headers });
    expect(again).toMatchObject({ status: 201, body: first.body });
    expect(rowCounts(hub)).toEqual(before);
    await rejects(
      "POST",
      events,
      { key, json: { kind: "message", payload: { text: "twice" } }, headers },
      409,
      "idempotency key reuse",
    );
  });

  test("registration can be switched off and the agent cap holds", async () => {
    const settings = hub.deps.agentPlatform.settings;
    settings.registrationOpen = false;
    try {
      await rejects("POST", "/v1/users", {}, 403, "registration disabled");
    } finally {
      settings.registrationOpen = true;
    }
    settings.agentsPerOwner = 1;
    try {
      const user = await newUser(call);
      await newAgent(call, user.key);
      await rejects("POST", "/v1/agents", { key: user.key, json: {} }, 409, "agent limit reached");
    } finally {
      settings.agentsPerOwner = 20;
    }
  });
});
