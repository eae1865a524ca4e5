/** @module SQLite implementation of LedgerStore: balances, holds and the append-only ledger, each write one transaction. */
import type { Database } from "bun:sqlite";
import { and, desc, eq, gte, lt, or, sql, sum } from "drizzle-orm";
import { conflict } from "../../shared/errors";
import type { CreditAccount, CreditHold, LedgerEntry, LedgerStore, TrancheWrite } from "../stores";
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
    // A tranche opens with its first growth; later growths add to its row.
    growHold: sqlite.query<never, Bindings<Omit<CreditHold, "kind">>>(
      `INSERT INTO credit_holds (id, user_id, key_id, call_id, amount, kind, owner, created_at, expires_at)
       VALUES ($id, $userId, $keyId, $callId, $amount, 'tranche', $owner, $createdAt, $expiresAt)
       ON CONFLICT (id) DO UPDATE SET amount = credit_holds.amount + excluded.amount`,
    ),
    // Drawing a tranche down and reading what it then holds are one statement.
    drawHold: sqlite.query<{ userId: string; keyId: string | null; amount: number }, [number, string]>(
      "UPDATE credit_holds SET amount = amount - ? WHERE id = ? RETURNING user_id AS userId, key_id AS keyId, amount",
    ),
    // Finding a hold and closing it are one statement: the row goes, what it held comes back.
    takeHold: sqlite.query<CreditHold, [string]>(
      `DELETE FROM credit_holds WHERE id = ?
       RETURNING id, user_id AS userId, key_id AS keyId, call_id AS callId, amount, kind, owner, created_at AS createdAt,
         expires_at AS expiresAt`,
    ),
    keyCaptured: sqlite.query<{ total: number }, [string, number]>(
      "SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries WHERE key_id = ? AND kind = 'capture' AND created_at >= ?",
    ),
    keyHeld: sqlite.query<{ total: number }, [string]>(
      "SELECT coalesce(sum(amount), 0) AS total FROM credit_holds WHERE key_id = ?",
    ),
    openHolds: sqlite.query<CreditHold, []>(
      `SELECT id, user_id AS userId, key_id AS keyId, call_id AS callId, amount, kind, owner, created_at AS createdAt,
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

/** Appends one entry about a hold: its growth, a call's capture from it, or a release. */
function holdEntry(
  st: Statements,
  entry: Pick<LedgerEntry, "id" | "userId" | "kind" | "delta" | "amount" | "balanceAfter" | "reference" | "keyId">,
  at: number,
): void {
  append(st, { ...entry, idempotencyKey: null, note: null, createdAt: at });
}

/**
 * Releases a hold just taken out of credit_holds (a stopped process's, or an expired one). A call hold of an earlier
 * build gets its hold entry now, as those builds wrote it when the hold closed; a tranche wrote one as it grew.
 */
function releaseTaken(st: Statements, accounts: AccountBatch, hold: CreditHold, newEntryId: () => string, at: number) {
  const account = accounts.get(hold.userId);
  account.held -= hold.amount;
  accounts.changed(account, at);
  const about = {
    userId: hold.userId,
    delta: 0,
    amount: hold.amount,
    balanceAfter: account.balance,
    keyId: hold.keyId,
  };
  if (hold.kind === "call") holdEntry(st, { ...about, id: newEntryId(), kind: "hold", reference: hold.callId }, at);
  if (hold.amount > 0) holdEntry(st, { ...about, id: newEntryId(), kind: "release", reference: hold.callId }, at);
}

type Capture = Extract<TrancheWrite, { kind: "capture" }>;

/**
 * Applies tranche writes inside the caller's transaction: a batch's captures from one tranche draw its row down in one
 * statement (before any release of it that follows them), and each account is written once for the lot.
 */
export function createTrancheWriter(sqlite: Database) {
  const st = ledgerStatements(sqlite);
  const accounts = createAccountBatch(st);
  const pending = new Map<string, Capture[]>();

  function capture(write: Capture, covered: boolean): void {
    const account = accounts.get(write.userId);
    if (covered) account.held -= write.amount;
    // A tranche that was released while its call ran (it expired) covers nothing: only what is free is captured.
    const amount = covered ? write.amount : Math.max(0, Math.min(write.amount, account.balance - account.held));
    account.balance -= amount;
    account.spent += amount;
    accounts.changed(account, write.at);
    if (amount === 0) return;
    holdEntry(
      st,
      {
        id: write.entryId,
        userId: write.userId,
        kind: "capture",
        delta: -amount,
        amount,
        balanceAfter: account.balance,
        reference: write.callId,
        keyId: write.keyId,
      },
      write.at,
    );
  }

  function drawDown(trancheId: string): void {
    const captures = pending.get(trancheId);
    if (!captures) return;
    pending.delete(trancheId);
    const total = captures.reduce((n, c) => n + c.amount, 0);
    const covered = Boolean(st.drawHold.get(total, trancheId));
    for (const write of captures) capture(write, covered);
  }

  function release(write: Extract<TrancheWrite, { kind: "release" }>): void {
    drawDown(write.trancheId);
    const hold =
      write.amount === null ? st.takeHold.get(write.trancheId) : st.drawHold.get(write.amount, write.trancheId);
    if (!hold) return;
    const amount = write.amount ?? hold.amount;
    const account = accounts.get(hold.userId);
    account.held -= amount;
    accounts.changed(account, write.at);
    if (amount === 0) return;
    holdEntry(
      st,
      {
        id: write.entryId,
        userId: hold.userId,
        kind: "release",
        delta: 0,
        amount,
        balanceAfter: account.balance,
        reference: write.trancheId,
        keyId: hold.keyId,
      },
      write.at,
    );
  }

  return function applyTrancheWrites(writes: readonly TrancheWrite[]): void {
    accounts.begin();
    pending.clear();
    for (const write of writes) {
      if (write.kind === "release") release(write);
      else {
        const captures = pending.get(write.trancheId);
        if (captures) captures.push(write);
        else pending.set(write.trancheId, [write]);
      }
    }
    for (const trancheId of [...pending.keys()]) drawDown(trancheId);
    accounts.end();
  };
}

/** Builds the LedgerStore over a drizzle handle and its raw connection (for the cached hot-path statements). */
export function createSqliteLedgerStore(db: SqliteDb, sqlite: Database): LedgerStore {
  const st = ledgerStatements(sqlite);
  const accounts = createAccountBatch(st);

  // Growths placed in the same turn of the event loop share a transaction; each is still checked against the balance.
  const growTranche = groupCommit(
    sqlite,
    (input: Parameters<LedgerStore["growTranche"]>[0]) => {
      const account = accounts.get(input.userId);
      const available = account.balance - account.held;
      if (available < input.needed) return { ok: false as const, reason: "balance" as const, available };
      let cover = available;
      if (input.keyId && input.budget) {
        const { dailyBudget, monthlyBudget, dayStart, monthStart } = input.budget;
        const limits = [
          { budget: dailyBudget, from: dayStart, reason: "daily_budget" as const },
          { budget: monthlyBudget, from: monthStart, reason: "monthly_budget" as const },
        ];
        for (const { budget, from, reason } of limits) {
          if (budget === null) continue;
          // What the key captured in the period plus every open hold of it, this tranche's included.
          const left = budget - keySpend(st, input.keyId, from);
          if (left < input.needed) return { ok: false as const, reason, available };
          cover = Math.min(cover, left);
        }
      }
      const granted = Math.max(input.needed, Math.min(input.wanted, cover));
      if (granted === 0) return { ok: true as const, granted };
      account.held += granted;
      accounts.changed(account, input.at);
      st.growHold.run({
        id: input.trancheId,
        userId: input.userId,
        keyId: input.keyId,
        callId: input.trancheId,
        amount: granted,
        owner: input.owner,
        createdAt: input.at,
        expiresAt: input.expiresAt,
      });
      holdEntry(
        st,
        {
          id: input.entryId,
          userId: input.userId,
          kind: "hold",
          delta: 0,
          amount: granted,
          balanceAfter: account.balance,
          reference: input.trancheId,
          keyId: input.keyId,
        },
        input.at,
      );
      return { ok: true as const, granted };
    },
    0,
    accounts,
  );
  // Open holds are few (a tranche per user and process, and calls in flight of earlier builds), so they are filtered
  // here rather than in a statement per list of owners.
  const releaseStale = sqlite.transaction((liveOwners: Set<string>, at: number, newEntryId: () => string) => {
    const stale = st.openHolds.all().filter((hold) => !liveOwners.has(hold.owner) || hold.expiresAt < at);
    accounts.begin();
    for (const open of stale) {
      const hold = st.takeHold.get(open.id);
      if (hold) releaseTaken(st, accounts, hold, newEntryId, at);
    }
    accounts.end();
    return stale.length;
  });

  return {
    async account(userId) {
      return readAccount(st, userId);
    },

    async growTranche(input) {
      return growTranche(input);
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
