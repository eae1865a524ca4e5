/** @module SQLite implementation of CallStore: model call records and per-day usage. */
import { and, count, desc, eq, gte, inArray, lt, lte, sql } from "drizzle-orm";
import type { CallRecord, CallStore } from "../stores";
import type { SqliteDb } from "./client";
import { modelCalls, usageDaily } from "./schema";

type CallRow = typeof modelCalls.$inferSelect;

function toRow(record: CallRecord): CallRow {
  return { ...record, attempts: JSON.stringify(record.attempts) };
}

function toRecord(row: CallRow): CallRecord {
  return {
    ...row,
    type: row.type as CallRecord["type"],
    attempts: JSON.parse(row.attempts) as CallRecord["attempts"],
  };
}

/** The UTC day (YYYY-MM-DD) of an epoch-millisecond time. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Builds the CallStore over a drizzle handle. */
export function createSqliteCallStore(db: SqliteDb): CallStore {
  return {
    async insertBatch(records) {
      if (!records.length) return;
      db.transaction(
        (tx) => {
          for (const record of records) {
            tx.insert(modelCalls).values(toRow(record)).onConflictDoNothing().run();
            const model =
              record.provider && record.model ? `${record.provider}/${record.model}` : record.requestedModel;
            tx.insert(usageDaily)
              .values({
                userId: record.userId,
                model,
                day: utcDay(record.createdAt),
                requests: 1,
                inputTokens: record.inputTokens,
                outputTokens: record.outputTokens,
                cacheReadTokens: record.cacheReadTokens,
                cost: record.cost,
              })
              .onConflictDoUpdate({
                target: [usageDaily.userId, usageDaily.model, usageDaily.day],
                set: {
                  requests: sql`${usageDaily.requests} + 1`,
                  inputTokens: sql`${usageDaily.inputTokens} + ${record.inputTokens}`,
                  outputTokens: sql`${usageDaily.outputTokens} + ${record.outputTokens}`,
                  cacheReadTokens: sql`${usageDaily.cacheReadTokens} + ${record.cacheReadTokens}`,
                  cost: sql`${usageDaily.cost} + ${record.cost}`,
                },
              })
              .run();
          }
        },
        { behavior: "immediate" },
      );
    },

    async list(filter) {
      const conditions = [
        filter.userId ? eq(modelCalls.userId, filter.userId) : undefined,
        filter.model ? eq(modelCalls.requestedModel, filter.model) : undefined,
        filter.status ? eq(modelCalls.status, filter.status) : undefined,
        filter.since !== undefined ? gte(modelCalls.createdAt, filter.since) : undefined,
        filter.until !== undefined ? lte(modelCalls.createdAt, filter.until) : undefined,
      ];
      return db
        .select()
        .from(modelCalls)
        .where(and(...conditions))
        .orderBy(desc(modelCalls.createdAt), desc(modelCalls.id))
        .limit(filter.limit)
        .all()
        .map(toRecord);
    },

    async usageByDay(userId, sinceDay) {
      return db
        .select({
          day: usageDaily.day,
          model: usageDaily.model,
          requests: usageDaily.requests,
          inputTokens: usageDaily.inputTokens,
          outputTokens: usageDaily.outputTokens,
          cacheReadTokens: usageDaily.cacheReadTokens,
          cost: usageDaily.cost,
        })
        .from(usageDaily)
        .where(and(eq(usageDaily.userId, userId), gte(usageDaily.day, sinceDay)))
        .orderBy(usageDaily.day, usageDaily.model)
        .all();
    },

    async prune({ olderThan, maxRows, batch }) {
      return db.transaction(
        (tx) => {
          const total = tx.select({ n: count() }).from(modelCalls).get()?.n ?? 0;
          const overflow = Math.max(0, total - maxRows);
          const victims = tx
            .select({ id: modelCalls.id })
            .from(modelCalls)
            .where(overflow > 0 ? undefined : lt(modelCalls.createdAt, olderThan))
            .orderBy(modelCalls.createdAt, modelCalls.id)
            .limit(overflow > 0 ? Math.min(batch, overflow) : batch)
            .all()
            .map((row) => row.id);
          if (victims.length) tx.delete(modelCalls).where(inArray(modelCalls.id, victims)).run();
          return victims.length;
        },
        { behavior: "immediate" },
      );
    },
  };
}
