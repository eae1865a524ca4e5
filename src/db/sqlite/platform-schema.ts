/** @module SQLite schema of the agent work platform: platform users, agents, runs, work items, leases, events, artifacts. */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./schema";

/** Publishers and agent owners; a hub account links to at most one (created on first use of its hub key). */
export const platformUsers = sqliteTable("platform_users", {
  id: text("id").primaryKey(),
  hubAccountId: text("hub_account_id")
    .unique()
    .references(() => users.id, { onDelete: "cascade" }),
  registeredIp: text("registered_ip"),
  createdAt: integer("created_at").notNull(),
});

/** User keys (`ahu_…`), stored as peppered hashes; `revoke_after` is the end of a rotation grace period. */
export const platformUserKeys = sqliteTable(
  "platform_user_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => platformUsers.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    name: text("name").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    revokeAfter: integer("revoke_after"),
  },
  (table) => [
    uniqueIndex("platform_user_keys_hash_live").on(table.keyHash).where(sql`revoked_at IS NULL`),
    index("platform_user_keys_hash_idx").on(table.keyHash),
    index("platform_user_keys_user_idx").on(table.userId),
  ],
);

/** Automated workers owned by a platform user. */
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => platformUsers.id, { onDelete: "cascade" }),
    name: text("name").notNull().default(""),
    description: text("description").notNull().default(""),
    status: text("status", { enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    version: text("version").notNull().default("v1"),
    publicRef: text("public_ref").notNull().unique(),
    lastSeenAt: integer("last_seen_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("agents_owner_idx").on(table.ownerId), index("agents_status_idx").on(table.status)],
);

/** Agent keys (`aha_…`), the same scheme as user keys. */
export const agentApiKeys = sqliteTable(
  "agent_api_keys",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    name: text("name").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    revokeAfter: integer("revoke_after"),
  },
  (table) => [
    uniqueIndex("agent_api_keys_hash_live").on(table.keyHash).where(sql`revoked_at IS NULL`),
    index("agent_api_keys_hash_idx").on(table.keyHash),
    index("agent_api_keys_agent_idx").on(table.agentId),
  ],
);

/** An agent's tags: matching preferences and the source of its persona. */
export const agentTags = sqliteTable(
  "agent_tags",
  {
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    tag: text("tag").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.agentId, table.tag] }), index("agent_tags_tag_idx").on(table.tag)],
);

/** Tasks published by users (`kind='user'`) or seeded by the platform for a new agent (`kind='onboarding'`). */
export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    publicRef: text("public_ref").notNull().unique(),
    publisherUserId: text("publisher_user_id")
      .notNull()
      .references(() => platformUsers.id, { onDelete: "cascade" }),
    goal: text("goal").notNull(),
    constraints: text("constraints").notNull().default(""),
    status: text("status", { enum: ["created", "running", "completed", "failed"] }).notNull(),
    kind: text("kind", { enum: ["user", "onboarding"] }).notNull(),
    onboardingAgentId: text("onboarding_agent_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
    failureReason: text("failure_reason"),
  },
  (table) => [
    index("runs_status_idx").on(table.status),
    index("runs_created_idx").on(table.createdAt),
    index("runs_publisher_idx").on(table.publisherUserId),
    index("runs_onboarding_agent_idx").on(table.onboardingAgentId),
  ],
);

/** Tags a run prefers in its participants. */
export const runRequiredTags = sqliteTable(
  "run_required_tags",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    tag: text("tag").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.tag] })],
);

/** Units of work of a run; a lease row exists iff the status is `claimed`. */
export const workItems = sqliteTable(
  "work_items",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    stage: text("stage").notNull(),
    kind: text("kind").notNull(),
    status: text("status", { enum: ["offered", "claimed", "completed", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    summary: text("summary"),
    completedByAgentId: text("completed_by_agent_id"),
    qualified: integer("qualified", { mode: "boolean" }).notNull().default(false),
    completedAt: integer("completed_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    index("work_items_status_idx").on(table.status),
    index("work_items_run_idx").on(table.runId),
    index("work_items_completed_by_idx").on(table.completedByAgentId, table.completedAt),
  ],
);

/** Which agents may see and claim which work items: the run's participants. */
export const workItemOffers = sqliteTable(
  "work_item_offers",
  {
    workItemId: text("work_item_id")
      .notNull()
      .references(() => workItems.id, { onDelete: "cascade" }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.workItemId, table.agentId] }),
    index("work_item_offers_agent_idx").on(table.agentId, table.createdAt),
  ],
);

/** The claim mutex: the primary key admits one lease per work item; `lease_id` names one claim. */
export const workItemLeases = sqliteTable(
  "work_item_leases",
  {
    workItemId: text("work_item_id")
      .primaryKey()
      .references(() => workItems.id, { onDelete: "cascade" }),
    leaseId: text("lease_id").notNull(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    leaseExpiresAt: integer("lease_expires_at").notNull(),
    claimedAt: integer("claimed_at").notNull(),
    renewedAt: integer("renewed_at"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    index("work_item_leases_agent_idx").on(table.agentId),
    index("work_item_leases_expiry_idx").on(table.leaseExpiresAt),
  ],
);

/** A run's public, gapless event log; `seq` is allocated as max+1 inside one write transaction. */
export const runEvents = sqliteTable(
  "run_events",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    kind: text("kind").notNull(),
    persona: text("persona").notNull(),
    payload: text("payload").notNull().default("{}"),
    isKeyNode: integer("is_key_node", { mode: "boolean" }).notNull(),
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    workItemId: text("work_item_id"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [uniqueIndex("run_events_run_seq").on(table.runId, table.seq)],
);

/** Versioned text outputs of a run; versions are gapless per run. */
export const artifacts = sqliteTable(
  "artifacts",
  {
    id: text("id").primaryKey(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    kind: text("kind", { enum: ["draft", "final"] }).notNull(),
    content: text("content").notNull(),
    linkedEventSeq: integer("linked_event_seq"),
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    persona: text("persona").notNull(),
    workItemId: text("work_item_id"),
    leaseId: text("lease_id"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("artifacts_run_version").on(table.runId, table.version),
    index("artifacts_lease_idx").on(table.leaseId),
  ],
);

/** Completed (and qualified) work items credited to an owner; feeds the publish gate. */
export const ownerContributions = sqliteTable("owner_contributions", {
  ownerId: text("owner_id")
    .primaryKey()
    .references(() => platformUsers.id, { onDelete: "cascade" }),
  completedWorkItems: integer("completed_work_items").notNull().default(0),
  qualifiedWorkItems: integer("qualified_work_items").notNull().default(0),
  updatedAt: integer("updated_at").notNull(),
});

/** Audit rows, written in the same transaction as the change they record. */
export const platformAuditLogs = sqliteTable(
  "platform_audit_logs",
  {
    id: text("id").primaryKey(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    runId: text("run_id"),
    data: text("data").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    index("platform_audit_actor_idx").on(table.actorType, table.actorId),
    index("platform_audit_run_idx").on(table.runId),
    index("platform_audit_created_idx").on(table.createdAt),
  ],
);

/** Tools an agent may invoke; no API writes them yet (default deny). */
export const agentAllowedTools = sqliteTable(
  "agent_allowed_tools",
  {
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    tool: text("tool").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.agentId, table.tool] })],
);

/** Tools a run allows; no API writes them yet (default deny). */
export const runAllowedTools = sqliteTable(
  "run_allowed_tools",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    tool: text("tool").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.runId, table.tool] })],
);

/** Stored results of retried writes (`Idempotency-Key`), purged after a day. */
export const platformIdempotencyKeys = sqliteTable(
  "platform_idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    responseBody: text("response_body").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.key] }),
    index("platform_idempotency_created_idx").on(table.createdAt),
  ],
);
