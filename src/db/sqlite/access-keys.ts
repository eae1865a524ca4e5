/** @module SQLite implementation of AccessKeyStore: the CLI login's access-key sessions, keyed by id hash. */
import { and, asc, count, eq, gt, isNotNull, isNull, lt, lte, sql } from "drizzle-orm";
import type { AccessKeySession, AccessKeyStore } from "../stores";
import type { SqliteDb } from "./client";
import { mapConstraint } from "./errors";
import { accessKeySessions } from "./schema";

type Row = typeof accessKeySessions.$inferSelect;

const toSession = (row: Row): AccessKeySession => ({ ...row });

/** The stored expiry or `at`, whichever is sooner: an expiry only ever moves in. */
const earlierExpiry = (at: number) => sql`min(${accessKeySessions.expiresAt}, ${at})`;

/** Builds the AccessKeyStore over a drizzle handle. */
export function createSqliteAccessKeyStore(db: SqliteDb): AccessKeyStore {
  return {
    async create({ session, windowMs, maxPerWindow, maxPending }) {
      const at = session.createdAt;
      return db.transaction(
        (tx) => {
          // Expired rows stay one window longer so that ending sessions quickly cannot reset the creation limit.
          tx.delete(accessKeySessions)
            .where(lt(accessKeySessions.expiresAt, at - windowMs))
            .run();
          tx.update(accessKeySessions)
            .set({ accessKeySecret: null })
            .where(and(lte(accessKeySessions.expiresAt, at), isNotNull(accessKeySessions.accessKeySecret)))
            .run();
          const byCreator = eq(accessKeySessions.creatorIp, session.creatorIp);
          const recent = tx
            .select({ createdAt: accessKeySessions.createdAt })
            .from(accessKeySessions)
            .where(and(byCreator, gt(accessKeySessions.createdAt, at - windowMs)))
            .orderBy(asc(accessKeySessions.createdAt))
            .all();
          if (recent.length >= maxPerWindow) {
            return { created: false as const, retryAt: recent[recent.length - maxPerWindow]!.createdAt + windowMs };
          }
          const live = and(byCreator, eq(accessKeySessions.status, "pending"), gt(accessKeySessions.expiresAt, at));
          const [pending] = tx.select({ n: count() }).from(accessKeySessions).where(live).all();
          if ((pending?.n ?? 0) >= maxPending) {
            const first = tx
              .select({ expiresAt: accessKeySessions.expiresAt })
              .from(accessKeySessions)
              .where(live)
              .orderBy(asc(accessKeySessions.expiresAt))
              .get();
            return { created: false as const, retryAt: first?.expiresAt ?? at + windowMs };
          }
          mapConstraint(
            () => tx.insert(accessKeySessions).values(session).run(),
            "could not store the access-key session (duplicate id)",
          );
          return { created: true as const };
        },
        { behavior: "immediate" },
      );
    },

    async find(id) {
      const row = db.select().from(accessKeySessions).where(eq(accessKeySessions.id, id)).get();
      return row ? toSession(row) : null;
    },

    async decide(input) {
      const approved = input.status === "approved";
      const row = db
        .update(accessKeySessions)
        .set({
          status: input.status,
          userId: input.userId,
          source: input.source,
          appName: input.appName,
          decidedAt: input.at,
          ...(approved
            ? {
                keyId: input.keyId,
                accessKeyId: input.accessKeyId,
                accessKeySecret: input.accessKeySecret,
                expiresAt: input.expiresAt,
              }
            : {}),
        })
        .where(
          and(
            eq(accessKeySessions.id, input.id),
            eq(accessKeySessions.status, "pending"),
            gt(accessKeySessions.expiresAt, input.at),
          ),
        )
        .returning()
        .get();
      return row ? toSession(row) : null;
    },

    async markServed({ id, at, expiresAt }) {
      const row = db
        .update(accessKeySessions)
        .set({ firstServedAt: at, expiresAt: earlierExpiry(expiresAt) })
        .where(
          and(
            eq(accessKeySessions.id, id),
            eq(accessKeySessions.status, "approved"),
            isNull(accessKeySessions.firstServedAt),
          ),
        )
        .returning()
        .get();
      return row ? toSession(row) : null;
    },

    async end(id, at) {
      db.update(accessKeySessions)
        .set({ accessKeySecret: null, expiresAt: earlierExpiry(at) })
        .where(eq(accessKeySessions.id, id))
        .run();
    },
  };
}
