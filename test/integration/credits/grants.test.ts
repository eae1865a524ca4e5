/** @module Grants and redeem codes: applied once per idempotency key or code, and bad input changes nothing. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBinary } from "../../support/binary";
import { type CreditsFixture, startCreditsHub, total } from "./helpers";

let f: CreditsFixture;

beforeAll(async () => {
  f = await startCreditsHub();
}, 60_000);
afterAll(() => f.stop());

/** Runs an admin command of the binary on the in-process hub's data dir. */
function admin(...args: string[]) {
  return runBinary(["admin", ...args, "--data-dir", f.dataDir], { cwd: f.hub.dir });
}

/** POSTs to an admin route with the admin key. */
function asAdmin(path: string, body: unknown, headers: Record<string, string> = {}) {
  return f.request("POST", path, { body, key: f.adminKey, headers });
}

/** What a write must leave alone: the account and the number of ledger entries. */
async function snapshot(userId = f.userId) {
  return { account: await f.account(userId), entries: (await f.entries(userId)).length };
}

describe("admin credits grant", () => {
  test("run twice with the same --idempotency-key, it credits once and says so the second time", async () => {
    const { userId } = await f.addUser("cli-grant@example.com");
    const args = [
      "credits",
      "grant",
      "--email",
      "cli-grant@example.com",
      "--amount",
      "2.5",
      "--idempotency-key",
      "welcome-cli",
    ];
    const first = await admin(...args);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ applied: true, balance: "2.5", total: "2.5", grantCount: 1 });
    const second = await admin(...args);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: false, balance: "2.5", total: "2.5", grantCount: 1 });
    expect(await f.account(userId)).toMatchObject({ balance: 2_500_000, granted: 2_500_000, grantCount: 1 });
    const grants = (await f.entries(userId)).filter((e) => e.kind === "grant");
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({ amount: 2_500_000, idempotencyKey: "welcome-cli" });
  });

  test("a bad amount exits 2 with a one-line reason and writes nothing", async () => {
    await f.hub.deps.credits.grant({ userId: f.userId, amount: "3" });
    const before = await snapshot();
    for (const amount of ["abc", "1.0000001", "0", "1e3", "-0", ""]) {
      const result = await admin("credits", "grant", "--email", f.email, `--amount=${amount}`);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")[0]).toContain("amount");
    }
    expect(await snapshot()).toEqual(before);
  });

  test("an unknown email fails with exit 1 and writes nothing", async () => {
    const before = await snapshot();
    const result = await admin("credits", "grant", "--email", "nobody@example.com", "--amount", "1");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nobody@example.com");
    expect(await snapshot()).toEqual(before);
  });
});

describe("POST /api/admin/credits/grant", () => {
  test("sent twice with the same Idempotency-Key header, it credits once and returns the first entry again", async () => {
    const { userId } = await f.addUser("rest-grant@example.com");
    const body = { email: "rest-grant@example.com", amount: "4.000001", note: "invoice 17" };
    const first = await asAdmin("/api/admin/credits/grant", body, { "idempotency-key": "invoice-17" });
    expect(first.status).toBe(200);
    const applied = await first.json();
    expect(applied).toMatchObject({
      applied: true,
      entry: { kind: "grant", amount: "4.000001", delta: "4.000001", balanceAfter: "4.000001", note: "invoice 17" },
      account: { balance: "4.000001", total: "4.000001", grantCount: 1 },
    });
    const second = await asAdmin("/api/admin/credits/grant", body, { "idempotency-key": "invoice-17" });
    expect(second.status).toBe(200);
    const repeated = await second.json();
    expect(repeated).toMatchObject({ applied: false, account: { balance: "4.000001" } });
    expect(repeated.entry.id).toBe(applied.entry.id);
    expect(await f.account(userId)).toMatchObject({ balance: 4_000_001, grantCount: 1 });
    expect(await f.hub.deps.stores.ledger.ledgerBalance(userId)).toBe(4_000_001);
  });

  test("without an Idempotency-Key the same body is two grants", async () => {
    const { userId } = await f.addUser("twice@example.com");
    for (let i = 0; i < 2; i++) {
      expect((await asAdmin("/api/admin/credits/grant", { email: "twice@example.com", amount: "1" })).status).toBe(200);
    }
    expect(await f.account(userId)).toMatchObject({ balance: 2_000_000, grantCount: 2 });
  });

  test("a bad amount or idempotency key answers 400 and leaves the ledger unchanged", async () => {
    const before = await snapshot();
    for (const amount of ["abc", "1.0000001", "0", "", "1,5", "0x10"]) {
      const response = await asAdmin("/api/admin/credits/grant", { email: f.email, amount });
      expect(response.status).toBe(400);
      expect((await response.json()).error.type).toBe("invalid_request");
    }
    const badKey = await asAdmin(
      "/api/admin/credits/grant",
      { email: f.email, amount: "1" },
      { "idempotency-key": "no spaces" },
    );
    expect(badKey.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  test("a caller without the admin role is refused and nothing is granted", async () => {
    const before = await snapshot();
    const response = await f.request("POST", "/api/admin/credits/grant", { body: { email: f.email, amount: "100" } });
    expect(response.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });
});

describe("a negative grant", () => {
  test("debits at most what is available, so an open hold stays covered and the balance never goes below it", async () => {
    const { userId, keyId } = await f.addUser("debit@example.com");
    await f.hub.deps.credits.grant({ userId, amount: "1" });
    const reservation = await f.hub.deps.credits.reserve({
      userId,
      keyId,
      amount: 300_000n,
      baseUrl: f.hub.url,
    });
    const response = await asAdmin("/api/admin/credits/grant", { email: "debit@example.com", amount: "-5" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      applied: true,
      entry: { kind: "adjustment", delta: "-0.7", amount: "0.7", balanceAfter: "0.3" },
      account: { balance: "0", pendingCredit: "0.3", total: "1" },
    });
    expect(await f.account(userId)).toMatchObject({ balance: 300_000, held: 300_000 });
    // The held call still settles in full.
    expect(
      await f.hub.deps.credits.settle(reservation, 300_000n, { callId: "call-under-debit", keyId, tokens: 0 }),
    ).toBe(300_000n);
    expect(await f.account(userId)).toMatchObject({ balance: 0, held: 0, spent: 300_000 });
    expect(await f.hub.deps.stores.ledger.ledgerBalance(userId)).toBe(0);
  });

  test("with nothing available it debits nothing and is recorded as a zero adjustment, not a grant", async () => {
    const { userId } = await f.addUser("empty@example.com");
    const result = await admin("credits", "grant", "--email", "empty@example.com", "--amount=-2");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ applied: true, balance: "0", total: "0", grantCount: 0 });
    const entries = await f.entries(userId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "adjustment", amount: 0, balanceAfter: 0 });
    expect(await f.account(userId)).toMatchObject({ balance: 0, granted: 0, grantCount: 0 });
  });
  // Fails today: node's parseArgs reads "-2" after --amount as a flag and the command exits 2 (src/shared/args.ts;
  // reported with the fix). `--amount=-2` works meanwhile.
  test("a space-separated negative amount (`--amount -2`) debits like `--amount=-2`", async () => {
    const { userId } = await f.addUser("spaced@example.com");
    await f.hub.deps.credits.grant({ userId, amount: "5" });
    const result = await admin("credits", "grant", "--email", "spaced@example.com", "--amount", "-2");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await f.account(userId)).toMatchObject({ balance: 3_000_000 });
  });
});

describe("redeem codes", () => {
  test("a code from `admin credits codes` is redeemed once; the second use answers 404", async () => {
    const result = await admin("credits", "codes", "--amount", "2", "--count", "2", "--note", "meetup");
    expect(result.code).toBe(0);
    const codes = result.stdout.trim().split("\n");
    expect(codes).toHaveLength(2);
    for (const code of codes) expect(code).toMatch(/^ahr_[\w-]{43}$/);
    const { userId, key } = await f.addUser("redeemer@example.com");

    const first = await f.request("POST", "/api/credits/redeem", { body: { code: codes[0] }, key });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ redeemed: "2", account: { balance: "2", total: "2", grantCount: 1 } });
    const again = await f.request("POST", "/api/credits/redeem", { body: { code: codes[0] }, key });
    expect(again.status).toBe(404);
    expect((await again.json()).error.type).toBe("not_found");
    // Another user cannot use it either; the second code is still good.
    expect((await f.request("POST", "/api/credits/redeem", { body: { code: codes[0] } })).status).toBe(404);
    expect((await f.request("POST", "/api/credits/redeem", { body: { code: codes[1] }, key })).status).toBe(200);
    expect(await f.account(userId)).toMatchObject({ balance: 4_000_000, grantCount: 2 });
    const grants = (await f.entries(userId)).filter((e) => e.kind === "grant");
    expect(grants.map((e) => e.note)).toEqual(["meetup", "meetup"]);
  });

  test("a code from POST /api/admin/redeem-codes is redeemed once", async () => {
    const created = await asAdmin("/api/admin/redeem-codes", { amount: "0.5", note: "support" });
    expect(created.status).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const { codes } = await created.json();
    expect(codes).toHaveLength(1);
    const { userId, key } = await f.addUser("rest-redeem@example.com");
    expect((await f.request("POST", "/api/credits/redeem", { body: { code: codes[0] }, key })).status).toBe(200);
    expect((await f.request("POST", "/api/credits/redeem", { body: { code: codes[0] }, key })).status).toBe(404);
    expect(await f.account(userId)).toMatchObject({ balance: 500_000, grantCount: 1 });
    expect(await f.hub.deps.stores.ledger.ledgerBalance(userId)).toBe(500_000);
  });

  test("two users redeeming one code at the same time: exactly one succeeds", async () => {
    const [code] = await f.hub.deps.credits.createRedeemCodes({ amount: "7" });
    const users = await Promise.all([f.addUser("race-a@example.com"), f.addUser("race-b@example.com")]);
    const responses = await Promise.all(
      users.map((u) => f.request("POST", "/api/credits/redeem", { body: { code }, key: u.key })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([200, 404]);
    const balances = await Promise.all(users.map(async (u) => (await f.account(u.userId)).balance));
    expect(balances.sort((a, b) => a - b)).toEqual([0, 7_000_000]);
  });

  test("an unknown code answers 404, and codes with a bad amount are not created", async () => {
    const before = await snapshot();
    const unknown = await f.request("POST", "/api/credits/redeem", { body: { code: "ahr_not-a-real-code" } });
    expect(unknown.status).toBe(404);
    for (const amount of ["0", "abc", "-1", "0.0000001"]) {
      expect((await asAdmin("/api/admin/redeem-codes", { amount })).status).toBe(400);
    }
    const cli = await admin("credits", "codes", "--amount", "abc");
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe("");
    expect(await snapshot()).toEqual(before);
    const entries = await f.entries();
    expect(total(entries, "grant")).toBe(before.account.granted);
  });
});
