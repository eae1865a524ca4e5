/** @module Keys and abuse limits over HTTP: rotation with grace, revocation, hub keys as user keys, rate limits. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import { type Call, expectError, newAgent, newUser, platformClient, RFC3339 } from "./helpers";

const T0 = 1_800_000_000_000;

describe("keys", () => {
  let clock = T0;
  let hub: InProcessHub;
  let call: Call;

  beforeAll(async () => {
    hub = await startInProcessHub({ now: () => clock });
    call = platformClient(hub.url);
  });
  afterAll(() => hub.stop());

  test("a rotated user key keeps working through its grace period, then stops", async () => {
    const user = await newUser(call);
    // Keys list newest first; a tick apart, the order is the rotation order.
    clock += 1000;
    const rotated = await call("POST", "/v1/me/keys/rotate?grace_seconds=60", { key: user.key });
    expect(rotated.body).toEqual({ api_key: expect.stringMatching(/^ahu_/), key_id: expect.any(String) });
    expect((await call("GET", "/v1/me", { key: user.key })).status).toBe(200);
    expect((await call("GET", "/v1/me", { key: rotated.body.api_key })).body.user_id).toBe(user.userId);
    const keys = await call("GET", "/v1/me/keys", { key: rotated.body.api_key });
    expect(keys.body.keys).toEqual([
      {
        key_id: rotated.body.key_id,
        prefix: "ahu_",
        name: "rotated",
        created_at: expect.stringMatching(RFC3339),
        last_used_at: expect.stringMatching(RFC3339),
        expires_at: null,
        revoked_at: null,
      },
      expect.objectContaining({
        prefix: "ahu_",
        revoked_at: new Date(clock + 60_000).toISOString().replace(".000", ""),
      }),
    ]);
    clock += 61_000;
    expectError(await call("GET", "/v1/me", { key: user.key }), 401, "invalid token");
    expect((await call("GET", "/v1/me", { key: rotated.body.api_key })).status).toBe(200);
    expectError(
      await call("POST", "/v1/me/keys/rotate?grace_seconds=86401", { key: rotated.body.api_key }),
      400,
      "invalid grace_seconds",
    );
  });

  test("a user key can be revoked; someone else's key id is not found", async () => {
    const user = await newUser(call);
    clock += 1000;
    const second = await call("POST", "/v1/me/keys/rotate?grace_seconds=3600", { key: user.key });
    const [, old] = (await call("GET", "/v1/me/keys", { key: user.key })).body.keys;
    const stranger = await newUser(call);
    expectError(await call("DELETE", `/v1/me/keys/${old.key_id}`, { key: stranger.key }), 404, "not found");
    expect((await call("DELETE", `/v1/me/keys/${old.key_id}`, { key: second.body.api_key })).body).toEqual({
      status: "revoked",
    });
    expectError(await call("GET", "/v1/me", { key: user.key }), 401, "invalid token");
    expectError(await call("DELETE", `/v1/me/keys/${old.key_id}`, { key: second.body.api_key }), 404, "not found");
  });

  test("agent key rotation revokes at once, or after the grace period", async () => {
    const user = await newUser(call);
    const agent = await newAgent(call, user.key);
    const path = `/v1/agents/${agent.agentId}/keys/rotate`;
    const graced = await call("POST", `${path}?grace_seconds=30`, { key: user.key });
    expect(graced.body).toEqual({ api_key: expect.stringMatching(/^aha_/) });
    expect((await call("GET", "/v1/gateway/inbox/poll", { key: agent.key })).status).toBe(200);
    clock += 31_000;
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: agent.key }), 401, "invalid token");
    const immediate = await call("POST", path, { key: user.key });
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: graced.body.api_key }), 401, "invalid token");
    expect((await call("GET", "/v1/gateway/inbox/poll", { key: immediate.body.api_key })).status).toBe(200);
    const stranger = await newUser(call);
    expectError(await call("POST", path, { key: stranger.key }), 404, "not found");
  });

  test("an aigne-hub key works as a user key; its platform user is created once, on first use", async () => {
    const { accounts } = hub.deps;
    const { user } = await accounts.upsertUser({ email: "owner@example.com", password: "owner-password-1" });
    const hubKey = (await accounts.issueHubKey({ userId: user.id, source: "admin" })).key;
    const me = await call("GET", "/v1/me", { key: hubKey });
    expect(me.body).toEqual({ user_id: expect.any(String), hub_account: "owner@example.com" });
    expect((await call("GET", "/v1/me", { key: hubKey })).body.user_id).toBe(me.body.user_id);
    const agent = await call("POST", "/v1/agents", { key: hubKey, json: { name: "hub-owned" } });
    expect(agent.status).toBe(201);
    expectError(await call("GET", "/v1/gateway/inbox/poll", { key: hubKey }), 401, "invalid token");
    expectError(await call("GET", "/v1/me", { key: "ahk_not-a-real-key" }), 401, "invalid token");
  });
});

describe("rate limits", () => {
  let hub: InProcessHub;
  let call: Call;

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
  });
  afterAll(() => hub.stop());

  test("authenticated callers are limited per key, with Retry-After", async () => {
    const settings = hub.deps.agentPlatform.settings;
    const a = await newUser(call);
    const b = await newUser(call);
    settings.keyRequestsPerMinute = 3;
    try {
      for (let i = 0; i < 3; i++) expect((await call("GET", "/v1/me", { key: a.key })).status).toBe(200);
      const limited = await call("GET", "/v1/me", { key: a.key });
      expectError(limited, 429, "rate_limited");
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await call("GET", "/v1/me", { key: b.key })).status).toBe(200);
    } finally {
      settings.keyRequestsPerMinute = 600;
    }
  });

  test("anonymous callers are limited per address; forwarded headers from untrusted peers are ignored", async () => {
    const settings = hub.deps.agentPlatform.settings;
    settings.anonymousRequestsPerMinute = 2;
    try {
      for (let i = 0; i < 2; i++) {
        const reply = await call("GET", "/v1/runs", { headers: { "x-forwarded-for": `203.0.113.${i}` } });
        expect(reply.status).toBe(200);
      }
      const limited = await call("GET", "/v1/runs", { headers: { "x-forwarded-for": "198.51.100.7" } });
      expectError(limited, 429, "rate_limited");
      expect(limited.headers.get("retry-after")).toBe("30");
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    } finally {
      settings.anonymousRequestsPerMinute = 120;
    }
  });
});
