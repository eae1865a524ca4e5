/** @module `aigne-hub agent run` (the compiled client) against an in-process hub and the mock upstream. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ulid } from "ulid";
import { type Call, platformClient, type TestAgent } from "../integration/agents/helpers";
import { type MockUpstream, startMockUpstream } from "../mocks/upstream";
import { type InProcessHub, startInProcessHub } from "../support/app";
import { runBinary } from "../support/binary";
import { tempDir } from "../support/temp-dir";

const MOCK_ANSWER = "The lighthouse keeper counted waves until dawn.";

describe("aigne-hub agent run", () => {
  const dir = tempDir();
  let hub: InProcessHub;
  let mock: MockUpstream;
  let call: Call;
  let hubKey = "";
  let hubUserId = "";
  let agent: TestAgent;

  const agentRun = (args: string[], env: Record<string, string> = {}) =>
    runBinary(["agent", "run", "--url", hub.url, "--once", "--wait", "0", ...args], {
      cwd: dir.path,
      env,
      timeoutMs: 30_000,
    });

  beforeAll(async () => {
    hub = await startInProcessHub();
    mock = await startMockUpstream({ script: { text: MOCK_ANSWER, chunks: 4 } });
    call = platformClient(hub.url);
    const { catalog, accounts, stores } = hub.deps;
    await catalog.setProvider({
      name: "openai",
      type: "openai",
      baseUrl: mock.openaiBase,
      apiKey: "sk-test-agent-run-0001",
    });
    await catalog.setModel({ model: "openai/gpt-4o-mini", inputRate: "0.00000015", outputRate: "0.0000006" });
    const { user } = await accounts.upsertUser({ email: "owner@example.com", password: "owner-password-1" });
    hubUserId = user.id;
    hubKey = (await accounts.issueHubKey({ userId: user.id, source: "admin" })).key;
    await stores.ledger.grant({
      entryId: ulid(),
      userId: user.id,
      amount: 100_000_000,
      note: null,
      reference: null,
      idempotencyKey: null,
      at: Date.now(),
    });
    const created = await call("POST", "/v1/agents", { key: hubKey, json: { name: "runner", tags: ["stories"] } });
    expect(created.status).toBe(201);
    agent = {
      agentId: created.body.agent_id,
      key: created.body.api_key,
      onboarding: { runId: created.body.onboarding.run_id, workItemId: created.body.onboarding.work_item_id },
    };
  }, 120_000);
  afterAll(async () => {
    await hub.stop();
    await mock.stop();
    dir.remove();
  });

  test("without an agent key and without a terminal it exits 2 naming the flag", async () => {
    const result = await agentRun(["--exec", "cat"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--api-key");
  }, 120_000);

  test("--exec completes a work item: the goal goes in on stdin, stdout becomes the final artifact", async () => {
    const result = await agentRun(["--exec", "tr a-z A-Z"], { AIGNE_HUB_AGENT_KEY: agent.key });
    expect(result.stderr).toContain("claimed work item");
    expect({ code: result.code, stdout: result.stdout }).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^completed [0-9a-f-]{36} \(run [0-9a-f-]{36}, artifact v1\)\n$/),
    });
    const output = await call("GET", `/v1/runs/${agent.onboarding.runId}/output`);
    expect(output.body.content).toStartWith("ONBOARDING: CLAIM THE OFFERED WORK ITEM");
    const replay = await call("GET", `/v1/runs/${agent.onboarding.runId}/replay`);
    const kinds = replay.body.events
      .filter((e: { kind: string }) => e.kind !== "system")
      .map((e: { kind: string }) => e.kind);
    expect(kinds).toEqual(["message", "message", "decision", "artifact_version", "summary"]);
  });

  test("a command that exits non-zero fails the item, which the hub re-offers", async () => {
    const result = await agentRun(["--api-key", agent.key, "--exec", "echo broken >&2; exit 3"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^failed [0-9a-f-]{36} \(offered\): command exited with 3: broken\n$/);
    const run = await call("GET", `/v1/runs/${agent.onboarding.runId}`);
    expect(run.body.work_items.map((item: { attempts: number }) => item.attempts).sort()).toEqual([0, 0, 1]);
  });

  test("--model answers a published run through the gateway, billed to the agent's owner", async () => {
    for (let i = 0; i < 2; i++) expect((await agentRun(["--api-key", agent.key, "--exec", "cat"])).code).toBe(0);
    const published = await call("POST", "/v1/runs", {
      key: hubKey,
      json: { goal: "Write one line about a lighthouse" },
    });
    expect(published.status).toBe(201);
    const before = await hub.deps.stores.ledger.account(hubUserId);
    const result = await agentRun(["--api-key", agent.key, "--model", "openai/gpt-4o-mini"], {
      AIGNE_HUB_API_KEY: hubKey,
    });
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    const run = await call("GET", `/v1/runs/${published.body.run_id}`);
    expect(run.body.status).toBe("completed");
    const output = await call("GET", `/v1/runs/${published.body.run_id}/output`);
    expect(output.body).toMatchObject({ kind: "final", content: MOCK_ANSWER, author: "stories" });
    const upstream = mock.requests.at(-1)!;
    expect(upstream.model).toBe("gpt-4o-mini");
    expect(JSON.stringify(upstream.body.messages)).toContain("Write one line about a lighthouse");
    // The call's settlement is committed just after its answer; wait for it rather than for the clock.
    await hub.deps.flushWrites();
    const after = await hub.deps.stores.ledger.account(hubUserId);
    expect(after.spent).toBeGreaterThan(before.spent);
  });

  test("with no offer it says so and exits 0", async () => {
    const result = await agentRun(["--api-key", agent.key, "--exec", "cat"]);
    expect(result).toMatchObject({ code: 0, stdout: "" });
    expect(result.stderr).toContain("no work item was offered");
  });
});

describe("aigne-hub agent run lease renewal", () => {
  const dir = tempDir();
  let hub: InProcessHub;

  beforeAll(async () => {
    // The hub's clock runs 297 s behind, so a 300 s lease has 3 s left by the runner's clock: renewals come each second.
    hub = await startInProcessHub({ now: () => Date.now() - 297_000 });
  });
  afterAll(async () => {
    await hub.stop();
    dir.remove();
  });

  test("renews the lease at a third of its remaining time while the command works, then completes", async () => {
    const call = platformClient(hub.url);
    const user = await call("POST", "/v1/users");
    const agent = await call("POST", "/v1/agents", { key: user.body.api_key, json: {} });
    const result = await runBinary(
      [
        "agent",
        "run",
        "--url",
        hub.url,
        "--api-key",
        agent.body.api_key,
        "--once",
        "--wait",
        "0",
        "--exec",
        "sleep 4; echo done",
      ],
      { cwd: dir.path, timeoutMs: 30_000 },
    );
    expect(result.code).toBe(0);
    const renewals = hub.logLines.filter((line) => line.includes("/heartbeat") && line.includes('"status":200'));
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    const output = await call("GET", `/v1/runs/${agent.body.onboarding.run_id}/output`);
    expect(output.body.content).toBe("done");
  }, 30_000);
});
