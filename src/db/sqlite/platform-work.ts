/** @module SQLite implementation of WorkStore: offers, the claim mutex, leases and the worker's transitions. */
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, inArray, lt, notExists, or, sql } from "drizzle-orm";
import type { AppError } from "../../shared/errors";
import { conflict, forbidden, invalidRequest, notFound } from "../../shared/errors";
import type { AgentWorkItem, ClaimOutcome, LeaseRules, PlatformEvent, WorkStore } from "../platform-stores";
import type { SqliteDb } from "./client";
import { enabledAgentIds, liveLeaseCount } from "./platform-agents";
import { appendEventRow, audit, IMMEDIATE, personaOf, systemEvent, type Tx, toLease } from "./platform-common";
import { closeRunIfDone, endLease, expireLease, failRun, isTerminalRun, runOf } from "./platform-lifecycle";
import {
  agentAllowedTools,
  agents,
  artifacts,
  ownerContributions,
  platformAuditLogs,
  platformIdempotencyKeys,
  runAllowedTools,
  runRequiredTags,
  runs,
  workItemLeases,
  workItemOffers,
  workItems,
} from "./platform-schema";

/** How many offered items claim-next tries before it gives up (each may have just failed by lazy expiry). */
const CLAIM_NEXT_TRIES = 5;

/** Reads items offered to the agent with their run and lease, oldest first. */
function offeredItems(
  tx: Tx | SqliteDb,
  agentId: string,
  where: ReturnType<typeof and>,
  limit: number,
): AgentWorkItem[] {
  const rows = tx
    .select({ item: workItems, run: runs, lease: workItemLeases })
    .from(workItemOffers)
    .innerJoin(workItems, eq(workItems.id, workItemOffers.workItemId))
    .innerJoin(runs, eq(runs.id, workItems.runId))
    .leftJoin(workItemLeases, eq(workItemLeases.workItemId, workItems.id))
    .where(and(eq(workItemOffers.agentId, agentId), where))
    .orderBy(asc(workItems.createdAt), asc(workItems.id))
    .limit(limit)
    .all();
  return rows.map(({ item, run, lease }) => ({
    id: item.id,
    runId: item.runId,
    runRef: run.publicRef,
    stage: item.stage,
    kind: item.kind,
    status: item.status,
    attempts: item.attempts,
    goal: run.goal,
    constraints: run.constraints,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    lease: lease && lease.agentId === agentId ? toLease(lease) : null,
  }));
}

function offeredItem(tx: Tx | SqliteDb, agentId: string, workItemId: string): AgentWorkItem | null {
  return offeredItems(tx, agentId, eq(workItems.id, workItemId), 1)[0] ?? null;
}

/** The caller's lease on an item, or the MVP's errors: no lease, or another agent's. */
function requireHeldLease(tx: Tx, workItemId: string, agentId: string) {
  const lease = tx.select().from(workItemLeases).where(eq(workItemLeases.workItemId, workItemId)).get();
  if (!lease) throw conflict("not leased");
  if (lease.agentId !== agentId) throw forbidden("not lease holder");
  return lease;
}

/**
 * Claims one item for the agent: lazy expiry of a stale lease, then the conditional insert of the lease row (its
 * primary key is the mutex), then the status change, run start, audit row and lifecycle event.
 */
function claimOne(tx: Tx, agentId: string, workItemId: string, rules: LeaseRules, at: number): ClaimOutcome {
  const reject = (rejection: AppError, events: PlatformEvent[] = []): ClaimOutcome => ({
    claimed: null,
    rejection,
    events,
  });
  const offer = tx
    .select({ agentId: workItemOffers.agentId })
    .from(workItemOffers)
    .where(and(eq(workItemOffers.workItemId, workItemId), eq(workItemOffers.agentId, agentId)))
    .get();
  if (!offer) return reject(notFound("not offered"));
  const item = tx.select().from(workItems).where(eq(workItems.id, workItemId)).get();
  if (!item) return reject(notFound("not found"));
  const run = runOf(tx, item.runId);
  if (!run || isTerminalRun(run.status)) return reject(conflict("not claimable"));
  const events: PlatformEvent[] = [];
  let status = item.status;
  if (status === "claimed") {
    const stale = tx.select().from(workItemLeases).where(eq(workItemLeases.workItemId, workItemId)).get();
    if (stale && stale.leaseExpiresAt < at) {
      const ended = expireLease(tx, stale, rules.maxAttempts, at);
      if (ended) {
        events.push(...ended.events);
        status = ended.status;
      }
    }
  }
  if (status !== "offered") return reject(conflict("not claimable"), events);
  if (liveLeaseCount(tx, agentId, at) >= rules.maxLeasesPerAgent) {
    return reject(conflict("lease limit reached"), events);
  }
  const lease = tx
    .insert(workItemLeases)
    .values({
      workItemId,
      leaseId: randomUUID(),
      agentId,
      leaseExpiresAt: at + rules.leaseMs,
      claimedAt: at,
      createdAt: at,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  if (!lease) return reject(conflict("already claimed"), events);
  tx.update(workItems)
    .set({ status: "claimed", updatedAt: at })
    .where(and(eq(workItems.id, workItemId), eq(workItems.status, "offered")))
    .run();
  if (run.status === "created") {
    tx.update(runs)
      .set({ status: "running", updatedAt: at })
      .where(and(eq(runs.id, run.id), eq(runs.status, "created")))
      .run();
  }
  audit(tx, {
    actorType: "agent",
    actorId: agentId,
    action: "work_item_claimed",
    runId: run.id,
    data: { work_item_id: workItemId, lease_expires_at: lease.leaseExpiresAt },
    at,
  });
  const persona = personaOf(tx, agentId);
  events.push(
    systemEvent(tx, { run, event: "work_item_claimed", text: `work item claimed by ${persona}`, workItemId, at }),
  );
  return { claimed: offeredItem(tx, agentId, workItemId), events };
}

/** Builds the WorkStore over a drizzle handle. */
export function createSqliteWorkStore(db: SqliteDb): WorkStore {
  return {
    async poll({ agentId, limit }) {
      const visible = or(
        and(eq(workItems.status, "offered"), inArray(runs.status, ["created", "running"])),
        and(eq(workItems.status, "claimed"), eq(workItemLeases.agentId, agentId)),
      );
      return offeredItems(db, agentId, visible, limit);
    },

    async readWorkItem({ agentId, workItemId, at }) {
      return db.transaction((tx) => {
        const item = offeredItem(tx, agentId, workItemId);
        if (!item) return null;
        audit(tx, {
          actorType: "agent",
          actorId: agentId,
          action: "work_item_read",
          runId: item.runId,
          data: { work_item_id: workItemId },
          at,
        });
        return item;
      }, IMMEDIATE);
    },

    async claim({ agentId, workItemId, rules, at }) {
      return db.transaction((tx) => {
        if (workItemId) return claimOne(tx, agentId, workItemId, rules, at);
        const claimable = or(
          eq(workItems.status, "offered"),
          and(eq(workItems.status, "claimed"), lt(workItemLeases.leaseExpiresAt, at)),
        );
        const candidates = offeredItems(
          tx,
          agentId,
          and(claimable, inArray(runs.status, ["created", "running"])),
          CLAIM_NEXT_TRIES,
        );
        const events: PlatformEvent[] = [];
        for (const candidate of candidates) {
          const outcome = claimOne(tx, agentId, candidate.id, rules, at);
          events.push(...outcome.events);
          const lastTry = outcome.rejection?.message === "lease limit reached";
          if (outcome.claimed || lastTry) return { ...outcome, events };
        }
        return { claimed: null, rejection: notFound("no offers"), events };
      }, IMMEDIATE);
    },

    async heartbeat({ agentId, workItemId, extendMs, maxLifetimeMs, at }) {
      return db.transaction((tx) => {
        const lease = requireHeldLease(tx, workItemId, agentId);
        const cap = lease.claimedAt + maxLifetimeMs;
        if (lease.leaseExpiresAt >= cap) throw conflict("lease limit reached");
        const expiresAt = Math.max(lease.leaseExpiresAt, Math.min(at + extendMs, cap));
        const row = tx
          .update(workItemLeases)
          .set({ leaseExpiresAt: expiresAt, renewedAt: at })
          .where(and(eq(workItemLeases.workItemId, workItemId), eq(workItemLeases.leaseId, lease.leaseId)))
          .returning()
          .get();
        return toLease(row!);
      }, IMMEDIATE);
    },

    async release({ agentId, workItemId, reason, at }) {
      return db.transaction((tx) => {
        const lease = requireHeldLease(tx, workItemId, agentId);
        const ended = endLease(tx, {
          workItemId,
          leaseId: lease.leaseId,
          countAttempt: false,
          maxAttempts: Number.MAX_SAFE_INTEGER,
          lastError: null,
          action: "work_item_released",
          actorType: "agent",
          actorId: agentId,
          text: reason ? `work item released: ${reason}` : "work item released",
          at,
        });
        return { events: ended?.events ?? [] };
      }, IMMEDIATE);
    },

    async fail({ agentId, workItemId, reason, maxAttempts, at }) {
      return db.transaction((tx) => {
        const lease = requireHeldLease(tx, workItemId, agentId);
        const ended = endLease(tx, {
          workItemId,
          leaseId: lease.leaseId,
          countAttempt: true,
          maxAttempts,
          lastError: reason ?? "failed by the agent",
          action: "work_item_failed",
          actorType: "agent",
          actorId: agentId,
          text: reason ? `work item failed: ${reason}` : "work item failed",
          at,
        });
        return { status: ended?.status ?? "offered", events: ended?.events ?? [] };
      }, IMMEDIATE);
    },

    async complete({ agentId, workItemId, artifactVersion, summary, at }) {
      return db.transaction((tx) => {
        const lease = requireHeldLease(tx, workItemId, agentId);
        const item = tx.select().from(workItems).where(eq(workItems.id, workItemId)).get()!;
        const run = runOf(tx, item.runId)!;
        const byThisLease = and(
          eq(artifacts.runId, run.id),
          eq(artifacts.agentId, agentId),
          eq(artifacts.leaseId, lease.leaseId),
        );
        if (artifactVersion !== undefined) {
          const named = tx
            .select({ version: artifacts.version })
            .from(artifacts)
            .where(and(byThisLease, eq(artifacts.version, artifactVersion)))
            .get();
          if (!named) throw invalidRequest("invalid artifact_version");
        }
        const qualified = Boolean(tx.select({ version: artifacts.version }).from(artifacts).where(byThisLease).get());
        const events: PlatformEvent[] = [];
        const persona = personaOf(tx, agentId);
        if (summary) {
          events.push(
            appendEventRow(tx, {
              run,
              kind: "summary",
              persona,
              payload: JSON.stringify({ text: summary }),
              isKeyNode: true,
              agentId,
              workItemId,
              at,
            }),
          );
        }
        tx.delete(workItemLeases)
          .where(and(eq(workItemLeases.workItemId, workItemId), eq(workItemLeases.leaseId, lease.leaseId)))
          .run();
        tx.update(workItems)
          .set({
            status: "completed",
            completedByAgentId: agentId,
            qualified,
            completedAt: at,
            updatedAt: at,
            ...(summary ? { summary } : {}),
          })
          .where(eq(workItems.id, workItemId))
          .run();
        const ownerId = tx
          .select({ ownerId: agents.ownerId })
          .from(agents)
          .where(eq(agents.id, agentId))
          .get()!.ownerId;
        tx.insert(ownerContributions)
          .values({ ownerId, completedWorkItems: 1, qualifiedWorkItems: qualified ? 1 : 0, updatedAt: at })
          .onConflictDoUpdate({
            target: ownerContributions.ownerId,
            set: {
              completedWorkItems: sql`${ownerContributions.completedWorkItems} + 1`,
              qualifiedWorkItems: sql`${ownerContributions.qualifiedWorkItems} + ${qualified ? 1 : 0}`,
              updatedAt: at,
            },
          })
          .run();
        audit(tx, {
          actorType: "agent",
          actorId: agentId,
          action: "work_item_completed",
          runId: run.id,
          data: { work_item_id: workItemId, owner_id: ownerId, qualified },
          at,
        });
        events.push(
          systemEvent(tx, {
            run,
            event: "work_item_completed",
            text: `work item completed by ${persona}`,
            workItemId,
            extra: { qualified },
            at,
          }),
        );
        events.push(...closeRunIfDone(tx, run.id, at));
        return { events };
      }, IMMEDIATE);
    },

    async reclaimExpired({ at, maxAttempts, limit }) {
      return db.transaction((tx) => {
        const expired = tx
          .select()
          .from(workItemLeases)
          .where(lt(workItemLeases.leaseExpiresAt, at))
          .orderBy(asc(workItemLeases.leaseExpiresAt))
          .limit(limit)
          .all();
        const events: PlatformEvent[] = [];
        let reclaimed = 0;
        for (const lease of expired) {
          const ended = expireLease(tx, lease, maxAttempts, at);
          if (!ended) continue;
          reclaimed++;
          events.push(...ended.events);
        }
        return { events, reclaimed };
      }, IMMEDIATE);
    },

    async underOfferedItems({ participantCount, limit }) {
      const offerCount = sql<number>`(select count(*) from ${workItemOffers} where ${workItemOffers.workItemId} = ${workItems.id})`;
      const rows = db
        .select({ workItemId: workItems.id, runId: runs.id, publisherUserId: runs.publisherUserId })
        .from(workItems)
        .innerJoin(runs, eq(runs.id, workItems.runId))
        .where(
          and(
            eq(workItems.status, "offered"),
            eq(runs.kind, "user"),
            inArray(runs.status, ["created", "running"]),
            sql`${offerCount} < ${participantCount}`,
          ),
        )
        .orderBy(asc(workItems.createdAt))
        .limit(limit)
        .all();
      return rows.map((row) => ({
        ...row,
        requiredTags: db
          .select({ tag: runRequiredTags.tag })
          .from(runRequiredTags)
          .where(eq(runRequiredTags.runId, row.runId))
          .all()
          .map((r) => r.tag),
        offeredAgentIds: db
          .select({ agentId: workItemOffers.agentId })
          .from(workItemOffers)
          .where(eq(workItemOffers.workItemId, row.workItemId))
          .all()
          .map((r) => r.agentId),
      }));
    },

    async addOffers({ workItemId, agentIds, max, at }) {
      return db.transaction((tx) => {
        const item = tx.select({ status: workItems.status }).from(workItems).where(eq(workItems.id, workItemId)).get();
        if (item?.status !== "offered") return 0;
        const existing = new Set(
          tx
            .select({ agentId: workItemOffers.agentId })
            .from(workItemOffers)
            .where(eq(workItemOffers.workItemId, workItemId))
            .all()
            .map((row) => row.agentId),
        );
        const enabled = new Set(enabledAgentIds(tx, agentIds));
        const chosen = agentIds
          .filter((id) => enabled.has(id) && !existing.has(id))
          .slice(0, Math.max(0, max - existing.size));
        if (chosen.length) {
          tx.insert(workItemOffers)
            .values(chosen.map((agentId) => ({ workItemId, agentId, createdAt: at })))
            .onConflictDoNothing()
            .run();
        }
        return chosen.length;
      }, IMMEDIATE);
    },

    async pruneStaleOffers({ limit }) {
      return db.transaction((tx) => {
        const stale = tx
          .select({ workItemId: workItemOffers.workItemId, agentId: workItemOffers.agentId })
          .from(workItemOffers)
          .innerJoin(agents, eq(agents.id, workItemOffers.agentId))
          .innerJoin(workItems, eq(workItems.id, workItemOffers.workItemId))
          .innerJoin(runs, eq(runs.id, workItems.runId))
          // Onboarding items are offered to their agent alone and never topped up, so their offers stay.
          .where(and(eq(agents.status, "disabled"), eq(workItems.status, "offered"), eq(runs.kind, "user")))
          .limit(limit)
          .all();
        for (const offer of stale) {
          tx.delete(workItemOffers)
            .where(and(eq(workItemOffers.workItemId, offer.workItemId), eq(workItemOffers.agentId, offer.agentId)))
            .run();
        }
        return stale.length;
      }, IMMEDIATE);
    },

    async failUnclaimedRuns({ createdBefore, at, limit }) {
      return db.transaction((tx) => {
        const held = tx
          .select({ id: workItemLeases.workItemId })
          .from(workItemLeases)
          .innerJoin(workItems, eq(workItems.id, workItemLeases.workItemId))
          .where(eq(workItems.runId, runs.id));
        const stale = tx
          .select()
          .from(runs)
          .where(
            and(
              eq(runs.kind, "user"),
              inArray(runs.status, ["created", "running"]),
              lt(runs.createdAt, createdBefore),
              notExists(held),
            ),
          )
          .orderBy(asc(runs.createdAt))
          .limit(limit)
          .all();
        const events: PlatformEvent[] = [];
        for (const run of stale) {
          events.push(
            ...failRun(tx, run, {
              reason: "expired: nobody completed it in time",
              action: "run_failed",
              actorType: "system",
              actorId: "platform",
              at,
            }),
          );
        }
        return { events, failed: stale.length };
      }, IMMEDIATE);
    },

    async toolDecision({ agentId, runId, tool, at }) {
      return db.transaction((tx) => {
        const byAgent = tx
          .select({ tool: agentAllowedTools.tool })
          .from(agentAllowedTools)
          .where(and(eq(agentAllowedTools.agentId, agentId), eq(agentAllowedTools.tool, tool)))
          .get();
        const byRun = tx
          .select({ tool: runAllowedTools.tool })
          .from(runAllowedTools)
          .where(and(eq(runAllowedTools.runId, runId), eq(runAllowedTools.tool, tool)))
          .get();
        const decision = byAgent && byRun ? "allowed" : "denied";
        const action = decision === "allowed" ? "tool_allowed_but_not_implemented" : "tool_denied";
        const known = tx.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)).get();
        audit(tx, { actorType: "agent", actorId: agentId, action, runId: known ? runId : null, data: { tool }, at });
        return decision;
      }, IMMEDIATE);
    },

    async purgeIdempotency(olderThan) {
      return db
        .delete(platformIdempotencyKeys)
        .where(lt(platformIdempotencyKeys.createdAt, olderThan))
        .returning({ key: platformIdempotencyKeys.key })
        .all().length;
    },

    async pruneAudit({ olderThan, maxRows, batch }) {
      return db.transaction((tx) => {
        const keepFrom = tx
          .select({ createdAt: platformAuditLogs.createdAt })
          .from(platformAuditLogs)
          .orderBy(desc(platformAuditLogs.createdAt))
          .limit(1)
          .offset(maxRows)
          .get();
        const cutoff = Math.max(olderThan, keepFrom ? keepFrom.createdAt + 1 : 0);
        const ids = tx
          .select({ id: platformAuditLogs.id })
          .from(platformAuditLogs)
          .where(lt(platformAuditLogs.createdAt, cutoff))
          .limit(batch)
          .all()
          .map((row) => row.id);
        if (ids.length) tx.delete(platformAuditLogs).where(inArray(platformAuditLogs.id, ids)).run();
        return ids.length;
      }, IMMEDIATE);
    },
  };
}
