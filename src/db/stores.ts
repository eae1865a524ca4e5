/** @module The storage interfaces services depend on: one per aggregate, promise-based, free of SQL types. */
import type { PlatformStores } from "./platform-stores";

/** A hub user as services see it. */
export interface User {
  id: string;
  did: string;
  email: string;
  name: string;
  role: "admin" | "user";
  createdAt: number;
  updatedAt: number;
}

/** A user with the password hash, for sign-in only. */
export interface UserWithPassword extends User {
  passwordHash: string | null;
}

/** A hub API key's stored record; the key itself is never stored. */
export interface HubKey {
  id: string;
  userId: string;
  hint: string;
  name: string;
  source: "admin" | "web" | "cli";
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  limits: KeyLimits;
}

/** A browser session with its user. */
export interface WebSession {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** Users, browser sessions and sign-in throttling. Each method is one atomic unit. */
export interface AccountStore {
  /** Creates the user or updates the given fields of the one with that email (case-insensitive). */
  upsertUser(input: {
    newId: string;
    newDid: string;
    email: string;
    name?: string;
    role?: "admin" | "user";
    passwordHash?: string;
    at: number;
  }): Promise<{ user: User; created: boolean }>;
  /** Finds a user by email, case-insensitively, with the password hash. */
  findUserByEmail(email: string): Promise<UserWithPassword | null>;
  /** Finds a user by id. */
  findUserById(id: string): Promise<User | null>;
  /** Lists users by email, optionally those whose email or name contains `query`. */
  listUsers(input: { query?: string; limit: number; offset: number }): Promise<User[]>;
  /** Stores a new browser session. */
  createSession(input: WebSession & { ip: string; userAgent: string }): Promise<void>;
  /** Returns the unexpired session with its user, or null. */
  findSession(id: string, at: number): Promise<{ session: WebSession; user: User } | null>;
  /** Ends a session; unknown ids are fine. */
  deleteSession(id: string): Promise<void>;
  /** Returns the latest lock deadline over the buckets, or null when none is locked at `at`. */
  signInLockedUntil(buckets: string[], at: number): Promise<number | null>;
  /**
   * Counts a failed sign-in in each bucket; a bucket reaching `maxFailures` within `windowMs` is locked for
   * `lockMs`. Returns the latest lock deadline, or null.
   */
  recordSignInFailure(input: {
    buckets: string[];
    at: number;
    windowMs: number;
    maxFailures: number;
    lockMs: number;
  }): Promise<number | null>;
  /** Forgets failures of these buckets after a successful sign-in. */
  clearSignInFailures(buckets: string[]): Promise<void>;
}

/** Hub API keys, behind a revision counter that every write to a key or to a user's identity bumps. */
export interface KeyStore {
  /** The current keys revision (cheap; the key cache polls it). */
  revision(): Promise<number>;
  /** Stores a new key record for an existing user. */
  createHubKey(input: Omit<HubKey, "limits"> & { keyHash: string; limits?: KeyLimits }): Promise<HubKey>;
  /** Returns the key with that hash and its user when it is neither revoked nor expired at `at`. */
  findActiveHubKey(keyHash: string, at: number): Promise<{ key: HubKey; user: User } | null>;
  /** Sets last-used, at most once per `minIntervalMs`. */
  touchHubKey(id: string, at: number, minIntervalMs: number): Promise<void>;
  /** Lists a user's keys, newest first, revoked ones included. */
  listHubKeys(userId: string): Promise<HubKey[]>;
  /** The limits of a key. */
  keyLimits(id: string): Promise<KeyLimits | null>;
  /** Sets the limits of a key (of that user, when given); null when there is no such key. */
  setKeyLimits(input: { id: string; userId?: string; limits: KeyLimits }): Promise<KeyLimits | null>;
  /** Revokes a key (of that user, when given) once; returns the key or null when there was none to revoke. */
  revokeHubKey(input: { id: string; userId?: string; at: number }): Promise<HubKey | null>;
}

/** A configured upstream provider. */
export interface ProviderRecord {
  id: string;
  name: string;
  type: "openai" | "openai-compatible" | "anthropic" | "gemini";
  baseUrl: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A provider credential with its shared health; the key is only ever held encrypted here. */
export interface CredentialRecord {
  id: string;
  providerId: string;
  keyCiphertext: string;
  hint: string;
  weight: number;
  enabled: boolean;
  invalidReason: string | null;
  cooldownUntil: number | null;
  consecutiveFailures: number;
  requests: number;
  errors: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

/** A served model and its current rates (micro-credits per million tokens; per image for images). */
export interface ModelRecord {
  id: string;
  providerId: string;
  model: string;
  type: "chat" | "embedding" | "image";
  inputRate: number;
  outputRate: number;
  cachedInputRate: number | null;
  maxOutputTokens: number | null;
  fallbackModel: string | null;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Everything the catalog cache holds, read in one consistent transaction. */
export interface CatalogSnapshot {
  revision: number;
  providers: ProviderRecord[];
  credentials: CredentialRecord[];
  models: ModelRecord[];
  aliases: { alias: string; target: string }[];
  settings: Record<string, unknown>;
}

/** A change to one credential's health, written without bumping the catalog revision. */
export interface CredentialHealthUpdate {
  id: string;
  cooldownUntil: number | null;
  invalidReason: string | null;
  consecutiveFailures: number;
  lastError?: string | null;
  lastErrorAt?: number | null;
}

/** Providers, credentials, models, rates with history, aliases and settings, behind one revision counter. */
export interface CatalogStore {
  /** The current catalog revision (cheap; caches poll it). */
  revision(): Promise<number>;
  /** Reads the whole catalog at one revision. */
  snapshot(): Promise<CatalogSnapshot>;
  /**
   * Creates or updates the provider with that name; with a credential, adds it, or updates its weight when the
   * same key (by fingerprint) is already there.
   */
  setProvider(input: {
    newId: string;
    name: string;
    type: ProviderRecord["type"];
    baseUrl: string;
    enabled?: boolean;
    credential?: { newId: string; ciphertext: string; fingerprint: string; hint: string; weight?: number };
    at: number;
  }): Promise<{ provider: ProviderRecord; created: boolean; credentialId?: string; credentialAdded: boolean }>;
  /** Changes a credential's weight or enabled flag; null when there is none with that id. */
  updateCredential(input: {
    id: string;
    weight?: number;
    enabled?: boolean;
    at: number;
  }): Promise<CredentialRecord | null>;
  /** Deletes a credential; false when there was none. */
  removeCredential(id: string, at: number): Promise<boolean>;
  /** Creates or updates a model of an existing provider, recording a rate history row when rates change. */
  setModel(input: {
    newId: string;
    newRateId: string;
    providerId: string;
    model: string;
    type?: ModelRecord["type"];
    inputRate?: number;
    outputRate?: number;
    cachedInputRate?: number | null;
    maxOutputTokens?: number | null;
    fallbackModel?: string | null;
    enabled?: boolean;
    at: number;
  }): Promise<{ model: ModelRecord; created: boolean }>;
  /** The rate history of a model, oldest first. */
  rateHistory(
    modelId: string,
  ): Promise<{ inputRate: number; outputRate: number; cachedInputRate: number | null; effectiveFrom: number }[]>;
  /** Sets (or with a null target removes) an alias. */
  setAlias(alias: string, target: string | null, at: number): Promise<void>;
  /** Sets a setting to a JSON value. */
  setSetting(key: string, value: unknown, at: number): Promise<void>;
  /** Persists credential health changes. */
  recordCredentialHealth(updates: CredentialHealthUpdate[]): Promise<void>;
  /** Adds request and error counts to credentials and moves last-used forward. */
  addCredentialCounters(deltas: { id: string; requests: number; errors: number; lastUsedAt: number }[]): Promise<void>;
}

/** One upstream attempt of a call. */
export interface CallAttempt {
  provider: string;
  credentialId: string | null;
  status: number | null;
  outcome: string;
  ms: number;
}

/** The audit record of one model call. */
export interface CallRecord {
  id: string;
  requestId: string;
  traceId: string | null;
  userId: string;
  keyId: string | null;
  appId: string | null;
  surface: string;
  type: "chat" | "embedding" | "image";
  requestedModel: string;
  provider: string | null;
  model: string | null;
  credentialId: string | null;
  status: "success" | "failed" | "cancelled";
  stream: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  estimated: boolean;
  /** Micro-credits debited. */
  cost: number;
  rates: string | null;
  latencyMs: number;
  ttftMs: number | null;
  errorType: string | null;
  errorMessage: string | null;
  attempts: CallAttempt[];
  createdAt: number;
}

/** What a call asked and answered, as JSON text; stored only while the operator's `audit.storeContent` is on. */
export interface CallContent {
  callId: string;
  /** The canonical request: messages and parameters, never headers or keys. */
  request: string;
  /** The output (text, reasoning, tool calls; a summary of binary output), null when there was none. */
  response: string | null;
  createdAt: number;
}

/** Filters for listing call records, newest first. */
export interface CallFilter {
  userId?: string;
  model?: string;
  status?: CallRecord["status"];
  since?: number;
  until?: number;
  limit: number;
}

/** A day of one user's usage of one model. */
export interface UsageDay {
  day: string;
  model: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cost: number;
}

/**
 * A write to an open credit tranche, applied in the gateway's group commit in the order queued: a call's capture
 * (drawn from the tranche and the balance, its one ledger entry) or the release of what is left (`amount` null: all of
 * it, and the tranche closes).
 */
export type TrancheWrite =
  | {
      kind: "capture";
      trancheId: string;
      userId: string;
      keyId: string | null;
      callId: string;
      amount: number;
      entryId: string;
      at: number;
    }
  | { kind: "release"; trancheId: string; amount: number | null; entryId: string; at: number };

/** Call records and their daily aggregates. */
export interface CallStore {
  /**
   * Applies the tranche writes in order, inserts the records with their contents and folds them into the daily usage,
   * all in one transaction: the gateway's group commit.
   */
  commit(batch: { tranches: TrancheWrite[]; records: CallRecord[]; contents: CallContent[] }): Promise<void>;
  /** Lists records matching the filter, newest first. */
  list(filter: CallFilter): Promise<CallRecord[]>;
  /** One record by id with its stored content (null when none was stored), or null when there is no such call. */
  find(id: string): Promise<{ record: CallRecord; content: CallContent | null } | null>;
  /** A user's usage per day and model from `sinceDay` (YYYY-MM-DD) on. */
  usageByDay(userId: string, sinceDay: string): Promise<UsageDay[]>;
  /**
   * Deletes up to `batch` records (with their contents) older than `olderThan` or beyond the newest `maxRows`; returns
   * how many.
   */
  prune(input: { olderThan: number; maxRows: number; batch: number }): Promise<number>;
}

/** A user's credit position in micro-credits; available = balance − held. */
export interface CreditAccount {
  userId: string;
  balance: number;
  held: number;
  granted: number;
  spent: number;
  grantCount: number;
}

/** An open credit hold (a closed one exists only as its ledger entries). */
export interface CreditHold {
  id: string;
  userId: string;
  keyId: string | null;
  callId: string;
  amount: number;
  kind: "call" | "tranche";
  owner: string;
  createdAt: number;
  expiresAt: number;
}

/** One ledger entry; `delta` is its signed effect on the balance. */
export interface LedgerEntry {
  id: string;
  userId: string;
  kind: "grant" | "hold" | "capture" | "release" | "refund" | "adjustment";
  delta: number;
  amount: number;
  balanceAfter: number;
  reference: string | null;
  keyId: string | null;
  idempotencyKey: string | null;
  note: string | null;
  createdAt: number;
}

/** Per-key limits and what the key already spent in the current UTC day and month. */
export interface KeyBudget {
  dailyBudget: number | null;
  monthlyBudget: number | null;
  dayStart: number;
  monthStart: number;
}

/** Balances, holds and the ledger. Amounts are integer micro-credits; each method is one atomic unit. */
export interface LedgerStore {
  /** The account of a user (zeros when it has none yet). */
  account(userId: string): Promise<CreditAccount>;
  /**
   * Adds to a tranche (opening it when `trancheId` is new) what balance − held, and the budgets of the tranche's key
   * counting what it holds, can cover: `wanted`, or less but at least `needed`; writes the hold entry of what it
   * added. Returns `{ok: false, reason}` and writes nothing when not even `needed` is covered.
   */
  growTranche(input: {
    trancheId: string;
    userId: string;
    keyId: string | null;
    needed: number;
    wanted: number;
    owner: string;
    entryId: string;
    at: number;
    expiresAt: number;
    budget?: KeyBudget;
  }): Promise<
    | { ok: true; granted: number }
    | { ok: false; reason: "balance" | "daily_budget" | "monthly_budget"; available: number }
  >;
  /** Releases open holds placed by owners not in `liveOwners` or past their expiry; returns how many. */
  releaseStale(input: { liveOwners: string[]; at: number; newEntryId: () => string }): Promise<number>;
  /** Applies a grant (negative: a debit, never below the available amount) once per idempotency key. */
  grant(input: {
    entryId: string;
    userId: string;
    amount: number;
    note: string | null;
    reference: string | null;
    idempotencyKey: string | null;
    at: number;
  }): Promise<{ applied: boolean; entry: LedgerEntry; account: CreditAccount }>;
  /** A user's ledger entries, newest first (their ULIDs descending), from just older than the entry id `before`. */
  entries(userId: string, limit: number, before?: string): Promise<LedgerEntry[]>;
  /** Sum of deltas over a user's ledger (for checking it equals the stored balance). */
  ledgerBalance(userId: string): Promise<number>;
  /** Registers a serving process or refreshes its heartbeat. */
  heartbeat(input: { id: string; host: string; pid: number; at: number }): Promise<void>;
  /** Serving processes whose heartbeat is newer than `since`, with their host and pid. */
  liveInstances(since: number): Promise<{ id: string; host: string; pid: number }[]>;
  /** Removes a serving process's row when it stops cleanly. */
  forgetInstance(id: string): Promise<void>;
  /** Creates redeem codes (hashes only). */
  createRedeemCodes(
    codes: {
      id: string;
      codeHash: string;
      hint: string;
      amount: number;
      note: string | null;
      createdBy: string | null;
      at: number;
      expiresAt: number | null;
    }[],
  ): Promise<void>;
  /** Redeems a code once for a user, granting its amount in the same transaction; null when unknown, used or expired. */
  redeem(input: {
    codeHash: string;
    userId: string;
    entryId: string;
    at: number;
  }): Promise<{ amount: number; account: CreditAccount } | null>;
}

/** A CLI access-key request as the AIGNE protocol needs it. */
export interface AccessKeySession {
  id: string;
  challenge: string;
  status: "pending" | "approved" | "denied";
  userId: string | null;
  keyId: string | null;
  accessKeyId: string | null;
  accessKeySecret: string | null;
  source: string | null;
  appName: string | null;
  creatorIp: string;
  userAgent: string;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  firstServedAt: number | null;
}

/** The decision written onto a pending access-key session. */
export type AccessKeyDecisionInput = {
  id: string;
  userId: string;
  source: string | null;
  appName: string | null;
  at: number;
} & (
  | { status: "approved"; keyId: string; accessKeyId: string; accessKeySecret: string; expiresAt: number }
  | { status: "denied" }
);

/** CLI access-key sessions, stored under the SHA-256 of their id. Each method is one atomic unit. */
export interface AccessKeyStore {
  /**
   * Drops sessions expired for longer than `windowMs` and erases secrets of expired ones, then stores the new pending
   * session unless its creator's address made `maxPerWindow` sessions within `windowMs` or holds `maxPending` live
   * pending ones; then nothing is written and `retryAt` says when a slot frees up.
   */
  create(input: {
    session: AccessKeySession;
    windowMs: number;
    maxPerWindow: number;
    maxPending: number;
  }): Promise<{ created: true } | { created: false; retryAt: number }>;
  /** The session with that id whatever its state, or null. */
  find(id: string): Promise<AccessKeySession | null>;
  /** Decides a session that is pending and unexpired at `at`, once; null when it is not. */
  decide(input: AccessKeyDecisionInput): Promise<AccessKeySession | null>;
  /** Records the first serving of an approved payload and pulls the expiry in to `expiresAt`; later calls change nothing. */
  markServed(input: { id: string; at: number; expiresAt: number }): Promise<AccessKeySession | null>;
  /** Ends a session at `at`: it expires and its stored secret is erased; unknown ids are fine. */
  end(id: string, at: number): Promise<void>;
}

/** Per-key limits as set by the key's owner or an admin. */
export interface KeyLimits {
  rpmLimit: number | null;
  tpmLimit: number | null;
  dailyBudget: number | null;
  monthlyBudget: number | null;
}

/** Everything the server opens on a data dir. */
export interface Stores {
  accounts: AccountStore;
  keys: KeyStore;
  catalog: CatalogStore;
  calls: CallStore;
  ledger: LedgerStore;
  accessKeys: AccessKeyStore;
  /** The agent work platform's stores. */
  platform: PlatformStores;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Copies the write-ahead log into the database without waiting for readers (the server's background worker). */
  checkpoint(): Promise<void>;
  /** Checkpoints and closes; no call may follow. */
  close(): Promise<void>;
}
