/** @module Work item and run transitions shared by the SQLite platform stores; each runs inside the caller's transaction. */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { PlatformEvent, Run } from "../platform-stores";
import { audit, systemEvent, type Tx, toRun } from "./platform-common";
import { runs, workItemLeases, workItems } from "./platform-schema";

/** Statuses of a work item that still need work. */
const OPEN_ITEM_STATUSES = ["offered", "claimed"] as const;

/** Whether a run takes no more claims, events or artifacts. */
export const isTerminalRun = (status: Run["status"]) => status === "completed" || status === "failed";

/** Reads a run inside a transaction. */
export function runOf(tx: Tx, runId: string): Run | null {
  const row = tx.select().from(runs).where(eq(runs.id, runId)).get();
  return row ? toRun(row) : null;
}

/**
 * Closes a run whose items are all terminal: `completed` when any item completed, else `failed`. Writes the run's
 * audit row and lifecycle event; returns the events written (none when the run stays open).
 */
export function closeRunIfDone(tx: Tx, runId: string, at: number): PlatformEvent[] {
  const open = tx
    .select({ n: sql<number>`count(*)` })
    .from(workItems)
    .where(and(eq(workItems.runId, runId), inArray(workItems.status, [...OPEN_ITEM_STATUSES])))
    .get();
  if ((open?.n ?? 0) > 0) return [];
  const completed = tx
    .select({ n: sql<number>`count(*)` })
    .from(workItems)
    .where(and(eq(workItems.runId, runId), eq(workItems.status, "completed")))
    .get();
  const status = (completed?.n ?? 0) > 0 ? "completed" : "failed";
  const closed = tx
    .update(runs)
    .set({
      status,
      updatedAt: at,
      ...(status === "completed" ? { completedAt: at } : { failureReason: "work items failed" }),
    })
    .where(and(eq(runs.id, runId), inArray(runs.status, ["created", "running"])))
    .returning()
    .get();
  if (!closed) return [];
  const action = status === "completed" ? "run_completed" : "run_failed";
  audit(tx, { actorType: "system", actorId: "platform", action, runId, at });
  const text = status === "completed" ? "run completed" : "run failed: every work item failed";
  return [systemEvent(tx, { run: closed, event: action, text, workItemId: null, extra: { status }, at })];
}

/** Fails every open item of a run and the run itself with `reason`; used for cancel and for unclaimed expiry. */
export function failRun(
  tx: Tx,
  run: Run,
  input: {
    reason: string;
    action: "run_cancelled" | "run_failed";
    actorType: "user" | "system";
    actorId: string;
    at: number;
  },
): PlatformEvent[] {
  const { at } = input;
  const open = tx
    .select({ id: workItems.id })
    .from(workItems)
    .where(and(eq(workItems.runId, run.id), inArray(workItems.status, [...OPEN_ITEM_STATUSES])))
    .all()
    .map((row) => row.id);
  if (open.length) {
    tx.delete(workItemLeases).where(inArray(workItemLeases.workItemId, open)).run();
    tx.update(workItems)
      .set({ status: "failed", lastError: input.reason, updatedAt: at })
      .where(inArray(workItems.id, open))
      .run();
  }
  const closed = tx
    .update(runs)
    .set({ status: "failed", failureReason: input.reason, updatedAt: at })
    .where(and(eq(runs.id, run.id), inArray(runs.status, ["created", "running"])))
    .returning()
    .get();
  if (!closed) return [];
  audit(tx, { actorType: input.actorType, actorId: input.actorId, action: input.action, runId: run.id, at });
  const text = input.action === "run_cancelled" ? "run cancelled by its publisher" : `run failed: ${input.reason}`;
  return [
    systemEvent(tx, {
      run: closed,
      event: input.action,
      text,
      workItemId: null,
      extra: { status: "failed" },
      at,
    }),
  ];
}

/**
 * Ends a lease (conditionally on its lease id, so a racing writer ends it once). With `countAttempt`, attempts++ and
 * the item fails at `maxAttempts`; otherwise it goes back to `offered`. Returns null when the lease was already gone.
 */
export function endLease(
  tx: Tx,
  input: {
    workItemId: string;
    leaseId: string;
    countAttempt: boolean;
    maxAttempts: number;
    lastError: string | null;
    action: "lease_expired" | "work_item_released" | "work_item_failed";
    actorType: "agent" | "user" | "system";
    actorId: string;
    text: string;
    at: number;
  },
): { status: "offered" | "failed"; events: PlatformEvent[] } | null {
  const { at } = input;
  const gone = tx
    .delete(workItemLeases)
    .where(and(eq(workItemLeases.workItemId, input.workItemId), eq(workItemLeases.leaseId, input.leaseId)))
    .returning()
    .get();
  if (!gone) return null;
  const item = tx.select().from(workItems).where(eq(workItems.id, input.workItemId)).get();
  if (!item) return null;
  const attempts = item.attempts + (input.countAttempt ? 1 : 0);
  const status = input.countAttempt && attempts >= input.maxAttempts ? "failed" : "offered";
  tx.update(workItems)
    .set({
      status,
      attempts,
      updatedAt: at,
      ...(input.lastError !== null ? { lastError: input.lastError } : {}),
    })
    .where(and(eq(workItems.id, item.id), eq(workItems.status, "claimed")))
    .run();
  audit(tx, {
    actorType: input.actorType,
    actorId: input.actorId,
    action: input.action,
    runId: item.runId,
    data: { work_item_id: item.id, agent_id: gone.agentId, attempts, status },
    at,
  });
  const run = runOf(tx, item.runId);
  if (!run) return { status, events: [] };
  const events = [
    systemEvent(tx, {
      run,
      event: input.action,
      text: status === "failed" ? `${input.text}; work item failed after ${attempts} attempts` : input.text,
      workItemId: item.id,
      extra: { attempts, status },
      at,
    }),
  ];
  if (status === "failed") events.push(...closeRunIfDone(tx, item.runId, at));
  return { status, events };
}

/** Ends a lease whose time ran out, as the platform: the attempt counts, and the item fails at `maxAttempts`. */
export function expireLease(
  tx: Tx,
  lease: { workItemId: string; leaseId: string },
  maxAttempts: number,
  at: number,
): ReturnType<typeof endLease> {
  return endLease(tx, {
    workItemId: lease.workItemId,
    leaseId: lease.leaseId,
    countAttempt: true,
    maxAttempts,
    lastError: "lease expired",
    action: "lease_expired",
    actorType: "system",
    actorId: "platform",
    text: "lease expired",
    at,
  });
}

/** Gives back every lease an agent holds (disable, delete): items return to `offered`, attempts unchanged. */
export function releaseAgentLeases(
  tx: Tx,
  input: { agentId: string; actorId: string; reason: string; at: number },
): PlatformEvent[] {
  const held = tx.select().from(workItemLeases).where(eq(workItemLeases.agentId, input.agentId)).all();
  const events: PlatformEvent[] = [];
  for (const lease of held) {
    const ended = endLease(tx, {
      workItemId: lease.workItemId,
      leaseId: lease.leaseId,
      countAttempt: false,
      maxAttempts: Number.MAX_SAFE_INTEGER,
      lastError: null,
      action: "work_item_released",
      actorType: "user",
      actorId: input.actorId,
      text: `work item released: ${input.reason}`,
      at: input.at,
    });
    if (ended) events.push(...ended.events);
  }
  return events;
}
