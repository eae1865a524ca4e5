/** @module SQLite implementation of KeyStore: hub API keys stored as peppered hashes, behind the `keys` revision. */
import type { Database } from "bun:sqlite";
import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { HubKey, KeyStore, User } from "../stores";
import type { SqliteDb } from "./client";
import { mapConstraint } from "./errors";
import { hubKeys, revisions } from "./schema";

type Tx = Parameters<Parameters<SqliteDb["transaction"]>[0]>[0];
type HubKeyRow = typeof hubKeys.$inferSelect;

const KEYS = "keys";
const IMMEDIATE = { behavior: "immediate" } as const;

/** Bumps the keys revision inside the caller's transaction: key caches drop what they hold when it moves. */
export function bumpKeysRevision(tx: Tx): void {
  tx.insert(revisions)
    .values({ name: KEYS, value: 1 })
    .onConflictDoUpdate({ target: revisions.name, set: { value: sql`${revisions.value} + 1` } })
    .run();
}

function toHubKey(row: Omit<HubKeyRow, "keyHash">): HubKey {
  return {
    id: row.id,
    userId: row.userId,
    hint: row.hint,
    name: row.name,
    source: row.source,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    limits: {
      rpmLimit: row.rpmLimit,
      tpmLimit: row.tpmLimit,
      dailyBudget: row.dailyBudget,
      monthlyBudget: row.monthlyBudget,
    },
  };
}

/** A key joined with its user, as the lookup statement names the columns. */
type ActiveKeyRow = Omit<HubKeyRow, "keyHash"> & {
  did: string;
  email: string;
  userName: string;
  role: User["role"];
  userCreatedAt: number;
  userUpdatedAt: number;
};

// Every authenticated request runs this, so it is one cached statement rather than a query built per call.
const FIND_ACTIVE_KEY = `SELECT k.id, k.user_id AS userId, k.hint, k.name, k.source, k.created_at AS createdAt,
  k.last_used_at AS lastUsedAt, k.expires_at AS expiresAt, k.revoked_at AS revokedAt, k.rpm_limit AS rpmLimit,
  k.tpm_limit AS tpmLimit, k.daily_budget AS dailyBudget, k.monthly_budget AS monthlyBudget, u.did, u.email,
  u.name AS userName, u.role, u.created_at AS userCreatedAt, u.updated_at AS userUpdatedAt
FROM hub_keys k JOIN users u ON u.id = k.user_id
WHERE k.key_hash = $hash AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $at)`;

/** Builds the KeyStore over a drizzle handle and its raw connection (for the cached hot-path statements). */
export function createSqliteKeyStore(db: SqliteDb, sqlite: Database): KeyStore {
  const findActive = sqlite.query<ActiveKeyRow, { hash: string; at: number }>(FIND_ACTIVE_KEY);
  const readRevision = sqlite.query<{ value: number }, [string]>("SELECT value FROM revisions WHERE name = ?");
  return {
    async revision() {
      return readRevision.get(KEYS)?.value ?? 0;
    },

    async createHubKey({ limits, ...input }) {
      const row = mapConstraint(
        () =>
          db.transaction((tx) => {
            const created = tx
              .insert(hubKeys)
              .values({ ...input, ...(limits ?? {}) })
              .returning()
              .get();
            bumpKeysRevision(tx);
            return created;
          }, IMMEDIATE),
        "could not store the key (duplicate id or unknown user)",
      );
      return toHubKey(row);
    },

    async findActiveHubKey(keyHash, at) {
      const row = findActive.get({ hash: keyHash, at });
      if (!row) return null;
      const { did, email, userName, role, userCreatedAt, userUpdatedAt, ...key } = row;
      return {
        key: toHubKey(key),
        user: { id: key.userId, did, email, name: userName, role, createdAt: userCreatedAt, updatedAt: userUpdatedAt },
      };
    },

    async touchHubKey(id, at, minIntervalMs) {
      db.update(hubKeys)
        .set({ lastUsedAt: at })
        .where(and(eq(hubKeys.id, id), or(isNull(hubKeys.lastUsedAt), lt(hubKeys.lastUsedAt, at - minIntervalMs))))
        .run();
    },

    async listHubKeys(userId) {
      return db
        .select()
        .from(hubKeys)
        .where(eq(hubKeys.userId, userId))
        .orderBy(desc(hubKeys.createdAt), desc(hubKeys.id))
        .all()
        .map(toHubKey);
    },

    async keyLimits(id) {
      return (
        db
          .select({
            rpmLimit: hubKeys.rpmLimit,
            tpmLimit: hubKeys.tpmLimit,
            dailyBudget: hubKeys.dailyBudget,
            monthlyBudget: hubKeys.monthlyBudget,
          })
          .from(hubKeys)
          .where(eq(hubKeys.id, id))
          .get() ?? null
      );
    },

    async setKeyLimits({ id, userId, limits }) {
      return db.transaction((tx) => {
        const row = tx
          .update(hubKeys)
          .set(limits)
          .where(and(eq(hubKeys.id, id), userId ? eq(hubKeys.userId, userId) : undefined))
          .returning({
            rpmLimit: hubKeys.rpmLimit,
            tpmLimit: hubKeys.tpmLimit,
            dailyBudget: hubKeys.dailyBudget,
            monthlyBudget: hubKeys.monthlyBudget,
          })
          .get();
        if (row) bumpKeysRevision(tx);
        return row ?? null;
      }, IMMEDIATE);
    },

    async revokeHubKey({ id, userId, at }) {
      return db.transaction((tx) => {
        const row = tx
          .update(hubKeys)
          .set({ revokedAt: at })
          .where(and(eq(hubKeys.id, id), isNull(hubKeys.revokedAt), userId ? eq(hubKeys.userId, userId) : undefined))
          .returning()
          .get();
        if (row) bumpKeysRevision(tx);
        return row ? toHubKey(row) : null;
      }, IMMEDIATE);
    },
  };
}
