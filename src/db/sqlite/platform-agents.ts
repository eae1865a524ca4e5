/** @module SQLite implementation of AgentStore: agents, keys, tags, onboarding seeding and the owner's views. */
import { and, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { conflict } from "../../shared/errors";
import type { AgentStore, AgentView } from "../platform-stores";
import type { SqliteDb } from "./client";
import { audit, IMMEDIATE, qualified, type Tx, tagsOf, toAgent, toKey } from "./platform-common";
import { releaseAgentLeases } from "./platform-lifecycle";
import {
  agentApiKeys,
  agents,
  agentTags,
  platformUsers,
  runs,
  workItemLeases,
  workItemOffers,
  workItems,
} from "./platform-schema";
import { liveKeyWhere, retireKeys, touchKey } from "./platform-users";

/** Reads the owner's agents with live counters; `agentId` narrows to one. */
function agentViews(db: Tx | SqliteDb, ownerId: string, at: number, agentId?: string): AgentView[] {
  const ownAgentId = qualified(agents.id);
  const rows = db
    .select({
      agent: agents,
      activeLeases: sql<number>`(select count(*) from ${workItemLeases} where ${workItemLeases.agentId} = ${ownAgentId} and ${workItemLeases.leaseExpiresAt} > ${at})`,
      completed: sql<number>`(select count(*) from ${workItems} where ${workItems.completedByAgentId} = ${ownAgentId})`,
      qualified: sql<number>`(select count(*) from ${workItems} where ${workItems.completedByAgentId} = ${ownAgentId} and ${workItems.qualified} = 1)`,
    })
    .from(agents)
    .where(and(eq(agents.ownerId, ownerId), agentId ? eq(agents.id, agentId) : undefined))
    .orderBy(desc(agents.createdAt), desc(agents.id))
    .all();
  const tags = tagsOf(
    db,
    rows.map((row) => row.agent.id),
  );
  return rows.map((row) => ({
    ...toAgent(row.agent, tags.get(row.agent.id) ?? []),
    activeLeases: row.activeLeases,
    completedWorkItems: row.completed,
    qualifiedWorkItems: row.qualified,
  }));
}

/** Whether the agent exists and belongs to the owner. */
function owns(tx: Tx | SqliteDb, ownerId: string, agentId: string): boolean {
  return Boolean(
    tx
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.id, agentId), eq(agents.ownerId, ownerId)))
      .get(),
  );
}

function insertTags(tx: Tx, agentId: string, tags: string[], at: number): void {
  if (tags.length) {
    tx.insert(agentTags)
      .values(tags.map((tag) => ({ agentId, tag, createdAt: at })))
      .onConflictDoNothing()
      .run();
  }
}

/** Builds the AgentStore over a drizzle handle. */
export function createSqliteAgentStore(db: SqliteDb): AgentStore {
  return {
    async createAgent({ agent, ownerId, key, maxAgents, onboarding, at }) {
      return db.transaction((tx) => {
        const owned = tx.select({ n: sql<number>`count(*)` }).from(agents).where(eq(agents.ownerId, ownerId)).get();
        if ((owned?.n ?? 0) >= maxAgents) throw conflict("agent limit reached");
        const { tags, ...fields } = agent;
        const row = tx
          .insert(agents)
          .values({ ...fields, ownerId, status: "enabled", createdAt: at, updatedAt: at })
          .returning()
          .get();
        tx.insert(agentApiKeys)
          .values({
            id: key.id,
            agentId: agent.id,
            keyHash: key.hash,
            keyPrefix: key.prefix,
            name: key.name,
            createdAt: at,
          })
          .run();
        insertTags(tx, agent.id, tags, at);
        tx.insert(platformUsers).values({ id: onboarding.platformUserId, createdAt: at }).onConflictDoNothing().run();
        tx.insert(runs)
          .values({
            id: onboarding.runId,
            publicRef: onboarding.runRef,
            publisherUserId: onboarding.platformUserId,
            goal: onboarding.goal,
            constraints: onboarding.constraints,
            status: "running",
            kind: "onboarding",
            onboardingAgentId: agent.id,
            createdAt: at,
            updatedAt: at,
          })
          .run();
        // One millisecond apart, so "oldest first" lists the items in the order they were seeded.
        const items = onboarding.workItemIds.map((id, i) => ({
          id,
          runId: onboarding.runId,
          stage: "onboarding",
          kind: "contribute",
          status: "offered" as const,
          createdAt: at + i,
          updatedAt: at + i,
        }));
        tx.insert(workItems).values(items).run();
        tx.insert(workItemOffers)
          .values(items.map((item) => ({ workItemId: item.id, agentId: agent.id, createdAt: at })))
          .run();
        audit(tx, {
          actorType: "user",
          actorId: ownerId,
          action: "agent_api_key_issued",
          runId: onboarding.runId,
          data: { agent_id: agent.id, key_id: key.id, onboarding_run_id: onboarding.runId },
          at,
        });
        return toAgent(row, [...tags].sort());
      }, IMMEDIATE);
    },

    async findAgentByKey(hash, at) {
      const row = db
        .select()
        .from(agentApiKeys)
        .innerJoin(agents, eq(agents.id, agentApiKeys.agentId))
        .where(and(eq(agentApiKeys.keyHash, hash), liveKeyWhere(agentApiKeys, at)))
        .get();
      if (!row) return null;
      const tags = tagsOf(db, [row.agents.id]).get(row.agents.id) ?? [];
      return { agent: toAgent(row.agents, tags), key: toKey(row.agent_api_keys) };
    },

    async touchAgentKey(id, at, minIntervalMs) {
      touchKey(db, agentApiKeys, id, at, minIntervalMs);
    },

    async markSeen(agentId, at, minIntervalMs) {
      db.update(agents)
        .set({ lastSeenAt: at })
        .where(and(eq(agents.id, agentId), sql`coalesce(${agents.lastSeenAt}, 0) < ${at - minIntervalMs}`))
        .run();
    },

    async listAgents(ownerId, at) {
      return agentViews(db, ownerId, at);
    },

    async getAgent(ownerId, agentId, at) {
      return agentViews(db, ownerId, at, agentId)[0] ?? null;
    },

    async updateAgent({ ownerId, agentId, name, description, status, action, at }) {
      return db.transaction((tx) => {
        const before = tx
          .select()
          .from(agents)
          .where(and(eq(agents.id, agentId), eq(agents.ownerId, ownerId)))
          .get();
        if (!before) return null;
        tx.update(agents)
          .set({
            ...(name !== undefined ? { name } : {}),
            ...(description !== undefined ? { description } : {}),
            ...(status !== undefined ? { status } : {}),
            updatedAt: at,
          })
          .where(eq(agents.id, agentId))
          .run();
        audit(tx, {
          actorType: "user",
          actorId: ownerId,
          action,
          data: { agent_id: agentId, ...(status !== undefined ? { status } : {}) },
          at,
        });
        const disabling = status === "disabled" && before.status !== "disabled";
        const events = disabling
          ? releaseAgentLeases(tx, { agentId, actorId: ownerId, reason: "agent disabled by its owner", at })
          : [];
        return { events };
      }, IMMEDIATE);
    },

    async deleteAgent({ ownerId, agentId, at }) {
      return db.transaction((tx) => {
        if (!owns(tx, ownerId, agentId)) return null;
        tx.delete(runs)
          .where(and(eq(runs.kind, "onboarding"), eq(runs.onboardingAgentId, agentId)))
          .run();
        const events = releaseAgentLeases(tx, { agentId, actorId: ownerId, reason: "agent deleted by its owner", at });
        tx.delete(agents).where(eq(agents.id, agentId)).run();
        audit(tx, { actorType: "user", actorId: ownerId, action: "agent_deleted", data: { agent_id: agentId }, at });
        return { events };
      }, IMMEDIATE);
    },

    async rotateAgentKeys({ ownerId, agentId, key, revokeAt, at }) {
      return db.transaction((tx) => {
        if (!owns(tx, ownerId, agentId)) return false;
        retireKeys(tx, agentApiKeys, eq(agentApiKeys.agentId, agentId), revokeAt, at);
        tx.insert(agentApiKeys)
          .values({ id: key.id, agentId, keyHash: key.hash, keyPrefix: key.prefix, name: key.name, createdAt: at })
          .run();
        audit(tx, {
          actorType: "user",
          actorId: ownerId,
          action: "agent_api_key_rotated",
          data: { agent_id: agentId, key_id: key.id, revoke_at: revokeAt },
          at,
        });
        return true;
      }, IMMEDIATE);
    },

    async replaceTags({ ownerId, agentId, tags, at }) {
      return db.transaction((tx) => {
        if (!owns(tx, ownerId, agentId)) return null;
        tx.delete(agentTags).where(eq(agentTags.agentId, agentId)).run();
        insertTags(tx, agentId, tags, at);
        tx.update(agents).set({ updatedAt: at }).where(eq(agents.id, agentId)).run();
        audit(tx, {
          actorType: "user",
          actorId: ownerId,
          action: "agent_tags_replaced",
          data: { agent_id: agentId, tags },
          at,
        });
        return tags;
      }, IMMEDIATE);
    },

    async addTag({ ownerId, agentId, tag, at }) {
      return db.transaction((tx) => {
        if (!owns(tx, ownerId, agentId)) return false;
        insertTags(tx, agentId, [tag], at);
        return true;
      }, IMMEDIATE);
    },

    async removeTag({ ownerId, agentId, tag }) {
      return db.transaction((tx) => {
        if (!owns(tx, ownerId, agentId)) return false;
        tx.delete(agentTags)
          .where(and(eq(agentTags.agentId, agentId), eq(agentTags.tag, tag)))
          .run();
        return true;
      }, IMMEDIATE);
    },

    async contributions({ ownerId, agentId, limit, offset }) {
      if (!owns(db, ownerId, agentId)) return null;
      const rows = db
        .select()
        .from(workItems)
        .where(and(eq(workItems.completedByAgentId, agentId), eq(workItems.status, "completed")))
        .orderBy(desc(workItems.completedAt), desc(workItems.id))
        .limit(limit + 1)
        .offset(offset)
        .all();
      return {
        items: rows.slice(0, limit).map((row) => ({
          workItemId: row.id,
          runId: row.runId,
          stage: row.stage,
          kind: row.kind,
          qualified: row.qualified,
          completedAt: row.completedAt ?? row.updatedAt,
        })),
        hasMore: rows.length > limit,
      };
    },

    async matchCandidates({ maxLeases, at, limit }) {
      const liveLeases = sql<number>`(select count(*) from ${workItemLeases} where ${workItemLeases.agentId} = ${qualified(agents.id)} and ${workItemLeases.leaseExpiresAt} > ${at})`;
      const rows = db
        .select({
          agentId: agents.id,
          ownerId: agents.ownerId,
          liveLeases,
          lastOfferedAt: sql<
            number | null
          >`(select max(${workItemOffers.createdAt}) from ${workItemOffers} where ${workItemOffers.agentId} = ${qualified(agents.id)})`,
        })
        .from(agents)
        .where(and(eq(agents.status, "enabled"), sql`${liveLeases} < ${maxLeases}`))
        .orderBy(agents.createdAt)
        .limit(limit)
        .all();
      const tags = tagsOf(
        db,
        rows.map((row) => row.agentId),
      );
      return rows.map((row) => ({ ...row, tags: tags.get(row.agentId) ?? [] }));
    },
  };
}

/** Agents of `ids` that are enabled, for conditional offer inserts. */
export function enabledAgentIds(tx: Tx, ids: string[]): string[] {
  if (!ids.length) return [];
  return tx
    .select({ id: agents.id })
    .from(agents)
    .where(and(inArray(agents.id, ids), eq(agents.status, "enabled")))
    .all()
    .map((row) => row.id);
}

/** Live leases an agent holds at `at`. */
export function liveLeaseCount(tx: Tx, agentId: string, at: number): number {
  return (
    tx
      .select({ n: sql<number>`count(*)` })
      .from(workItemLeases)
      .where(and(eq(workItemLeases.agentId, agentId), gt(workItemLeases.leaseExpiresAt, at)))
      .get()?.n ?? 0
  );
}
