/** @module AIGNE_HUB_SIGNUP_CREDITS: a new user starts with that many credits, granted exactly once. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBinary } from "../../support/binary";
import { type CreditsFixture, startCreditsHub } from "./helpers";

const PASSWORD = "correct-horse-battery";

describe("AIGNE_HUB_SIGNUP_CREDITS=5", () => {
  let f: CreditsFixture;

  beforeAll(async () => {
    f = await startCreditsHub({ env: { AIGNE_HUB_SIGNUP_CREDITS: "5" } });
  }, 60_000);
  afterAll(() => f.stop());

  test("a user created by upsert starts with 5 credits, and upserting them again grants nothing more", async () => {
    const { user, created } = await f.hub.deps.accounts.upsertUser({ email: "new@example.com", password: PASSWORD });
    expect(created).toBe(true);
    expect(await f.account(user.id)).toMatchObject({ balance: 5_000_000, granted: 5_000_000, grantCount: 1 });
    const again = await f.hub.deps.accounts.upsertUser({ email: "new@example.com", name: "New Name", role: "user" });
    expect(again.created).toBe(false);
    const entries = await f.entries(user.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: "grant",
      amount: 5_000_000,
      note: "signup",
      idempotencyKey: `signup:${user.id}`,
    });
    expect(await f.account(user.id)).toMatchObject({ balance: 5_000_000, grantCount: 1 });
  });

  test("a user created with POST /api/admin/users starts with 5 credits once, and can spend them", async () => {
    const body = { email: "rest-new@example.com", password: PASSWORD, role: "user" };
    const first = await f.request("POST", "/api/admin/users", { body, key: f.adminKey });
    expect(first.status).toBe(201);
    const second = await f.request("POST", "/api/admin/users", { body, key: f.adminKey });
    expect(second.status).toBe(200);
    expect((await second.json()).created).toBe(false);
    const { user } = await first.json();
    expect(await f.account(user.id)).toMatchObject({ balance: 5_000_000, grantCount: 1 });

    const issued = await f.hub.deps.accounts.issueHubKey({ userId: user.id, source: "admin" });
    const info = await (await f.request("GET", "/api/user/info", { key: issued.key })).json();
    expect(info.creditBalance).toMatchObject({ balance: "5", total: "5", grantCount: 1 });
    const chat = await f.request("POST", "/v1/chat/completions", { body: f.openaiChat(false), key: issued.key });
    expect(chat.status).toBe(200);
    // The capture is known when the response goes out and is committed just after it.
    await f.settled(user.id);
    expect(await f.account(user.id)).toMatchObject({ balance: 4_999_950, held: 0 });
  });

  test("a user created by `admin user upsert` with the variable set starts with 5 credits", async () => {
    const args = [
      "admin",
      "user",
      "upsert",
      "--email",
      "cli-new@example.com",
      "--password",
      PASSWORD,
      "--data-dir",
      f.dataDir,
    ];
    const env = { AIGNE_HUB_SIGNUP_CREDITS: "5" };
    expect((await runBinary(args, { cwd: f.hub.dir, env })).code).toBe(0);
    expect((await runBinary(args, { cwd: f.hub.dir, env })).code).toBe(0);
    const user = await f.hub.deps.accounts.requireUserByEmail("cli-new@example.com");
    expect(await f.account(user.id)).toMatchObject({ balance: 5_000_000, grantCount: 1 });
  });
});

describe("without AIGNE_HUB_SIGNUP_CREDITS", () => {
  let f: CreditsFixture;

  beforeAll(async () => {
    f = await startCreditsHub();
  });
  afterAll(() => f.stop());

  test("a new user starts with nothing and no ledger entry", async () => {
    const { user } = await f.hub.deps.accounts.upsertUser({ email: "plain@example.com", password: PASSWORD });
    expect(await f.account(user.id)).toMatchObject({ balance: 0, granted: 0, grantCount: 0 });
    expect(await f.entries(user.id)).toEqual([]);
  });
});
