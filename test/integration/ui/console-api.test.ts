/** @module The small endpoints the web pages added: credential test, settings with retention, card top-up flag. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UpstreamFailure } from "../../../src/server/providers/types";
import type { CredentialTestResult, CreditsOverview, HubSettingsView } from "../../../src/shared/api";
import { type MockUpstream, startMockUpstream } from "../../mocks/upstream";
import { type InProcessHub, startInProcessHub } from "../../support/app";

let hub: InProcessHub;
let mock: MockUpstream;
let adminKey: string;
let userKey: string;
let credentialId: string;

/** Calls the hub with a Bearer key. */
function request(method: string, path: string, key: string, body?: unknown) {
  return fetch(`${hub.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  mock = await startMockUpstream();
  hub = await startInProcessHub({
    env: { AIGNE_HUB_CALL_RETENTION_DAYS: "30", AIGNE_HUB_CALL_RETENTION_ROWS: "5000" },
  });
  const { accounts, catalog } = hub.deps;
  const admin = await accounts.upsertUser({ email: "ops@example.com", password: "ops-password", role: "admin" });
  adminKey = (await accounts.issueHubKey({ userId: admin.user.id, source: "admin" })).key;
  const user = await accounts.upsertUser({ email: "someone@example.com", password: "user-password" });
  userKey = (await accounts.issueHubKey({ userId: user.user.id, source: "admin" })).key;
  const provider = await catalog.setProvider({
    name: "mock",
    type: "openai",
    baseUrl: mock.openaiBase,
    apiKey: "sk-test-credential",
  });
  credentialId = provider.credentialId!;
});

afterAll(async () => {
  await hub.stop();
  await mock.stop();
});

describe("POST /api/admin/credentials/:id/test", () => {
  test("a working key passes with its latency, after one authenticated model-list call upstream", async () => {
    mock.reset();
    mock.setScript({});
    const response = await request("POST", `/api/admin/credentials/${credentialId}/test`, adminKey);
    expect(response.status).toBe(200);
    const result = (await response.json()) as CredentialTestResult;
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(mock.requests.map((r) => [r.endpoint, r.apiKey])).toEqual([["models", "sk-test-credential"]]);
  });

  test("a passing test clears an invalid mark the gateway set", async () => {
    const { catalog, health } = hub.deps;
    const credential = (await catalog.view()).credentialsByProvider.values().next().value![0]!;
    health.report(credential, { ok: false, failure: new UpstreamFailure("auth", "bad key", 401) });
    expect(health.isInvalid(credential)).toBe(true);
    const result = (await (
      await request("POST", `/api/admin/credentials/${credentialId}/test`, adminKey)
    ).json()) as CredentialTestResult;
    expect(result.ok).toBe(true);
    expect(health.isInvalid(credential)).toBe(false);
  });

  test("a refused key is reported as a failed test with the provider's reason, not as an API error", async () => {
    mock.setScript({ status: 401, error: { message: "invalid api key" } });
    const response = await request("POST", `/api/admin/credentials/${credentialId}/test`, adminKey);
    expect(response.status).toBe(200);
    const result = (await response.json()) as CredentialTestResult;
    expect(result.ok).toBe(false);
    expect(result.message).toBeTruthy();
    expect(result.message).not.toContain("sk-test-credential");
    mock.setScript({});
  });

  test("an unknown credential is a 404 in the hub's error shape, and a non-admin is refused", async () => {
    const missing = await request("POST", "/api/admin/credentials/nope/test", adminKey);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe("not_found");
    const user = await request("POST", `/api/admin/credentials/${credentialId}/test`, userKey);
    expect(user.status).toBe(403);
  });
});

describe("GET and PATCH /api/admin/settings", () => {
  test("they report the retention the environment sets and whether the environment pins billing", async () => {
    const settings = (await (await request("GET", "/api/admin/settings", adminKey)).json()) as HubSettingsView;
    expect(settings).toEqual({
      enabled: true,
      paymentLink: null,
      lenient: false,
      creditsOverride: null,
      storeContent: false,
      storeContentOverride: null,
      retention: { days: 30, rows: 5000 },
    });
    const patched = await request("PATCH", "/api/admin/settings", adminKey, {
      paymentLink: "https://pay.example.com/",
    });
    expect(((await patched.json()) as HubSettingsView).retention).toEqual({ days: 30, rows: 5000 });
    await request("PATCH", "/api/admin/settings", adminKey, { paymentLink: null });
  });
});

describe("GET /api/credits", () => {
  test("it says card top-ups are off when Stripe is not configured", async () => {
    const overview = (await (await request("GET", "/api/credits", userKey)).json()) as CreditsOverview;
    expect(overview.cardTopUp).toBe(false);
    expect(overview.paymentLink).toBe(`${hub.url}/ui/credits`);
  });
});
