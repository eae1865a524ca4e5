/** @module SQLite implementation of LedgerStore: balances, holds and the append-only ledger, each write one transaction. */
import { and, desc, eq, gte, lt, notInArray, or, sql, sum } from "drizzle-orm";
import { conflict } from "../../shared/errors";
import type { CreditAccount, CreditHold, LedgerEntry, LedgerStore } from "../stores";
import type { SqliteDb } from "./client";
import { creditAccounts, creditHolds, instances, ledgerEntries, redeemCodes } from "./schema";

type Tx = Parameters<Parameters<SqliteDb["transaction"]>[0]>[0];

const IMMEDIATE = { behavior: "immediate" } as const;

function emptyAccount(userId: string): CreditAccount {
  return { userId, balance: 0, held: 0, granted: 0, spent: 0, grantCount: 0 };
}

function readAccount(tx: Tx | SqliteDb, userId: string): CreditAccount {
  const row = tx.select().from(creditAccounts).where(eq(creditAccounts.userId, userId)).get();
  if (!row) return emptyAccount(userId);
  const { updatedAt: _, ...account } = row;
  return account;
}

function writeAccount(tx: Tx, account: CreditAccount, at: number): void {
  tx.insert(creditAccounts)
    .values({ ...account, updatedAt: at })
    .onConflictDoUpdate({
      target: creditAccounts.userId,
      set: {
        balance: account.balance,
        held: account.held,
        granted: account.granted,
        spent: account.spent,
        grantCount: account.grantCount,
        updatedAt: at,
      },
    })
    .run();
}

function append(tx: Tx, entry: LedgerEntry): LedgerEntry {
  tx.insert(ledgerEntries).values(entry).run();
  return entry;
}

/** What a key captured plus what it holds open since `from`: its spend against a budget. */
function keySpend(tx: Tx, keyId: string, from: number): number {
  const captured =
    tx
      .select({ total: sum(ledgerEntries.amount) })
      .from(ledgerEntries)
      .where(and(eq(ledgerEntries.keyId, keyId), eq(ledgerEntries.kind, "capture"), gte(ledgerEntries.createdAt, from)))
      .get()?.total ?? 0;
  const held =
    tx
      .select({ total: sum(creditHolds.amount) })
      .from(creditHolds)
      .where(and(eq(creditHolds.keyId, keyId), eq(creditHolds.status, "open")))
      .get()?.total ?? 0;
  return Number(captured) + Number(held);
}

/** Closes one open hold: captures up to what it may and releases the rest. */
function closeHold(
  tx: Tx,
  hold: CreditHold,
  input: { actual: number; captureEntryId: string; releaseEntryId: string; at: number },
) {
  const account = readAccount(tx, hold.userId);
  account.held -= hold.amount;
  // Capture at most the hold plus what is still free, so no other call's reservation is ever spent.
  const free = Math.max(0, account.balance - account.held - hold.amount);
  const captured = Math.max(0, Math.min(input.actual, hold.amount + free));
  const released = Math.max(0, hold.amount - captured);
  account.balance -= captured;
  account.spent += captured;
  writeAccount(tx, account, input.at);
  tx.update(creditHolds)
    .set({ status: captured > 0 ? "settled" : "released", captured, closedAt: input.at })
    .where(eq(creditHolds.id, hold.id))
    .run();
  if (captured > 0) {
    append(tx, {
      id: input.captureEntryId,
      userId: hold.userId,
      kind: "capture",
      delta: -captured,
      amount: captured,
      balanceAfter: account.balance,
      reference: hold.callId,
      keyId: hold.keyId,
      idempotencyKey: null,
      note: null,
      createdAt: input.at,
    });
  }
  if (released > 0) {
    append(tx, {
      id: input.releaseEntryId,
      userId: hold.userId,
      kind: "release",
      delta: 0,
      amount: released,
      balanceAfter: account.balance,
      reference: hold.callId,
      keyId: hold.keyId,
      idempotencyKey: null,
      note: null,
      createdAt: input.at,
    });
  }
  return { captured, released, balanceAfter: account.balance };
}

/** Builds the LedgerStore over a drizzle handle. */
export function createSqliteLedgerStore(db: SqliteDb): LedgerStore {
  return {
    async account(userId) {
      return readAccount(db, userId);
    },

    async placeHold(input) {
      return db.transaction((tx) => {
        const account = readAccount(tx, input.userId);
        const available = account.balance - account.held;
        if (available < input.amount) return { ok: false as const, reason: "balance" as const, available };
        if (input.keyId && input.budget) {
          const { dailyBudget, monthlyBudget, dayStart, monthStart } = input.budget;
          if (dailyBudget !== null && keySpend(tx, input.keyId, dayStart) + input.amount > dailyBudget) {
            return { ok: false as const, reason: "daily_budget" as const, available };
          }
          if (monthlyBudget !== null && keySpend(tx, input.keyId, monthStart) + input.amount > monthlyBudget) {
            return { ok: false as const, reason: "monthly_budget" as const, available };
          }
        }
        account.held += input.amount;
        writeAccount(tx, account, input.at);
        const hold: CreditHold = {
          id: input.id,
          userId: input.userId,
          keyId: input.keyId,
          callId: input.callId,
          amount: input.amount,
          status: "open",
          captured: 0,
          owner: input.owner,
          createdAt: input.at,
          expiresAt: input.expiresAt,
        };
        tx.insert(creditHolds).values(hold).run();
        append(tx, {
          id: input.entryId,
          userId: input.userId,
          kind: "hold",
          delta: 0,
          amount: input.amount,
          balanceAfter: account.balance,
          reference: input.callId,
          keyId: input.keyId,
          idempotencyKey: null,
          note: null,
          createdAt: input.at,
        });
        return { ok: true as const, hold };
      }, IMMEDIATE);
    },

    async settle(input) {
      return db.transaction((tx) => {
        const hold = tx
          .select()
          .from(creditHolds)
          .where(and(eq(creditHolds.id, input.holdId), eq(creditHolds.status, "open")))
          .get();
        if (!hold) return null;
        const { closedAt: _, ...open } = hold;
        return closeHold(tx, open, input);
      }, IMMEDIATE);
    },

    async releaseStale({ liveOwners, at, newEntryId }) {
      return db.transaction((tx) => {
        const stale = tx
          .select()
          .from(creditHolds)
          .where(
            and(
              eq(creditHolds.status, "open"),
              or(notInArray(creditHolds.owner, liveOwners.length ? liveOwners : [""]), lt(creditHolds.expiresAt, at)),
            ),
          )
          .all();
        for (const { closedAt: _, ...hold } of stale) {
          closeHold(tx, hold, { actual: 0, captureEntryId: newEntryId(), releaseEntryId: newEntryId(), at });
        }
        return stale.length;
      }, IMMEDIATE);
    },

    async grant(input) {
      return db.transaction((tx) => {
        if (input.idempotencyKey) {
          const existing = tx
            .select()
            .from(ledgerEntries)
            .where(eq(ledgerEntries.idempotencyKey, input.idempotencyKey))
            .get();
          if (existing && existing.userId !== input.userId)
            throw conflict("that idempotency key was used for another user");
          if (existing) return { applied: false, entry: existing, account: readAccount(tx, existing.userId) };
        }
        const account = readAccount(tx, input.userId);
        const debit = input.amount < 0;
        // A debit never takes more than is available, so balances stay ≥ 0 and open holds stay covered.
        const delta = debit ? -Math.min(-input.amount, Math.max(0, account.balance - account.held)) : input.amount;
        account.balance += delta;
        if (delta > 0) {
          account.granted += delta;
          account.grantCount += 1;
        }
        writeAccount(tx, account, input.at);
        const entry = append(tx, {
          id: input.entryId,
          userId: input.userId,
          // A debit stays an adjustment even when nothing was available to take.
          kind: debit ? "adjustment" : "grant",
          delta,
          amount: Math.abs(delta),
          balanceAfter: account.balance,
          reference: input.reference,
          keyId: null,
          idempotencyKey: input.idempotencyKey,
          note: input.note,
          createdAt: input.at,
        });
        return { applied: true, entry, account };
      }, IMMEDIATE);
    },

    async entries(userId, limit, before) {
      return db
        .select()
        .from(ledgerEntries)
        .where(
          and(eq(ledgerEntries.userId, userId), before === undefined ? undefined : lt(ledgerEntries.createdAt, before)),
        )
        .orderBy(desc(ledgerEntries.createdAt), desc(ledgerEntries.id))
        .limit(limit)
        .all();
    },

    async ledgerBalance(userId) {
      const row = db
        .select({ total: sum(ledgerEntries.delta) })
        .from(ledgerEntries)
        .where(eq(ledgerEntries.userId, userId))
        .get();
      return Number(row?.total ?? 0);
    },

    async heartbeat(input) {
      db.insert(instances)
        .values({ id: input.id, host: input.host, pid: input.pid, startedAt: input.at, heartbeatAt: input.at })
        .onConflictDoUpdate({ target: instances.id, set: { heartbeatAt: input.at } })
        .run();
    },

    async liveInstances(since) {
      return db
        .select({ id: instances.id, host: instances.host, pid: instances.pid })
        .from(instances)
        .where(gte(instances.heartbeatAt, since))
        .all();
    },

    async forgetInstance(id) {
      db.delete(instances).where(eq(instances.id, id)).run();
    },

    async createRedeemCodes(codes) {
      if (!codes.length) return;
      db.transaction((tx) => {
        for (const code of codes) {
          tx.insert(redeemCodes)
            .values({
              id: code.id,
              codeHash: code.codeHash,
              hint: code.hint,
              amount: code.amount,
              note: code.note,
              createdBy: code.createdBy,
              createdAt: code.at,
              expiresAt: code.expiresAt,
            })
            .run();
        }
      }, IMMEDIATE);
    },

    async redeem(input) {
      return db.transaction((tx) => {
        const code = tx
          .update(redeemCodes)
          .set({ redeemedBy: input.userId, redeemedAt: input.at })
          .where(
            and(
              eq(redeemCodes.codeHash, input.codeHash),
              sql`${redeemCodes.redeemedAt} IS NULL`,
              or(sql`${redeemCodes.expiresAt} IS NULL`, gte(redeemCodes.expiresAt, input.at)),
            ),
          )
          .returning()
          .get();
        if (!code) return null;
        const account = readAccount(tx, input.userId);
        account.balance += code.amount;
        account.granted += code.amount;
        account.grantCount += 1;
        writeAccount(tx, account, input.at);
        append(tx, {
          id: input.entryId,
          userId: input.userId,
          kind: "grant",
          delta: code.amount,
          amount: code.amount,
          balanceAfter: account.balance,
          reference: `redeem:${code.id}`,
          keyId: null,
          idempotencyKey: `redeem:${code.id}`,
          note: code.note,
          createdAt: input.at,
        });
        return { amount: code.amount, account };
      }, IMMEDIATE);
    },
  };
}
