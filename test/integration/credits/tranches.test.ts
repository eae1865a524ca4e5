/**
 * @module Credit tranches on the real SQLite stores, with a clock the tests move: growth only when short (exact at
 * first, doubling under load, capped), exact refusals that write nothing, overage captures, idle release and ageing
 * out, budgets counted across processes, and what a crash or an expiry leaves.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { openStores } from "../../../src/db/open";
import type { LedgerEntry, Stores, TrancheWrite } from "../../../src/db/stores";
import { createCreditTranches } from "../../../src/server/services/credit-tranches";
import { monotonicUlids } from "../../../src/shared/ids";
import { type TempDir, tempDir } from "../../support/temp-dir";

const T0 = 1_800_000_000_000;
const WORST = 100;

let dir: TempDir;
let stores: Stores;
let clock: number;
let userId: string;
const newId = monotonicUlids();

/** One serving process's tranches, whose writes are committed when `commit` is called, as the group commit does. */
function servingProcess(owner: string) {
  let writes: TrancheWrite[] = [];
  const tranches = createCreditTranches({
    stores,
    owner,
    newId,
    now: () => clock,
    holdTtlMs: 30 * 60_000,
    queue: (write) => writes.push(write),
  });
  return {
    tranches,
    async commit() {
      const batch = { tranches: writes, records: [], contents: [] };
      writes = [];
      await stores.calls.commit(batch);
    },
    queued: () => writes.length,
  };
}

async function grant(amount: number, to = userId) {
  await stores.ledger.grant({
    entryId: newId(),
    userId: to,
    amount,
    note: null,
    reference: null,
    idempotencyKey: null,
    at: clock,
  });
}

async function reserve(
  p: ReturnType<typeof servingProcess>,
  amount = WORST,
  keyId: string | null = null,
  budget?: number,
) {
  return p.tranches.reserve({
    userId,
    keyId,
    amount,
    lenient: false,
    budget:
      budget === undefined
        ? undefined
        : { dailyBudget: budget, monthlyBudget: null, dayStart: T0 - 1, monthStart: T0 - 1 },
  });
}

function reserved(result: Awaited<ReturnType<typeof reserve>>) {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.reservation;
}

const entries = async (kind?: LedgerEntry["kind"]) =>
  (await stores.ledger.entries(userId, 10_000)).reverse().filter((e) => kind === undefined || e.kind === kind);
const holdRows = (): Promise<number> => stores.ledger.account(userId).then((a) => a.held);

beforeEach(async () => {
  dir = tempDir();
  stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
  clock = T0;
  const { user } = await stores.accounts.upsertUser({
    newId: newId(),
    newDid: `z${newId()}`,
    email: "t@example.com",
    at: T0,
  });
  userId = user.id;
});
afterEach(async () => {
  await stores.close();
  dir.remove();
});

describe("growth", () => {
  test("the first call holds exactly its worst case; calls that keep coming double the growth, within 64 calls' worth", async () => {
    await grant(1_000_000);
    const p = servingProcess("p1");
    const growths: number[] = [];
    for (let call = 0; call < 400; call++) {
      const reservation = reserved(await reserve(p));
      // Each call costs all it reserved, so the tranche runs short and grows again and again.
      expect(await p.tranches.settle(reservation, WORST, { callId: `c${call}`, keyId: null })).toBe(WORST);
      clock += 1;
    }
    await p.commit();
    for (const hold of await entries("hold")) growths.push(hold.amount);
    expect(growths.slice(0, 8)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 6400]);
    expect(growths.reduce((n, g) => n + g, 0)).toBeGreaterThanOrEqual(400 * WORST);
    expect(growths.length).toBeLessThan(15);
    const account = await stores.ledger.account(userId);
    expect(account.balance).toBe(1_000_000 - 400 * WORST);
    expect(await stores.ledger.ledgerBalance(userId)).toBe(account.balance);
  });

  test("a call its tranche covers waits for no write: reserving it leaves the database as it was", async () => {
    await grant(1_000_000);
    const p = servingProcess("p1");
    const first = reserved(await reserve(p));
    await p.tranches.settle(first, 10, { callId: "c1", keyId: null });
    await p.commit();
    const before = await entries();
    // 90 of the first growth are free: the next call reserves them without a write.
    const second = reserved(await reserve(p, 90));
    expect(await entries()).toEqual(before);
    expect(second.trancheId).toBe(first.trancheId);
  });

  test("calls that wait together get one growth for all of them, and the balance still bounds it", async () => {
    await grant(1_000);
    const p = servingProcess("p1");
    const results = await Promise.all(Array.from({ length: 25 }, () => reserve(p)));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === "balance")).toBe(true);
    const holds = await entries("hold");
    // The first call grows alone (exactly its worst case); the 24 that waited meet the balance in one growth.
    expect(holds.map((h) => h.amount)).toEqual([100, 900]);
    expect(await holdRows()).toBe(1_000);
  });

  test("a refused call writes nothing and an accepted one never takes what another process holds", async () => {
    await grant(250);
    const a = servingProcess("pa");
    const b = servingProcess("pb");
    reserved(await reserve(a, 200));
    const before = await entries();
    const refused = await reserve(b, 100);
    expect(refused).toEqual({ ok: false, reason: "balance" });
    expect(await entries()).toEqual(before);
    reserved(await reserve(b, 50));
    expect(await holdRows()).toBe(250);
  });
});

describe("settlement", () => {
  test("a cost beyond the reservation is taken from what is free, and capped at it", async () => {
    await grant(300);
    const p = servingProcess("p1");
    const first = reserved(await reserve(p));
    expect(await p.tranches.settle(first, 250, { callId: "over", keyId: "k1" })).toBe(250);
    const second = reserved(await reserve(p, 50));
    expect(await p.tranches.settle(second, 80, { callId: "capped", keyId: "k1" })).toBe(50);
    await p.commit();
    const captures = await entries("capture");
    expect(captures.map((c) => [c.reference, c.amount, c.keyId])).toEqual([
      ["over", 250, "k1"],
      ["capped", 50, "k1"],
    ]);
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 0, held: 0, spent: 300 });
  });

  test("the reservation's rest goes back to the tranche for the next call, not to the balance", async () => {
    await grant(1_000);
    const p = servingProcess("p1");
    const first = reserved(await reserve(p));
    await p.tranches.settle(first, 30, { callId: "c1", keyId: null });
    expect(p.tranches.unreserved(userId)).toBe(70);
    await p.commit();
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 970, held: 70 });
  });
});

describe("release", () => {
  test("a tranche idle for 2 s is released by the sweep, with one release entry; a busy one is kept", async () => {
    await grant(1_000);
    const p = servingProcess("p1");
    const idle = reserved(await reserve(p));
    await p.tranches.settle(idle, 40, { callId: "c1", keyId: null });
    clock += 1_999;
    p.tranches.sweep();
    expect(p.queued()).toBe(1);
    clock += 1;
    p.tranches.sweep();
    await p.commit();
    expect((await entries()).map((e) => [e.kind, e.amount])).toEqual([
      ["grant", 1_000],
      ["hold", 100],
      ["capture", 40],
      ["release", 60],
    ]);
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 960, held: 0 });

    const busy = reserved(await reserve(p));
    clock += 10_000;
    p.tranches.sweep();
    await p.commit();
    expect(await holdRows()).toBe(100);
    await p.tranches.settle(busy, 0, { callId: "c2", keyId: null });
    clock += 2_000;
    p.tranches.sweep();
    await p.commit();
    expect(await holdRows()).toBe(0);
  });

  test("after 60 s new calls get a fresh tranche; the old one closes when its last call settles", async () => {
    await grant(1_000);
    const p = servingProcess("p1");
    const old = reserved(await reserve(p));
    clock += 60_000;
    const fresh = reserved(await reserve(p));
    expect(fresh.trancheId).not.toBe(old.trancheId);
    await p.tranches.settle(old, 10, { callId: "old", keyId: null });
    await p.commit();
    const released = (await entries("release")).map((e) => [e.reference, e.amount]);
    expect(released).toEqual([[old.trancheId, 90]]);
    expect(await holdRows()).toBe(100);
  });

  test("releasing what is unreserved leaves exactly the calls in flight held", async () => {
    await grant(100_000);
    const p = servingProcess("p1");
    const calls = [];
    for (let call = 0; call < 5; call++) calls.push(reserved(await reserve(p)));
    expect(await holdRows()).toBeGreaterThan(500);
    p.tranches.releaseUnreserved();
    await p.commit();
    expect(await holdRows()).toBe(500);
    for (const [index, call] of calls.entries()) await p.tranches.settle(call, 1, { callId: `c${index}`, keyId: null });
    p.tranches.releaseUnreserved();
    await p.commit();
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 99_995, held: 0 });
    expect(await stores.ledger.ledgerBalance(userId)).toBe(99_995);
  });

  test("a stopped process's tranche is released at the next reconcile, with a release entry and no second hold entry", async () => {
    await grant(1_000);
    const p = servingProcess("crashed");
    const call = reserved(await reserve(p, 300));
    await p.tranches.settle(call, 100, { callId: "settled", keyId: null });
    await p.commit();
    reserved(await reserve(p, 300));
    // The process dies here: its second call's reservation and the tranche's rest are still held.
    const held = await holdRows();
    expect(held).toBeGreaterThanOrEqual(300);
    expect(await stores.ledger.releaseStale({ liveOwners: ["other"], at: clock, newEntryId: newId })).toBe(1);
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 900, held: 0 });
    const kinds = (await entries()).map((e) => e.kind);
    expect(kinds.filter((k) => k === "release")).toHaveLength(1);
    expect((await entries("release"))[0]!.amount).toBe(held);
    expect(await stores.ledger.ledgerBalance(userId)).toBe(900);
  });

  test("a capture from a tranche released while its call ran takes only what is free", async () => {
    await grant(150);
    const p = servingProcess("p1");
    const call = reserved(await reserve(p));
    // The hold expired and was released (a call longer than the hold's lifetime); someone else then took 100.
    await stores.ledger.releaseStale({ liveOwners: [], at: clock, newEntryId: newId });
    reserved(await reserve(servingProcess("p2"), 100));
    await p.tranches.settle(call, 80, { callId: "late", keyId: null });
    await p.commit();
    expect((await entries("capture")).map((c) => c.amount)).toEqual([50]);
    expect(await stores.ledger.account(userId)).toMatchObject({ balance: 100, held: 100 });
  });
});

describe("key budgets", () => {
  test("a budgeted key's tranche counts against its budget across processes, so two processes together stay within it", async () => {
    await grant(1_000_000);
    const a = servingProcess("pa");
    const b = servingProcess("pb");
    const results = [];
    // Budget 1000: each process's tranche hold counts for the key, whichever process placed it.
    for (let call = 0; call < 28; call++) results.push(await reserve(call % 2 ? b : a, WORST, "k-budget", 1_000));
    const admitted = results.filter((r) => r.ok).length;
    expect(admitted).toBe(10);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === "daily_budget")).toBe(true);
    expect(await holdRows()).toBe(1_000);
  });

  test("captures of the key count too: settled calls free no budget", async () => {
    await grant(1_000_000);
    const p = servingProcess("p1");
    for (let call = 0; call < 5; call++) {
      const reservation = reserved(await reserve(p, WORST, "k-budget", 500));
      await p.tranches.settle(reservation, WORST, { callId: `c${call}`, keyId: "k-budget" });
      await p.commit();
    }
    expect(await reserve(p, WORST, "k-budget", 500)).toEqual({ ok: false, reason: "daily_budget" });
  });
});
