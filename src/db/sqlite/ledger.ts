/** @module SQLite implementation of LedgerStore: balances, holds and the append-only ledger, each write one transaction. */
import type { Database } from "bun:sqlite";
import { and, desc, eq, gte, lt, or, sql, sum } from "drizzle-orm";
import { conflict } from "../../shared/errors";
import type { CreditAccount, CreditHold, HoldSettlement, LedgerEntry, LedgerStore } from "../stores";
import { type Bindings, groupCommit, type SqliteDb } from "./client";
import { instances, ledgerEntries, redeemCodes } from "./schema";

type Statements = ReturnType<typeof ledgerStatements>;

const IMMEDIATE = { behavior: "immediate" } as const;

/**
 * The statements every hold and settlement runs, compiled once per connection (`query` caches them): building and
 * preparing them per call cost more than running them.
 */
function ledgerStatements(sqlite: Database) {
  return {
    account: sqlite.query<CreditAccount, [string]>(
      "SELECT user_id AS userId, balance, held, granted, spent, grant_count AS grantCount FROM credit_accounts WHERE user_id = ?",
    ),
    writeAccount: sqlite.query<never, Bindings<CreditAccount & { at: number }>>(
      `INSERT INTO credit_accounts (user_id, balance, held, granted, spent, grant_count, updated_at)
       VALUES ($userId, $balance, $held, $granted, $spent, $grantCount, $at)
       ON CONFLICT (user_id) DO UPDATE SET balance = excluded.balance, held = excluded.held, granted = excluded.granted,
         spent = excluded.spent, grant_count = excluded.grant_count, updated_at = excluded.updated_at`,
    ),
    append: sqlite.query<never, Bindings<LedgerEntry>>(
      `INSERT INTO ledger_entries (id, user_id, kind, delta, amount, balance_after, reference, key_id, idempotency_key, note, created_at)
       VALUES ($id, $userId, $kind, $delta, $amount, $balanceAfter, $reference, $keyId, $idempotencyKey, $note, $createdAt)`,
    ),
    insertHold: sqlite.query<never, Bindings<CreditHold>>(
      `INSERT INTO credit_holds (id, user_id, key_id, call_id, amount, owner, created_at, expires_at)
       VALUES ($id, $userId, $keyId, $callId, $amount, $owner, $createdAt, $expiresAt)`,
    ),
    // Finding a hold and closing it are one statement: the row goes, what it held comes back.
    takeHold: sqlite.query<CreditHold, [string]>(
      `DELETE FROM credit_holds WHERE id = ?
       RETURNING id, user_id AS userId, key_id AS keyId, call_id AS callId, amount, owner, created_at AS createdAt,
         expires_at AS expiresAt`,
    ),
    keyCaptured: sqlite.query<{ total: number }, [string, number]>(
      "SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries WHERE key_id = ? AND kind = 'capture' AND created_at >= ?",
    ),
    keyHeld: sqlite.query<{ total: number }, [string]>(
      "SELECT coalesce(sum(amount), 0) AS total FROM credit_holds WHERE key_id = ?",
    ),
    openHolds: sqlite.query<CreditHold, []>(
      `SELECT id, user_id AS userId, key_id AS keyId, call_id AS callId, amount, owner, created_at AS createdAt,
         expires_at AS expiresAt
       FROM credit_holds`,
    ),
    // The background worker runs these every tick and the server before it listens; start-up pays for no query building.
    heartbeat: sqlite.query<never, { id: string; host: string; pid: number; at: number }>(
      `INSERT INTO instances (id, host, pid, started_at, heartbeat_at) VALUES ($id, $host, $pid, $at, $at)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    ),
    liveInstances: sqlite.query<{ id: string; host: string; pid: number }, [number]>(
      "SELECT id, host, pid FROM instances WHERE heartbeat_at >= ?",
    ),
  };
}

function emptyAccount(userId: string): CreditAccount {
  return { userId, balance: 0, held: 0, granted: 0, spent: 0, grantCount: 0 };
}

function readAccount(st: Statements, userId: string): CreditAccount {
  return st.account.get(userId) ?? emptyAccount(userId);
}

function writeAccount(st: Statements, account: CreditAccount, at: number): void {
  st.writeAccount.run({ ...account, at });
}

function append(st: Statements, entry: LedgerEntry): LedgerEntry {
  st.append.run(entry);
  return entry;
}

/**
 * The accounts one transaction changes, each read once and written once when the transaction's writes are done: a
 * batch of holds or settlements of one user rewrites its row once instead of once per call.
 */
function createAccountBatch(st: Statements) {
  const read = new Map<string, CreditAccount>();
  const changed = new Map<string, { account: CreditAccount; at: number }>();
  return {
    /** Starts a transaction's batch with nothing read (a rolled-back batch may have left values behind). */
    begin(): void {
      read.clear();
      changed.clear();
    },
    get(userId: string): CreditAccount {
      let account = read.get(userId);
      if (!account) {
        account = readAccount(st, userId);
        read.set(userId, account);
      }
      return account;
    },
    /** Marks an account got from this batch as changed at `at`. */
    changed(account: CreditAccount, at: number): void {
      changed.set(account.userId, { account, at });
    },
    /** Writes the changed accounts; the batch then starts over. */
    end(): void {
      for (const { account, at } of changed.values()) writeAccount(st, account, at);
      read.clear();
      changed.clear();
    },
  };
}

type AccountBatch = ReturnType<typeof createAccountBatch>;

/** What a key captured plus what it holds open since `from`: its spend against a budget. */
function keySpend(st: Statements, keyId: string, from: number): number {
  return st.keyCaptured.get(keyId, from)!.total + st.keyHeld.get(keyId)!.total;
}

/**
 * Closes a hold just taken out of credit_holds: writes its hold entry, the capture (up to what it may take) and the
 * release of the rest. The hold's entry is written now rather than when it was placed, so placing a hold, which a
 * request waits for, rewrites only the account and hold pages.
 */
function closeHold(st: Statements, accounts: AccountBatch, hold: CreditHold, input: Omit<HoldSettlement, "holdId">) {
  const account = accounts.get(hold.userId);
  account.held -= hold.amount;
  // Capture at most the hold plus what is still free, so no other call's reservation is ever spent.
  const free = Math.max(0, account.balance - account.held - hold.amount);
  const captured = Math.max(0, Math.min(input.actual, hold.amount + free));
  const released = Math.max(0, hold.amount - captured);
  const balanceBefore = account.balance;
  account.balance -= captured;
  account.spent += captured;
  accounts.changed(account, input.at);
  const entry = (id: string, kind: "hold" | "capture" | "release", delta: number, amount: number, after: number) =>
    append(st, {
      id,
      userId: hold.userId,
      kind,
      delta,
      amount,
      balanceAfter: after,
      reference: hold.callId,
      keyId: hold.keyId,
      idempotencyKey: null,
      note: null,
      createdAt: input.at,
    });
  entry(input.holdEntryId, "hold", 0, hold.amount, balanceBefore);
  if (captured > 0) entry(input.captureEntryId, "capture", -captured, captured, account.balance);
  if (released > 0) entry(input.releaseEntryId, "release", 0, released, account.balance);
  return { captured, released, balanceAfter: account.balance };
}

/**
 * Settles holds inside the caller's transaction, each account written once for the lot; a hold that is no longer open
 * gives null. LedgerStore.settle runs one alone, releaseStale the holds of stopped processes, and the call store's
 * group commit a batch of them.
 */
export function createHoldSettler(sqlite: Database) {
  const st = ledgerStatements(sqlite);
  const accounts = createAccountBatch(st);
  return function settleOpenHolds(settlements: readonly HoldSettlement[]) {
    accounts.begin();
    const settled = settlements.map((input) => {
      const hold = st.takeHold.get(input.holdId);
      return hold ? closeHold(st, accounts, hold, input) : null;
    });
    accounts.end();
    return settled;
  };
}

/** Builds the LedgerStore over a drizzle handle and its raw connection (for the cached hot-path statements). */
export function createSqliteLedgerStore(db: SqliteDb, sqlite: Database): LedgerStore {
  const st = ledgerStatements(sqlite);
  const settleOpenHolds = createHoldSettler(sqlite);
  const accounts = createAccountBatch(st);

  // Holds placed in the same turn of the event loop share a transaction; each is still checked against the balance.
  const placeHold = groupCommit(
    sqlite,
    (input: Parameters<LedgerStore["placeHold"]>[0]) => {
      const account = accounts.get(input.userId);
      const available = account.balance - account.held;
      if (available < input.amount) return { ok: false as const, reason: "balance" as const, available };
      if (input.keyId && input.budget) {
        const { dailyBudget, monthlyBudget, dayStart, monthStart } = input.budget;
        if (dailyBudget !== null && keySpend(st, input.keyId, dayStart) + input.amount > dailyBudget) {
          return { ok: false as const, reason: "daily_budget" as const, available };
        }
        if (monthlyBudget !== null && keySpend(st, input.keyId, monthStart) + input.amount > monthlyBudget) {
          return { ok: false as const, reason: "monthly_budget" as const, available };
        }
      }
      account.held += input.amount;
      accounts.changed(account, input.at);
      const hold: CreditHold = {
        id: input.id,
        userId: input.userId,
        keyId: input.keyId,
        callId: input.callId,
        amount: input.amount,
        owner: input.owner,
        createdAt: input.at,
        expiresAt: input.expiresAt,
      };
      st.insertHold.run(hold);
      return { ok: true as const, hold };
    },
    0,
    accounts,
  );
  const settle = sqlite.transaction((input: HoldSettlement) => {
    return settleOpenHolds([input])[0]!;
  });
  // Open holds are the calls in flight, few enough to filter here rather than in a statement per list of owners.
  const releaseStale = sqlite.transaction((liveOwners: Set<string>, at: number, newEntryId: () => string) => {
    const stale = st.openHolds.all().filter((hold) => !liveOwners.has(hold.owner) || hold.expiresAt < at);
    settleOpenHolds(
      stale.map((hold) => ({
        holdId: hold.id,
        actual: 0,
        holdEntryId: newEntryId(),
        captureEntryId: newEntryId(),
        releaseEntryId: newEntryId(),
        at,
      })),
    );
    return stale.length;
  });

  return {
    async account(userId) {
      return readAccount(st, userId);
    },

    async placeHold(input) {
      return placeHold(input);
    },

    async settle(input) {
      return settle.immediate(input);
    },

    async releaseStale({ liveOwners, at, newEntryId }) {
      return releaseStale.immediate(new Set(liveOwners), at, newEntryId);
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
          if (existing) return { applied: false, entry: existing, account: readAccount(st, existing.userId) };
        }
        const account = readAccount(st, input.userId);
        const debit = input.amount < 0;
        // A debit never takes more than is available, so balances stay ≥ 0 and open holds stay covered.
        const delta = debit ? -Math.min(-input.amount, Math.max(0, account.balance - account.held)) : input.amount;
        account.balance += delta;
        if (delta > 0) {
          account.granted += delta;
          account.grantCount += 1;
        }
        writeAccount(st, account, input.at);
        const entry = append(st, {
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
        .where(and(eq(ledgerEntries.userId, userId), before === undefined ? undefined : lt(ledgerEntries.id, before)))
        .orderBy(desc(ledgerEntries.id))
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
      st.heartbeat.run(input);
    },

    async liveInstances(since) {
      return st.liveInstances.all(since);
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
        const account = readAccount(st, input.userId);
        account.balance += code.amount;
        account.granted += code.amount;
        account.grantCount += 1;
        writeAccount(st, account, input.at);
        append(st, {
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
