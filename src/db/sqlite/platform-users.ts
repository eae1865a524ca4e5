/** @module SQLite implementation of PlatformUserStore: platform users, user keys with rotation grace, gate counters. */
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { PlatformKey, PlatformUserStore } from "../platform-stores";
import type { SqliteDb } from "./client";
import { audit, IMMEDIATE, type Tx, toKey } from "./platform-common";
import { type agentApiKeys, agents, ownerContributions, platformUserKeys, platformUsers } from "./platform-schema";

type KeyTable = typeof platformUserKeys | typeof agentApiKeys;

/** A key is live while it is not revoked and neither its grace period nor its expiry has passed. */
export function liveKeyWhere(table: KeyTable, at: number) {
  return and(
    isNull(table.revokedAt),
    or(isNull(table.revokeAfter), gt(table.revokeAfter, at)),
    or(isNull(table.expiresAt), gt(table.expiresAt, at)),
  );
}

/** Sets a key's last-used time unless it was set within `minIntervalMs`. */
export function touchKey(db: SqliteDb, table: KeyTable, id: string, at: number, minIntervalMs: number): void {
  db.update(table)
    .set({ lastUsedAt: at })
    .where(and(eq(table.id, id), or(isNull(table.lastUsedAt), lt(table.lastUsedAt, at - minIntervalMs))))
    .run();
}

/**
 * Ends the owner's other live keys at `revokeAt`: at once (revoked_at) when that is now, else by setting the end of
 * their grace period (revoke_after), so a running client can switch keys without downtime.
 */
export function retireKeys(tx: Tx, table: KeyTable, ownerMatches: ReturnType<typeof eq>, revokeAt: number, at: number) {
  const live = and(ownerMatches, liveKeyWhere(table, at));
  if (revokeAt <= at) tx.update(table).set({ revokedAt: at }).where(live).run();
  else
    tx.update(table)
      .set({ revokeAfter: revokeAt })
      .where(and(live, or(isNull(table.revokeAfter), gt(table.revokeAfter, revokeAt))))
      .run();
}

/** Builds the PlatformUserStore over a drizzle handle. */
export function createSqlitePlatformUserStore(db: SqliteDb): PlatformUserStore {
  return {
    async createUser({ id, key, registeredIp, at }) {
      return db.transaction((tx) => {
        const user = tx.insert(platformUsers).values({ id, registeredIp, createdAt: at }).returning().get();
        tx.insert(platformUserKeys)
          .values({ id: key.id, userId: id, keyHash: key.hash, keyPrefix: key.prefix, name: key.name, createdAt: at })
          .run();
        audit(tx, { actorType: "user", actorId: id, action: "user_api_key_issued", data: { key_id: key.id }, at });
        return user;
      }, IMMEDIATE);
    },

    async ensureHubUser({ newId, hubAccountId, at }) {
      const found = db.select().from(platformUsers).where(eq(platformUsers.hubAccountId, hubAccountId)).get();
      if (found) return found;
      return db.transaction((tx) => {
        tx.insert(platformUsers)
          .values({ id: newId, hubAccountId, registeredIp: null, createdAt: at })
          .onConflictDoNothing()
          .run();
        return tx.select().from(platformUsers).where(eq(platformUsers.hubAccountId, hubAccountId)).get()!;
      }, IMMEDIATE);
    },

    async findUserByKey(hash, at) {
      const row = db
        .select()
        .from(platformUserKeys)
        .innerJoin(platformUsers, eq(platformUsers.id, platformUserKeys.userId))
        .where(and(eq(platformUserKeys.keyHash, hash), liveKeyWhere(platformUserKeys, at)))
        .get();
      return row ? { user: row.platform_users, key: toKey(row.platform_user_keys) } : null;
    },

    async touchUserKey(id, at, minIntervalMs) {
      touchKey(db, platformUserKeys, id, at, minIntervalMs);
    },

    async listUserKeys(userId) {
      return db
        .select()
        .from(platformUserKeys)
        .where(eq(platformUserKeys.userId, userId))
        .orderBy(desc(platformUserKeys.createdAt), desc(platformUserKeys.id))
        .all()
        .map(toKey);
    },

    async rotateUserKeys({ userId, key, revokeAt, at }): Promise<PlatformKey> {
      return db.transaction((tx) => {
        retireKeys(tx, platformUserKeys, eq(platformUserKeys.userId, userId), revokeAt, at);
        const row = tx
          .insert(platformUserKeys)
          .values({ id: key.id, userId, keyHash: key.hash, keyPrefix: key.prefix, name: key.name, createdAt: at })
          .returning()
          .get();
        audit(tx, {
          actorType: "user",
          actorId: userId,
          action: "user_api_key_rotated",
          data: { key_id: key.id, revoke_at: revokeAt },
          at,
        });
        return toKey(row);
      }, IMMEDIATE);
    },

    async revokeUserKey({ userId, keyId, at }) {
      return db.transaction((tx) => {
        const row = tx
          .update(platformUserKeys)
          .set({ revokedAt: at })
          .where(
            and(
              eq(platformUserKeys.id, keyId),
              eq(platformUserKeys.userId, userId),
              liveKeyWhere(platformUserKeys, at),
            ),
          )
          .returning({ id: platformUserKeys.id })
          .get();
        if (!row) return false;
        audit(tx, { actorType: "user", actorId: userId, action: "user_api_key_revoked", data: { key_id: keyId }, at });
        return true;
      }, IMMEDIATE);
    },

    async publishGate(userId) {
      const owned = db
        .select({
          all: sql<number>`count(*)`,
          enabled: sql<number>`coalesce(sum(case when ${agents.status} = 'enabled' then 1 else 0 end), 0)`,
        })
        .from(agents)
        .where(eq(agents.ownerId, userId))
        .get();
      const counters = db.select().from(ownerContributions).where(eq(ownerContributions.ownerId, userId)).get();
      return {
        agents: owned?.all ?? 0,
        enabledAgents: owned?.enabled ?? 0,
        completed: counters?.completedWorkItems ?? 0,
        qualified: counters?.qualifiedWorkItems ?? 0,
      };
    },
  };
}
