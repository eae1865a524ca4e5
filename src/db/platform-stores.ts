/** @module The agent platform's storage interfaces: promise-based, free of SQL types, each method one atomic unit. */
import type { AppError } from "../shared/errors";

/** How long an `Idempotency-Key`'s first result is replayed; older records are purged. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Where a run is in its lifecycle; `completed` and `failed` are terminal. */
export type RunStatus = "created" | "running" | "completed" | "failed";
/** Where a work item is; a lease exists iff it is `claimed`. */
export type WorkItemStatus = "offered" | "claimed" | "completed" | "failed";
/** Whether an agent may use the gateway and be offered work. */
export type AgentStatus = "enabled" | "disabled";
/** What an artifact claims to be. */
export type ArtifactKind = "draft" | "final";

/** A publisher and agent owner; `hubAccountId` links it to a hub account when it came from a hub key. */
export interface PlatformUser {
  id: string;
  hubAccountId: string | null;
  createdAt: number;
}

/** A stored user or agent key record; the key itself is never stored. */
export interface PlatformKey {
  id: string;
  /** The user or agent the key belongs to. */
  ownerId: string;
  prefix: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  /** When a rotated key stops working (the end of its grace period). */
  revokeAfter: number | null;
}

/** A freshly minted key as stores receive it: only its hash. */
export interface NewKey {
  id: string;
  hash: string;
  prefix: string;
  name: string;
}

/** An agent and its tags (sorted). */
export interface Agent {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  status: AgentStatus;
  publicRef: string;
  tags: string[];
  lastSeenAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** An agent as its owner sees it, with live counters. */
export interface AgentView extends Agent {
  activeLeases: number;
  completedWorkItems: number;
  qualifiedWorkItems: number;
}

/** A completed work item credited to an agent. */
export interface Contribution {
  workItemId: string;
  runId: string;
  stage: string;
  kind: string;
  qualified: boolean;
  completedAt: number;
}

/** An enabled agent that could be offered a work item, with what the matching policy ranks on. */
export interface MatchCandidate {
  agentId: string;
  ownerId: string;
  tags: string[];
  liveLeases: number;
  lastOfferedAt: number | null;
}

/** A published run. */
export interface Run {
  id: string;
  publicRef: string;
  publisherUserId: string;
  goal: string;
  constraints: string;
  status: RunStatus;
  kind: "user" | "onboarding";
  onboardingAgentId: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  failureReason: string | null;
}

/** A run with its required tags and its work items' states. */
export interface RunDetail extends Run {
  requiredTags: string[];
  workItems: { id: string; status: WorkItemStatus; attempts: number }[];
}

/** A run as the public list shows it. */
export interface RunListing extends Run {
  /** Version and kind of the run's output (§5.22); 0 and "" when it has none. */
  outputVersion: number;
  outputKind: ArtifactKind | "";
  personaCount: number;
}

/** A lease: one agent's exclusive, time-limited claim of a work item. */
export interface Lease {
  workItemId: string;
  leaseId: string;
  agentId: string;
  expiresAt: number;
  claimedAt: number;
  renewedAt: number | null;
}

/** A work item with its run's task statement, as an offered agent sees it; `lease` only when the caller holds it. */
export interface AgentWorkItem {
  id: string;
  runId: string;
  runRef: string;
  stage: string;
  kind: string;
  status: WorkItemStatus;
  attempts: number;
  goal: string;
  constraints: string;
  createdAt: number;
  updatedAt: number;
  lease: Lease | null;
}

/** One entry of a run's public event log. */
export interface PlatformEvent {
  runId: string;
  runRef: string;
  seq: number;
  kind: string;
  persona: string;
  payload: Record<string, unknown>;
  isKeyNode: boolean;
  agentId: string | null;
  workItemId: string | null;
  createdAt: number;
}

/** One version of a run's output. */
export interface Artifact {
  runId: string;
  runRef: string;
  version: number;
  kind: ArtifactKind;
  content: string;
  linkedEventSeq: number | null;
  agentId: string | null;
  persona: string;
  workItemId: string | null;
  createdAt: number;
}

/** The events a write appended (platform lifecycle events included), to be fanned out after commit. */
export interface Appended {
  events: PlatformEvent[];
}

/** An `Idempotency-Key` of a write: the same key and request hash within a day replay the first result. */
export interface IdempotencyInput {
  scope: string;
  key: string;
  requestHash: string;
}

/** The rules a lease transition applies. */
export interface LeaseRules {
  leaseMs: number;
  maxAttempts: number;
  maxLeasesPerAgent: number;
}

/** What a claim did: the claimed item, or the rejection to answer with (a lazy expiry may still have been written). */
export interface ClaimOutcome extends Appended {
  claimed: AgentWorkItem | null;
  rejection?: AppError;
}

/** An offered work item that has fewer offers than the participant count. */
export interface UnderOfferedItem {
  workItemId: string;
  runId: string;
  publisherUserId: string;
  requiredTags: string[];
  offeredAgentIds: string[];
}

/** Platform users, their keys and the publish gate's counters. */
export interface PlatformUserStore {
  /** Creates a user with its first key; audited as `user_api_key_issued`. */
  createUser(input: { id: string; key: NewKey; registeredIp: string | null; at: number }): Promise<PlatformUser>;
  /** Returns the platform user linked to a hub account, creating it on first use. */
  ensureHubUser(input: { newId: string; hubAccountId: string; at: number }): Promise<PlatformUser>;
  /** Finds the user of a key that is live at `at` (not revoked, not past its grace or expiry). */
  findUserByKey(hash: string, at: number): Promise<{ user: PlatformUser; key: PlatformKey } | null>;
  /** Sets a user key's last-used time, at most once per `minIntervalMs`. */
  touchUserKey(id: string, at: number, minIntervalMs: number): Promise<void>;
  /** A user's keys, newest first, revoked ones included. */
  listUserKeys(userId: string): Promise<PlatformKey[]>;
  /** Adds a key and revokes the user's other live keys at `revokeAt` (now for no grace); audited. */
  rotateUserKeys(input: { userId: string; key: NewKey; revokeAt: number; at: number }): Promise<PlatformKey>;
  /** Revokes one of the user's keys; false when it has no such live key. Audited. */
  revokeUserKey(input: { userId: string; keyId: string; at: number }): Promise<boolean>;
  /** What the publish gate reads: the user's agents (all, and enabled) and contribution counters. */
  publishGate(userId: string): Promise<{ agents: number; enabledAgents: number; completed: number; qualified: number }>;
}

/** Agents, their keys and tags, and the owner's views of them. */
export interface AgentStore {
  /**
   * Creates an agent with its key and tags and seeds its onboarding run (items offered only to it), in one
   * transaction; throws `conflict("agent limit reached")` when the owner already has `maxAgents`.
   */
  createAgent(input: {
    agent: { id: string; publicRef: string; name: string; description: string; tags: string[] };
    ownerId: string;
    key: NewKey;
    maxAgents: number;
    onboarding: {
      platformUserId: string;
      runId: string;
      runRef: string;
      goal: string;
      constraints: string;
      workItemIds: string[];
    };
    at: number;
  }): Promise<Agent>;
  /** Finds the agent of a key that is live at `at`. */
  findAgentByKey(hash: string, at: number): Promise<{ agent: Agent; key: PlatformKey } | null>;
  /** Sets an agent key's last-used time, at most once per `minIntervalMs`. */
  touchAgentKey(id: string, at: number, minIntervalMs: number): Promise<void>;
  /** Sets an agent's last-seen time, at most once per `minIntervalMs`. */
  markSeen(agentId: string, at: number, minIntervalMs: number): Promise<void>;
  /** The owner's agents, newest first, with leases live at `at`. */
  listAgents(ownerId: string, at: number): Promise<AgentView[]>;
  /** One of the owner's agents, or null. */
  getAgent(ownerId: string, agentId: string, at: number): Promise<AgentView | null>;
  /**
   * Changes name, description or status of one of the owner's agents; disabling releases its leases. Null when the
   * agent is not the owner's.
   */
  updateAgent(input: {
    ownerId: string;
    agentId: string;
    name?: string;
    description?: string;
    status?: AgentStatus;
    action: "agent_updated" | "agent_disabled";
    at: number;
  }): Promise<Appended | null>;
  /** Deletes the agent, its onboarding runs and its leases (their items go back to `offered`); null when not found. */
  deleteAgent(input: { ownerId: string; agentId: string; at: number }): Promise<Appended | null>;
  /** Adds a key and revokes the agent's other live keys at `revokeAt`; false when the agent is not the owner's. */
  rotateAgentKeys(input: {
    ownerId: string;
    agentId: string;
    key: NewKey;
    revokeAt: number;
    at: number;
  }): Promise<boolean>;
  /** Replaces the tag set; null when the agent is not the owner's. */
  replaceTags(input: { ownerId: string; agentId: string; tags: string[]; at: number }): Promise<string[] | null>;
  /** Adds one tag; false when the agent is not the owner's. */
  addTag(input: { ownerId: string; agentId: string; tag: string; at: number }): Promise<boolean>;
  /** Removes one tag (absent is fine); false when the agent is not the owner's. */
  removeTag(input: { ownerId: string; agentId: string; tag: string }): Promise<boolean>;
  /** The agent's completed work items, newest first; null when the agent is not the owner's. */
  contributions(input: {
    ownerId: string;
    agentId: string;
    limit: number;
    offset: number;
  }): Promise<{ items: Contribution[]; hasMore: boolean } | null>;
  /** Enabled agents holding fewer than `maxLeases` live leases, with what matching ranks on. */
  matchCandidates(input: { maxLeases: number; at: number; limit: number }): Promise<MatchCandidate[]>;
}

/** Runs and their public reads, events and artifacts. */
export interface RunStore {
  /**
   * Creates a user run with its one work item and offers (only to agents still enabled), in one transaction;
   * audited as `run_created`. With an idempotency key, a repeat returns the first result.
   */
  createRun(input: {
    run: {
      id: string;
      publicRef: string;
      publisherUserId: string;
      goal: string;
      constraints: string;
      requiredTags: string[];
    };
    workItemId: string;
    offerAgentIds: string[];
    idempotency?: IdempotencyInput;
    at: number;
  }): Promise<{ run: Run; workItemId: string; offered: number }>;
  /** A run by id or public ref, with tags and items. */
  findRun(key: { id: string } | { ref: string }): Promise<RunDetail | null>;
  /**
   * Public runs; every term must match (as a substring) the id or ref, goal, constraints, required tags or the start
   * of the latest artifact. Newest first; with terms of 3+ characters, the most relevant first.
   */
  listRuns(input: {
    terms: string[];
    limit: number;
    offset: number;
    includeSystem: boolean;
  }): Promise<{ runs: RunListing[]; hasMore: boolean }>;
  /** Fails the publisher's open run as cancelled; `notFound` when not theirs, `conflict("run closed")` when terminal. */
  cancelRun(input: { runId: string; userId: string; at: number }): Promise<Appended>;
  /** The run's output: the highest final artifact, else the highest of any kind. */
  output(runId: string): Promise<Artifact | null>;
  /** One artifact version. */
  artifact(runId: string, version: number): Promise<Artifact | null>;
  /** Up to `limit` events with `seq > afterSeq`, ascending. */
  eventsAfter(runId: string, afterSeq: number, limit: number): Promise<PlatformEvent[]>;
  /** The highest seq of a run (0 when it has none). */
  lastSeq(runId: string): Promise<number>;
  /**
   * Appends an agent's event (seq = max+1). The caller must hold a lease on an item of the run: `forbidden("not a
   * participant")`; a terminal run gives `conflict("run closed")`. Audited as `event_emitted`.
   */
  appendEvent(input: {
    runId: string;
    agentId: string;
    kind: string;
    payload: string;
    isKeyNode: boolean;
    idempotency?: IdempotencyInput;
    at: number;
  }): Promise<{ event: PlatformEvent; replayed: boolean }>;
  /** Stores the next artifact version under the same rules as events; audited as `artifact_submitted`. */
  submitArtifact(input: {
    runId: string;
    agentId: string;
    kind: ArtifactKind;
    content: string;
    linkedEventSeq: number | null;
    idempotency?: IdempotencyInput;
    at: number;
  }): Promise<{ artifact: Artifact; replayed: boolean }>;
}

/** Offers, claims, leases and the lifecycle transitions of work items. */
export interface WorkStore {
  /** The agent's offered items and the items it holds, oldest first. */
  poll(input: { agentId: string; limit: number }): Promise<AgentWorkItem[]>;
  /** One item offered to the agent (any status), or null when it is not offered; audited as `work_item_read`. */
  readWorkItem(input: { agentId: string; workItemId: string; at: number }): Promise<AgentWorkItem | null>;
  /** Claims the item (or, without an id, the oldest claimable offer) with a conditional insert of its lease. */
  claim(input: { agentId: string; workItemId?: string; rules: LeaseRules; at: number }): Promise<ClaimOutcome>;
  /** Extends the caller's lease up to `claimedAt + maxLifetimeMs`; `conflict("lease limit reached")` at the cap. */
  heartbeat(input: {
    agentId: string;
    workItemId: string;
    extendMs: number;
    maxLifetimeMs: number;
    at: number;
  }): Promise<Lease>;
  /** The holder gives the item back to its offer set; attempts unchanged. */
  release(input: { agentId: string; workItemId: string; reason: string | null; at: number }): Promise<Appended>;
  /** The holder reports failure: attempts++, re-offered or failed at the maximum. */
  fail(input: {
    agentId: string;
    workItemId: string;
    reason: string | null;
    maxAttempts: number;
    at: number;
  }): Promise<Appended & { status: "offered" | "failed" }>;
  /** The holder completes the item; qualified when it submitted an artifact during this lease. */
  complete(input: {
    agentId: string;
    workItemId: string;
    artifactVersion?: number;
    /** Written as a `summary` event (a key node) before the run's state changes. */
    summary?: string;
    at: number;
  }): Promise<Appended>;
  /** Deletes leases that expired before `at`: attempts++, re-offered or failed; returns what it wrote. */
  reclaimExpired(input: { at: number; maxAttempts: number; limit: number }): Promise<Appended & { reclaimed: number }>;
  /** Offered items of open runs with fewer than `participantCount` offers. */
  underOfferedItems(input: { participantCount: number; limit: number }): Promise<UnderOfferedItem[]>;
  /** Offers an offered item to enabled agents until it has `max` offers; returns how many were added. */
  addOffers(input: { workItemId: string; agentIds: string[]; max: number; at: number }): Promise<number>;
  /** Drops offers disabled agents hold on still-offered items of user runs, so top-up can fill their places. */
  pruneStaleOffers(input: { limit: number }): Promise<number>;
  /** Fails user runs nobody claimed that were created before `createdBefore`. */
  failUnclaimedRuns(input: {
    createdBefore: number;
    at: number;
    limit: number;
  }): Promise<Appended & { failed: number }>;
  /** Applies the default-deny tool policy (both allow-lists must name the tool) and audits the decision. */
  toolDecision(input: { agentId: string; runId: string; tool: string; at: number }): Promise<"denied" | "allowed">;
  /** Deletes idempotency records older than `olderThan`; returns how many. */
  purgeIdempotency(olderThan: number): Promise<number>;
  /** Deletes up to `batch` audit rows older than `olderThan` or beyond the newest `maxRows`. */
  pruneAudit(input: { olderThan: number; maxRows: number; batch: number }): Promise<number>;
}

/** Everything the agent platform stores. */
export interface PlatformStores {
  users: PlatformUserStore;
  agents: AgentStore;
  runs: RunStore;
  work: WorkStore;
}
