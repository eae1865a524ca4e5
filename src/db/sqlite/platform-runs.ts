/** @module SQLite implementation of RunStore: runs, public reads, search, and lease-bound events and artifacts. */
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gt, max, sql } from "drizzle-orm";
import { conflict, forbidden, invalidRequest, notFound } from "../../shared/errors";
import type { RunListing, RunStore } from "../platform-stores";
import type { SqliteDb } from "./client";
import { enabledAgentIds } from "./platform-agents";
import {
  appendEventRow,
  audit,
  IMMEDIATE,
  idempotent,
  personaOf,
  qualified,
  type Tx,
  toArtifact,
  toEvent,
  toRun,
} from "./platform-common";
import { failRun, isTerminalRun, runOf } from "./platform-lifecycle";
import {
  artifacts,
  runEvents,
  runRequiredTags,
  runs,
  workItemLeases,
  workItemOffers,
  workItems,
} from "./platform-schema";
import { searchCandidates } from "./platform-search";

/** The run's output version: the highest final artifact, else the highest of any kind. */
const outputOrder = sql`(${artifacts.kind} = 'final') desc, ${artifacts.version} desc`;

/**
 * The lease (expired or not, as long as it was not reclaimed) the agent holds on an item of the run; without one
 * the agent is no participant.
 */
function participantLease(tx: Tx, runId: string, agentId: string) {
  return tx
    .select({ leaseId: workItemLeases.leaseId, workItemId: workItemLeases.workItemId })
    .from(workItemLeases)
    .innerJoin(workItems, eq(workItems.id, workItemLeases.workItemId))
    .where(and(eq(workItems.runId, runId), eq(workItemLeases.agentId, agentId)))
    .orderBy(desc(workItemLeases.claimedAt))
    .get();
}

/** Checks that the agent may write to the run now, returning the run and the lease it writes under. */
function requireWritableRun(tx: Tx, runId: string, agentId: string) {
  const run = runOf(tx, runId);
  if (!run) throw forbidden("not a participant");
  if (isTerminalRun(run.status)) throw conflict("run closed");
  const lease = participantLease(tx, runId, agentId);
  if (!lease) throw forbidden("not a participant");
  return { run, lease };
}

function refOf(db: SqliteDb, runId: string): string {
  return db.select({ ref: runs.publicRef }).from(runs).where(eq(runs.id, runId)).get()?.ref ?? "";
}

/** Builds the RunStore over a drizzle handle. */
export function createSqliteRunStore(db: SqliteDb): RunStore {
  return {
    async createRun({ run, workItemId, offerAgentIds, idempotency, at }) {
      return db.transaction(
        (tx) =>
          idempotent(tx, idempotency, at, () => {
            const { requiredTags, ...fields } = run;
            const row = tx
              .insert(runs)
              .values({ ...fields, status: "created", kind: "user", createdAt: at, updatedAt: at })
              .returning()
              .get();
            if (requiredTags.length) {
              tx.insert(runRequiredTags)
                .values(requiredTags.map((tag) => ({ runId: run.id, tag, createdAt: at })))
                .run();
            }
            tx.insert(workItems)
              .values({
                id: workItemId,
                runId: run.id,
                stage: "ideation",
                kind: "draft",
                status: "offered",
                createdAt: at,
                updatedAt: at,
              })
              .run();
            const offered = enabledAgentIds(tx, offerAgentIds);
            if (offered.length) {
              tx.insert(workItemOffers)
                .values(offered.map((agentId) => ({ workItemId, agentId, createdAt: at })))
                .run();
            }
            audit(tx, {
              actorType: "user",
              actorId: run.publisherUserId,
              action: "run_created",
              runId: run.id,
              data: { run_id: run.id, initial_work_item_id: workItemId, offered: offered.length },
              at,
            });
            return { run: toRun(row), workItemId, offered: offered.length };
          }).value,
        IMMEDIATE,
      );
    },

    async findRun(key) {
      const row = db
        .select()
        .from(runs)
        .where("id" in key ? eq(runs.id, key.id) : eq(runs.publicRef, key.ref))
        .get();
      if (!row) return null;
      const requiredTags = db
        .select({ tag: runRequiredTags.tag })
        .from(runRequiredTags)
        .where(eq(runRequiredTags.runId, row.id))
        .orderBy(asc(runRequiredTags.createdAt), asc(runRequiredTags.tag))
        .all()
        .map((r) => r.tag);
      const items = db
        .select({ id: workItems.id, status: workItems.status, attempts: workItems.attempts })
        .from(workItems)
        .where(eq(workItems.runId, row.id))
        .orderBy(asc(workItems.createdAt), asc(workItems.id))
        .all();
      return { ...toRun(row), requiredTags, workItems: items };
    },

    async listRuns({ terms, limit, offset, includeSystem }) {
      const candidates = terms.length ? searchCandidates(db, terms) : undefined;
      const base = db
        .select({ id: runs.id, rank: candidates ? candidates.rank : sql<number>`0`.as("match_rank") })
        .from(runs)
        .$dynamic();
      // The page selects named fields, so joining keeps its row shape; drizzle's join type cannot see that.
      const matched = candidates
        ? (base.innerJoin(candidates, eq(candidates.runId, runs.id)) as unknown as typeof base)
        : base;
      // The page's ids first, then its details: the per-run subqueries below then run for one page, not every match.
      const page = matched
        .where(includeSystem ? undefined : eq(runs.kind, "user"))
        .orderBy(...(candidates ? [asc(candidates.rank)] : []), desc(runs.createdAt), desc(runs.id))
        .limit(limit + 1)
        .offset(offset)
        .as("page");
      const runId = qualified(runs.id);
      const rows = db
        .select({
          run: runs,
          outputVersion: sql<number>`coalesce((select ${artifacts.version} from ${artifacts} where ${artifacts.runId} = ${runId} order by ${outputOrder} limit 1), 0)`,
          outputKind: sql<string>`coalesce((select ${artifacts.kind} from ${artifacts} where ${artifacts.runId} = ${runId} order by ${outputOrder} limit 1), '')`,
          personaCount: sql<number>`(select count(distinct ${runEvents.persona}) from ${runEvents} where ${runEvents.runId} = ${runId} and ${runEvents.kind} <> 'system')`,
        })
        .from(page)
        .innerJoin(runs, eq(runs.id, page.id))
        .orderBy(asc(page.rank), desc(runs.createdAt), desc(runs.id))
        .all();
      const listed: RunListing[] = rows.slice(0, limit).map((row) => ({
        ...toRun(row.run),
        outputVersion: row.outputVersion,
        outputKind: row.outputKind as RunListing["outputKind"],
        personaCount: row.personaCount,
      }));
      return { runs: listed, hasMore: rows.length > limit };
    },

    async cancelRun({ runId, userId, at }) {
      return db.transaction((tx) => {
        const run = runOf(tx, runId);
        if (!run || run.publisherUserId !== userId) throw notFound("not found");
        if (isTerminalRun(run.status)) throw conflict("run closed");
        return {
          events: failRun(tx, run, {
            reason: "cancelled",
            action: "run_cancelled",
            actorType: "user",
            actorId: userId,
            at,
          }),
        };
      }, IMMEDIATE);
    },

    async output(runId) {
      const row = db.select().from(artifacts).where(eq(artifacts.runId, runId)).orderBy(outputOrder).limit(1).get();
      return row ? toArtifact(row, refOf(db, runId)) : null;
    },

    async artifact(runId, version) {
      const row = db
        .select()
        .from(artifacts)
        .where(and(eq(artifacts.runId, runId), eq(artifacts.version, version)))
        .get();
      return row ? toArtifact(row, refOf(db, runId)) : null;
    },

    async eventsAfter(runId, afterSeq, limit) {
      const rows = db
        .select()
        .from(runEvents)
        .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
        .orderBy(asc(runEvents.seq))
        .limit(limit)
        .all();
      if (!rows.length) return [];
      const ref = refOf(db, runId);
      return rows.map((row) => toEvent(row, ref));
    },

    async lastSeq(runId) {
      return (
        db
          .select({ seq: max(runEvents.seq) })
          .from(runEvents)
          .where(eq(runEvents.runId, runId))
          .get()?.seq ?? 0
      );
    },

    async appendEvent({ runId, agentId, kind, payload, isKeyNode, idempotency, at }) {
      return db.transaction((tx) => {
        const { value, replayed } = idempotent(tx, idempotency, at, () => {
          const { run, lease } = requireWritableRun(tx, runId, agentId);
          const event = appendEventRow(tx, {
            run,
            kind,
            persona: personaOf(tx, agentId),
            payload,
            isKeyNode,
            agentId,
            workItemId: lease.workItemId,
            at,
          });
          audit(tx, {
            actorType: "agent",
            actorId: agentId,
            action: "event_emitted",
            runId,
            data: { seq: event.seq, kind },
            at,
          });
          return event;
        });
        return { event: value, replayed };
      }, IMMEDIATE);
    },

    async submitArtifact({ runId, agentId, kind, content, linkedEventSeq, idempotency, at }) {
      return db.transaction((tx) => {
        const { value, replayed } = idempotent(tx, idempotency, at, () => {
          const { run, lease } = requireWritableRun(tx, runId, agentId);
          if (linkedEventSeq !== null) {
            const linked = tx
              .select({ seq: runEvents.seq })
              .from(runEvents)
              .where(and(eq(runEvents.runId, runId), eq(runEvents.seq, linkedEventSeq)))
              .get();
            if (!linked) throw invalidRequest("invalid linked_event_seq");
          }
          const last = tx
            .select({ version: max(artifacts.version) })
            .from(artifacts)
            .where(eq(artifacts.runId, runId))
            .get();
          const row = tx
            .insert(artifacts)
            .values({
              id: randomUUID(),
              runId,
              version: (last?.version ?? 0) + 1,
              kind,
              content,
              linkedEventSeq,
              agentId,
              persona: personaOf(tx, agentId),
              workItemId: lease.workItemId,
              leaseId: lease.leaseId,
              createdAt: at,
            })
            .returning()
            .get();
          audit(tx, {
            actorType: "agent",
            actorId: agentId,
            action: "artifact_submitted",
            runId,
            data: { version: row.version, kind },
            at,
          });
          return toArtifact(row, run.publicRef);
        });
        return { artifact: value, replayed };
      }, IMMEDIATE);
    },
  };
}
