/** @module SQLite implementation of KeyStore: hub API keys stored as peppered hashes. */
import { and, desc, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { HubKey, KeyStore } from "../stores";
import { toUser } from "./accounts";
import type { SqliteDb } from "./client";
import { mapConstraint } from "./errors";
import { hubKeys, users } from "./schema";

type HubKeyRow = typeof hubKeys.$inferSelect;

function toHubKey(row: HubKeyRow): HubKey {
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

/** Builds the KeyStore over a drizzle handle. */
export function createSqliteKeyStore(db: SqliteDb): KeyStore {
  return {
    async createHubKey({ limits, ...input }) {
      const row = mapConstraint(
        () =>
          db
            .insert(hubKeys)
            .values({ ...input, ...(limits ?? {}) })
            .returning()
            .get(),
        "could not store the key (duplicate id or unknown user)",
      );
      return toHubKey(row);
    },

    async findActiveHubKey(keyHash, at) {
      const row = db
        .select()
        .from(hubKeys)
        .innerJoin(users, eq(users.id, hubKeys.userId))
        .where(
          and(
            eq(hubKeys.keyHash, keyHash),
            isNull(hubKeys.revokedAt),
            or(isNull(hubKeys.expiresAt), gt(hubKeys.expiresAt, at)),
          ),
        )
        .get();
      return row ? { key: toHubKey(row.hub_keys), user: toUser(row.users) } : null;
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
      const row = db
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
      return row ?? null;
    },

    async revokeHubKey({ id, userId, at }) {
      const row = db
        .update(hubKeys)
        .set({ revokedAt: at })
        .where(and(eq(hubKeys.id, id), isNull(hubKeys.revokedAt), userId ? eq(hubKeys.userId, userId) : undefined))
        .returning()
        .get();
      return row ? toHubKey(row) : null;
    },
  };
}
