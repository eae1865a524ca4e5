/** @module What the SQLite platform stores share: row mappers, audit rows, seq allocation and idempotent writes. */
import { randomUUID } from "node:crypto";
import { and, asc, type Column, eq, getTableName, inArray, max, type SQL, sql } from "drizzle-orm";
import { conflict } from "../../shared/errors";
import {
  type Agent,
  type Artifact,
  IDEMPOTENCY_TTL_MS,
  type IdempotencyInput,
  type Lease,
  type PlatformEvent,
  type PlatformKey,
  type Run,
} from "../platform-stores";
import type { SqliteDb } from "./client";
import {
  type agentApiKeys,
  type agents,
  agentTags,
  type artifacts,
  platformAuditLogs,
  platformIdempotencyKeys,
  type platformUserKeys,
  runEvents,
  type runs,
  type workItemLeases,
} from "./platform-schema";

/** A drizzle transaction handle. */
export type Tx = Parameters<Parameters<SqliteDb["transaction"]>[0]>[0];

/** Every write transaction takes the write lock up front, so a second writer waits instead of failing. */
export const IMMEDIATE = { behavior: "immediate" } as const;

/**
 * A column spelled with its table, for correlated subqueries in select lists: drizzle writes bare column names there,
 * which the subquery's own table would capture.
 */
export const qualified = (column: Column): SQL => sql.raw(`"${getTableName(column.table)}"."${column.name}"`);

/** The persona of platform-written events. */
export const PLATFORM_PERSONA = "platform";

/** The public, anonymous label of an agent: its first two tags in alphabetical order, or "agent". */
export function personaFromTags(tags: string[]): string {
  const sorted = [...tags].sort();
  return sorted.length ? sorted.slice(0, 2).join(" / ") : "agent";
}

/** Maps a run row. */
export function toRun(row: typeof runs.$inferSelect): Run {
  return { ...row };
}

/** Maps a lease row. */
export function toLease(row: typeof workItemLeases.$inferSelect): Lease {
  return {
    workItemId: row.workItemId,
    leaseId: row.leaseId,
    agentId: row.agentId,
    expiresAt: row.leaseExpiresAt,
    claimedAt: row.claimedAt,
    renewedAt: row.renewedAt,
  };
}

/** Maps an event row; the run's public ref comes from the caller, which already knows the run. */
export function toEvent(row: typeof runEvents.$inferSelect, runRef: string): PlatformEvent {
  return {
    runId: row.runId,
    runRef,
    seq: row.seq,
    kind: row.kind,
    persona: row.persona,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    isKeyNode: row.isKeyNode,
    agentId: row.agentId,
    workItemId: row.workItemId,
    createdAt: row.createdAt,
  };
}

/** Maps an artifact row. */
export function toArtifact(row: typeof artifacts.$inferSelect, runRef: string): Artifact {
  return {
    runId: row.runId,
    runRef,
    version: row.version,
    kind: row.kind,
    content: row.content,
    linkedEventSeq: row.linkedEventSeq,
    agentId: row.agentId,
    persona: row.persona,
    workItemId: row.workItemId,
    createdAt: row.createdAt,
  };
}

type KeyRow = typeof platformUserKeys.$inferSelect | typeof agentApiKeys.$inferSelect;

/** Maps a user or agent key row. */
export function toKey(row: KeyRow): PlatformKey {
  return {
    id: row.id,
    ownerId: "userId" in row ? row.userId : row.agentId,
    prefix: row.keyPrefix,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    revokeAfter: row.revokeAfter,
  };
}

/** Reads the sorted tags of some agents in one query. */
export function tagsOf(tx: Tx | SqliteDb, agentIds: string[]): Map<string, string[]> {
  const byAgent = new Map<string, string[]>(agentIds.map((id) => [id, []]));
  if (!agentIds.length) return byAgent;
  const rows = tx
    .select({ agentId: agentTags.agentId, tag: agentTags.tag })
    .from(agentTags)
    .where(inArray(agentTags.agentId, agentIds))
    .orderBy(asc(agentTags.tag))
    .all();
  for (const row of rows) byAgent.get(row.agentId)?.push(row.tag);
  return byAgent;
}

/** Maps an agent row with its tags. */
export function toAgent(row: typeof agents.$inferSelect, tags: string[]): Agent {
  const { version: _, ...agent } = row;
  return { ...agent, tags };
}

/** The persona an agent's events get now. */
export function personaOf(tx: Tx, agentId: string): string {
  return personaFromTags(tagsOf(tx, [agentId]).get(agentId) ?? []);
}

/** Writes one audit row inside the caller's transaction. */
export function audit(
  tx: Tx,
  row: {
    actorType: "user" | "agent" | "system";
    actorId: string;
    action: string;
    runId?: string | null;
    data?: Record<string, unknown>;
    at: number;
  },
): void {
  tx.insert(platformAuditLogs)
    .values({
      id: randomUUID(),
      actorType: row.actorType,
      actorId: row.actorId,
      action: row.action,
      runId: row.runId ?? null,
      data: JSON.stringify(row.data ?? {}),
      createdAt: row.at,
    })
    .run();
}

/** Appends an event with seq = max+1; callers hold the write lock (IMMEDIATE), so the seq is gapless. */
export function appendEventRow(
  tx: Tx,
  input: {
    run: Pick<Run, "id" | "publicRef">;
    kind: string;
    persona: string;
    payload: string;
    isKeyNode: boolean;
    agentId: string | null;
    workItemId: string | null;
    at: number;
  },
): PlatformEvent {
  const last = tx
    .select({ seq: max(runEvents.seq) })
    .from(runEvents)
    .where(eq(runEvents.runId, input.run.id))
    .get();
  const row = tx
    .insert(runEvents)
    .values({
      id: randomUUID(),
      runId: input.run.id,
      seq: (last?.seq ?? 0) + 1,
      kind: input.kind,
      persona: input.persona,
      payload: input.payload,
      isKeyNode: input.isKeyNode,
      agentId: input.agentId,
      workItemId: input.workItemId,
      createdAt: input.at,
    })
    .returning()
    .get();
  return toEvent(row, input.run.publicRef);
}

/** Appends a platform lifecycle event: kind `system`, persona `platform`, never a key node. */
export function systemEvent(
  tx: Tx,
  input: {
    run: Pick<Run, "id" | "publicRef">;
    event: string;
    text: string;
    workItemId: string | null;
    extra?: Record<string, unknown>;
    at: number;
  },
): PlatformEvent {
  const payload = { text: input.text, event: input.event, work_item_id: input.workItemId, ...input.extra };
  return appendEventRow(tx, {
    run: input.run,
    kind: "system",
    persona: PLATFORM_PERSONA,
    payload: JSON.stringify(payload),
    isKeyNode: false,
    agentId: null,
    workItemId: input.workItemId,
    at: input.at,
  });
}

/**
 * Runs `write` once per idempotency key: a stored result with the same request hash is returned instead (as `replayed`),
 * a different hash is `conflict("idempotency key reuse")`. The record is written in the caller's transaction.
 */
export function idempotent<T>(
  tx: Tx,
  idempotency: IdempotencyInput | undefined,
  at: number,
  write: () => T,
): { value: T; replayed: boolean } {
  if (!idempotency) return { value: write(), replayed: false };
  const keyMatches = and(
    eq(platformIdempotencyKeys.scope, idempotency.scope),
    eq(platformIdempotencyKeys.key, idempotency.key),
  );
  const stored = tx.select().from(platformIdempotencyKeys).where(keyMatches).get();
  if (stored && stored.createdAt <= at - IDEMPOTENCY_TTL_MS) {
    // An expired record the purge has not reached yet counts as absent.
    tx.delete(platformIdempotencyKeys).where(keyMatches).run();
  } else if (stored) {
    if (stored.requestHash !== idempotency.requestHash) throw conflict("idempotency key reuse");
    return { value: JSON.parse(stored.responseBody) as T, replayed: true };
  }
  const value = write();
  tx.insert(platformIdempotencyKeys)
    .values({ ...idempotency, status: 201, responseBody: JSON.stringify(value), createdAt: at })
    .run();
  return { value, replayed: false };
}
