/** @module SQLite implementation of AccountStore: users, web sessions, sign-in throttling. */
import { and, eq, gt, inArray, lt, or, sql } from "drizzle-orm";
import type { AccountStore, User, UserWithPassword } from "../stores";
import type { SqliteDb } from "./client";
import { mapConstraint } from "./errors";
import { bumpKeysRevision } from "./keys";
import { signInThrottle, users, webSessions } from "./schema";

type UserRow = typeof users.$inferSelect;

/** Maps a row to the service-facing user, dropping the password hash. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    did: row.did,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Normalises an email for the unique index: trimmed and lower-cased. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

/** Builds the AccountStore over a drizzle handle. */
export function createSqliteAccountStore(db: SqliteDb): AccountStore {
  return {
    async upsertUser(input) {
      return db.transaction(
        (tx) => {
          const existing = tx
            .select()
            .from(users)
            .where(eq(users.emailNormalized, normaliseEmail(input.email)))
            .get();
          if (existing) {
            const row = tx
              .update(users)
              .set({
                ...(input.name !== undefined ? { name: input.name } : {}),
                ...(input.role !== undefined ? { role: input.role } : {}),
                ...(input.passwordHash !== undefined ? { passwordHash: input.passwordHash } : {}),
                updatedAt: input.at,
              })
              .where(eq(users.id, existing.id))
              .returning()
              .get();
            // Cached key callers carry the user's name and role.
            bumpKeysRevision(tx);
            return { user: toUser(row), created: false };
          }
          const row = mapConstraint(
            () =>
              tx
                .insert(users)
                .values({
                  id: input.newId,
                  did: input.newDid,
                  email: input.email.trim(),
                  emailNormalized: normaliseEmail(input.email),
                  name: input.name ?? input.email.trim().split("@")[0] ?? input.email,
                  role: input.role ?? "user",
                  passwordHash: input.passwordHash ?? null,
                  createdAt: input.at,
                  updatedAt: input.at,
                })
                .returning()
                .get(),
            "a user with that email already exists",
          );
          return { user: toUser(row), created: true };
        },
        { behavior: "immediate" },
      );
    },

    async findUserByEmail(email): Promise<UserWithPassword | null> {
      const row = db
        .select()
        .from(users)
        .where(eq(users.emailNormalized, normaliseEmail(email)))
        .get();
      return row ? { ...toUser(row), passwordHash: row.passwordHash } : null;
    },

    async findUserById(id) {
      const row = db.select().from(users).where(eq(users.id, id)).get();
      return row ? toUser(row) : null;
    },

    async listUsers({ query, limit, offset }) {
      const pattern = query ? `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
      return db
        .select()
        .from(users)
        .where(
          pattern
            ? or(
                sql`${users.emailNormalized} LIKE ${pattern} ESCAPE '\\'`,
                sql`lower(${users.name}) LIKE ${pattern} ESCAPE '\\'`,
              )
            : undefined,
        )
        .orderBy(users.emailNormalized)
        .limit(limit)
        .offset(offset)
        .all()
        .map(toUser);
    },

    async createSession(input) {
      db.transaction(
        (tx) => {
          tx.delete(webSessions).where(lt(webSessions.expiresAt, input.createdAt)).run();
          tx.insert(webSessions).values(input).run();
        },
        { behavior: "immediate" },
      );
    },

    async findSession(id, at) {
      const row = db
        .select()
        .from(webSessions)
        .innerJoin(users, eq(users.id, webSessions.userId))
        .where(and(eq(webSessions.id, id), gt(webSessions.expiresAt, at)))
        .get();
      if (!row) return null;
      const { web_sessions: session } = row;
      return {
        session: {
          id: session.id,
          userId: session.userId,
          csrfToken: session.csrfToken,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
        },
        user: toUser(row.users),
      };
    },

    async deleteSession(id) {
      db.delete(webSessions).where(eq(webSessions.id, id)).run();
    },

    async signInLockedUntil(buckets, at) {
      if (buckets.length === 0) return null;
      const rows = db
        .select({ lockedUntil: signInThrottle.lockedUntil })
        .from(signInThrottle)
        .where(and(inArray(signInThrottle.bucket, buckets), gt(signInThrottle.lockedUntil, at)))
        .all();
      return rows.length ? Math.max(...rows.map((r) => r.lockedUntil)) : null;
    },

    async recordSignInFailure({ buckets, at, windowMs, maxFailures, lockMs }) {
      return db.transaction(
        (tx) => {
          let latest: number | null = null;
          for (const bucket of buckets) {
            const row = tx.select().from(signInThrottle).where(eq(signInThrottle.bucket, bucket)).get();
            const fresh = !row || row.windowStartedAt + windowMs <= at;
            const failures = fresh ? 1 : row.failures + 1;
            const lockedUntil = failures >= maxFailures ? at + lockMs : (row?.lockedUntil ?? 0);
            tx.insert(signInThrottle)
              .values({ bucket, failures, windowStartedAt: fresh ? at : row.windowStartedAt, lockedUntil })
              .onConflictDoUpdate({
                target: signInThrottle.bucket,
                set: { failures, windowStartedAt: fresh ? at : row.windowStartedAt, lockedUntil },
              })
              .run();
            if (lockedUntil > at) latest = Math.max(latest ?? 0, lockedUntil);
          }
          return latest;
        },
        { behavior: "immediate" },
      );
    },

    async clearSignInFailures(buckets) {
      if (buckets.length) db.delete(signInThrottle).where(inArray(signInThrottle.bucket, buckets)).run();
    },
  };
}
