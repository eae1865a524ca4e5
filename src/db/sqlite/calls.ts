/** @module SQLite implementation of CallStore: model call records, their stored contents and per-day usage. */
import type { Database } from "bun:sqlite";
import { and, count, desc, eq, gte, inArray, lt, lte } from "drizzle-orm";
import type { CallContent, CallRecord, CallStore } from "../stores";
import { type Bindings, groupCommit, type SqliteDb } from "./client";
import { createTrancheWriter } from "./ledger";
import { callContents, modelCalls, usageDaily } from "./schema";

type CallRow = typeof modelCalls.$inferSelect;

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

/**
 * How long call writes wait for others to share a transaction with. Nobody waits for them, and at one call at a time
 * a transaction per call would cost more than the rest of the call; the crash window grows by as much.
 */
const COMMIT_WAIT_MS = 5;

/** One (user, model, day) row of usage_daily and what a batch adds to it. */
interface UsageDelta {
  userId: string;
  model: string;
  day: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cost: number;
}

/** Sums a batch's records per (user, model, day), so each aggregate row is written once per batch. */
function usageDeltas(records: CallRecord[]): UsageDelta[] {
  const deltas = new Map<string, UsageDelta>();
  for (const record of records) {
    const model = record.provider && record.model ? `${record.provider}/${record.model}` : record.requestedModel;
    const day = utcDay(record.createdAt);
    const key = `${record.userId}\u0000${model}\u0000${day}`;
    const delta = deltas.get(key);
    if (!delta) {
      const { userId, inputTokens, outputTokens, cacheReadTokens, cost } = record;
      deltas.set(key, { userId, model, day, requests: 1, inputTokens, outputTokens, cacheReadTokens, cost });
      continue;
    }
    delta.requests += 1;
    delta.inputTokens += record.inputTokens;
    delta.outputTokens += record.outputTokens;
    delta.cacheReadTokens += record.cacheReadTokens;
    delta.cost += record.cost;
  }
  return [...deltas.values()];
}

/** Builds the CallStore over a drizzle handle and its raw connection (for the cached group-commit statements). */
export function createSqliteCallStore(db: SqliteDb, sqlite: Database): CallStore {
  const applyTrancheWrites = createTrancheWriter(sqlite);
  const insertCall = sqlite.query<never, CallRow>(
    `INSERT INTO model_calls (id, request_id, trace_id, user_id, key_id, app_id, surface, type, requested_model, provider,
       model, credential_id, status, stream, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, estimated,
       cost, rates, latency_ms, ttft_ms, error_type, error_message, attempts, created_at)
     VALUES ($id, $requestId, $traceId, $userId, $keyId, $appId, $surface, $type, $requestedModel, $provider, $model,
       $credentialId, $status, $stream, $inputTokens, $outputTokens, $cacheReadTokens, $cacheWriteTokens, $estimated,
       $cost, $rates, $latencyMs, $ttftMs, $errorType, $errorMessage, $attempts, $createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  const insertContent = sqlite.query<never, Bindings<CallContent>>(
    `INSERT INTO call_contents (call_id, request, response, created_at)
     VALUES ($callId, $request, $response, $createdAt)
     ON CONFLICT (call_id) DO NOTHING`,
  );
  const addUsage = sqlite.query<never, Bindings<UsageDelta>>(
    `INSERT INTO usage_daily (user_id, model, day, requests, input_tokens, output_tokens, cache_read_tokens, cost)
     VALUES ($userId, $model, $day, $requests, $inputTokens, $outputTokens, $cacheReadTokens, $cost)
     ON CONFLICT (user_id, model, day) DO UPDATE SET requests = usage_daily.requests + excluded.requests,
       input_tokens = usage_daily.input_tokens + excluded.input_tokens,
       output_tokens = usage_daily.output_tokens + excluded.output_tokens,
       cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens,
       cost = usage_daily.cost + excluded.cost`,
  );
  const commit = groupCommit(
    sqlite,
    (batch: Parameters<CallStore["commit"]>[0]) => {
      applyTrancheWrites(batch.tranches);
      for (const record of batch.records) insertCall.run({ ...record, attempts: JSON.stringify(record.attempts) });
      // After the records: each content row references its call.
      for (const content of batch.contents) insertContent.run(content);
      for (const delta of usageDeltas(batch.records)) addUsage.run(delta);
    },
    COMMIT_WAIT_MS,
  );

  return {
    async commit(batch) {
      if (batch.tranches.length || batch.records.length) await commit(batch);
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

    async find(id) {
      const found = db
        .select({ record: modelCalls, content: callContents })
        .from(modelCalls)
        .leftJoin(callContents, eq(callContents.callId, modelCalls.id))
        .where(eq(modelCalls.id, id))
        .get();
      return found ? { record: toRecord(found.record), content: found.content } : null;
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
          // Their call_contents rows go in the same statement (ON DELETE CASCADE).
          if (victims.length) tx.delete(modelCalls).where(inArray(modelCalls.id, victims)).run();
          return victims.length;
        },
        { behavior: "immediate" },
      );
    },
  };
}
