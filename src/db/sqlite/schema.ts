/** @module SQLite schema of the hub: accounts and sessions, the model catalog, call records and usage. */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** People who sign in to the hub; email is unique case-insensitively through `emailNormalized`. */
export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  did: text("did").notNull().unique(),
  email: text("email").notNull(),
  emailNormalized: text("email_normalized").notNull().unique(),
  name: text("name").notNull(),
  role: text("role", { enum: ["admin", "user"] }).notNull(),
  passwordHash: text("password_hash"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Hub API keys: only a peppered hash of the key is stored. */
export const hubKeys = sqliteTable(
  "hub_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    keyHash: text("key_hash").notNull().unique(),
    hint: text("hint").notNull(),
    name: text("name").notNull(),
    source: text("source", { enum: ["admin", "web", "cli"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    /** Limits; null means none. Budgets are micro-credits per UTC day / month. */
    rpmLimit: integer("rpm_limit"),
    tpmLimit: integer("tpm_limit"),
    dailyBudget: integer("daily_budget"),
    monthlyBudget: integer("monthly_budget"),
  },
  (table) => [index("hub_keys_user_idx").on(table.userId)],
);

/** Browser sessions; the id is a hash of the cookie token, so a database leak yields no usable cookie. */
export const webSessions = sqliteTable(
  "web_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    csrfToken: text("csrf_token").notNull(),
    ip: text("ip").notNull(),
    userAgent: text("user_agent").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("web_sessions_user_idx").on(table.userId), index("web_sessions_expiry_idx").on(table.expiresAt)],
);

/** Failed sign-ins per bucket (an email or a client address) within a window. */
export const signInThrottle = sqliteTable("sign_in_throttle", {
  bucket: text("bucket").primaryKey(),
  failures: integer("failures").notNull(),
  windowStartedAt: integer("window_started_at").notNull(),
  lockedUntil: integer("locked_until").notNull(),
});

/** Upstream providers an operator configured, addressed by name (`openai/…`). */
export const providers = sqliteTable("providers", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  type: text("type", { enum: ["openai", "openai-compatible", "anthropic", "gemini"] }).notNull(),
  baseUrl: text("base_url").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Provider API keys, AES-256-GCM encrypted; health columns are shared by every process on the database. */
export const credentials = sqliteTable(
  "credentials",
  {
    id: text("id").primaryKey(),
    providerId: text("provider_id")
      .notNull()
      .references(() => providers.id, { onDelete: "cascade" }),
    keyCiphertext: text("key_ciphertext").notNull(),
    /** Keyed hash of the key, so adding the same key twice updates instead of duplicating. */
    keyFingerprint: text("key_fingerprint").notNull(),
    hint: text("hint").notNull(),
    weight: integer("weight").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    invalidReason: text("invalid_reason"),
    cooldownUntil: integer("cooldown_until"),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    requests: integer("requests").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    lastError: text("last_error"),
    lastErrorAt: integer("last_error_at"),
    lastUsedAt: integer("last_used_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [uniqueIndex("credentials_provider_fingerprint").on(table.providerId, table.keyFingerprint)],
);

/** Models served, with their current rates in micro-credits per million tokens (per image for images). */
export const models = sqliteTable(
  "models",
  {
    id: text("id").primaryKey(),
    providerId: text("provider_id")
      .notNull()
      .references(() => providers.id, { onDelete: "cascade" }),
    model: text("model").notNull(),
    type: text("type", { enum: ["chat", "embedding", "image"] }).notNull(),
    inputRate: integer("input_rate").notNull(),
    outputRate: integer("output_rate").notNull(),
    cachedInputRate: integer("cached_input_rate"),
    maxOutputTokens: integer("max_output_tokens"),
    /** Another `provider/model` to try when every credential of this one failed before the first byte. */
    fallbackModel: text("fallback_model"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [uniqueIndex("models_provider_model").on(table.providerId, table.model)],
);

/** Every rate a model has had, so a past call's cost can be explained. */
export const modelRates = sqliteTable(
  "model_rates",
  {
    id: text("id").primaryKey(),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    inputRate: integer("input_rate").notNull(),
    outputRate: integer("output_rate").notNull(),
    cachedInputRate: integer("cached_input_rate"),
    effectiveFrom: integer("effective_from").notNull(),
  },
  (table) => [index("model_rates_model_idx").on(table.modelId, table.effectiveFrom)],
);

/** Admin-defined model names that stand for a `provider/model`. */
export const modelAliases = sqliteTable("model_aliases", {
  alias: text("alias").primaryKey(),
  target: text("target").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** Operator settings as JSON text, by key. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Change counters: every catalog or settings write bumps one in the same transaction, so caches can re-check. */
export const revisions = sqliteTable("revisions", {
  name: text("name").primaryKey(),
  value: integer("value").notNull(),
});

/** One record per model call, written off the hot path in batches. Prompts and outputs live in call_contents. */
export const modelCalls = sqliteTable(
  "model_calls",
  {
    id: text("id").primaryKey(),
    requestId: text("request_id").notNull(),
    traceId: text("trace_id"),
    userId: text("user_id").notNull(),
    keyId: text("key_id"),
    appId: text("app_id"),
    surface: text("surface").notNull(),
    type: text("type").notNull(),
    requestedModel: text("requested_model").notNull(),
    provider: text("provider"),
    model: text("model"),
    credentialId: text("credential_id"),
    status: text("status", { enum: ["success", "failed", "cancelled"] }).notNull(),
    stream: integer("stream", { mode: "boolean" }).notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cacheReadTokens: integer("cache_read_tokens").notNull(),
    cacheWriteTokens: integer("cache_write_tokens").notNull(),
    estimated: integer("estimated", { mode: "boolean" }).notNull(),
    cost: integer("cost").notNull(),
    rates: text("rates"),
    latencyMs: integer("latency_ms").notNull(),
    ttftMs: integer("ttft_ms"),
    errorType: text("error_type"),
    errorMessage: text("error_message"),
    attempts: text("attempts").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    index("model_calls_user_idx").on(table.userId, table.createdAt),
    index("model_calls_created_idx").on(table.createdAt),
  ],
);

/**
 * The request and output of one call, written with its record only while the operator's `audit.storeContent` is on;
 * deleting the call deletes them.
 */
export const callContents = sqliteTable("call_contents", {
  callId: text("call_id")
    .primaryKey()
    .references(() => modelCalls.id, { onDelete: "cascade" }),
  /** The canonical request as JSON text: messages and parameters, never headers or keys. */
  request: text("request").notNull(),
  /** The output as JSON text (text, reasoning, tool calls); null when the call produced none. */
  response: text("response"),
  createdAt: integer("created_at").notNull(),
});

/** Usage per user, model and UTC day, maintained with each batch of call records. */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    userId: text("user_id").notNull(),
    model: text("model").notNull(),
    day: text("day").notNull(),
    requests: integer("requests").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cacheReadTokens: integer("cache_read_tokens").notNull(),
    cost: integer("cost").notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.model, table.day] })],
);

/** One credit account per user; `held` is the sum of open holds, so available = balance − held. */
export const creditAccounts = sqliteTable("credit_accounts", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  balance: integer("balance").notNull(),
  held: integer("held").notNull(),
  granted: integer("granted").notNull(),
  spent: integer("spent").notNull(),
  grantCount: integer("grant_count").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Credit reserved before calls reach upstream. A `tranche` is what one serving process holds for a user (or for one
 * key with a credit budget) and reserves its calls from in memory: each call's capture draws it down, and what is left
 * is released when the tranche goes idle, its process stops, or a restart finds its process gone. A `call` hold (one
 * call's reservation, placed by builds before migration 0008) is only released now. A closed hold's row is
 * deleted (the ledger keeps its entries), so the table stays small and needs no index beyond its key (stored
 * `WITHOUT ROWID`, so that key is the table).
 */
export const creditHolds = sqliteTable("credit_holds", {
  id: text("id").primaryKey(),
  userId: text("user_id")
    .notNull()
    .references(() => users.id, { onDelete: "cascade" }),
  /** A tranche's budgeted key (its hold counts against that key's budget), or a call hold's key. */
  keyId: text("key_id"),
  /** The call a `call` hold is for; a tranche's own id. */
  callId: text("call_id").notNull(),
  amount: integer("amount").notNull(),
  kind: text("kind", { enum: ["call", "tranche"] })
    .notNull()
    .default("call"),
  /** The serving process that placed it, so a crashed process's holds can be told apart from live ones. */
  owner: text("owner").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * The append-only ledger; the balance is the sum of its signed `delta`s. Stored `WITHOUT ROWID`, clustered by user and
 * ULID (migration 0007): each entry is one B-tree write instead of a row, its key index and a by-user index, while a
 * user's entries, newest first, are one range of the table.
 */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    id: text("id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["grant", "hold", "capture", "release", "refund", "adjustment"] }).notNull(),
    /** Signed change of the balance (holds and releases change only what is available: 0 here). */
    delta: integer("delta").notNull(),
    /** The amount the entry is about: held, released, captured or granted. */
    amount: integer("amount").notNull(),
    balanceAfter: integer("balance_after").notNull(),
    reference: text("reference"),
    keyId: text("key_id"),
    idempotencyKey: text("idempotency_key"),
    note: text("note"),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.id] }),
    // Partial indexes: most entries (a call's hold, capture and release) carry no idempotency key, and only captures
    // count against a key's budget, so those entries skip the index pages they would never be looked up by.
    index("ledger_key_idx").on(table.keyId, table.createdAt).where(sql`kind = 'capture'`),
    uniqueIndex("ledger_entries_idempotency_key_unique")
      .on(table.idempotencyKey)
      .where(sql`idempotency_key IS NOT NULL`),
  ],
);

/** Single-use codes worth credits; only a hash of the code is stored. */
export const redeemCodes = sqliteTable("redeem_codes", {
  id: text("id").primaryKey(),
  codeHash: text("code_hash").notNull().unique(),
  hint: text("hint").notNull(),
  amount: integer("amount").notNull(),
  note: text("note"),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at"),
  redeemedBy: text("redeemed_by"),
  redeemedAt: integer("redeemed_at"),
});

/** Serving processes and their heartbeats: holds of a process that stopped beating are released. */
export const instances = sqliteTable("instances", {
  id: text("id").primaryKey(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  startedAt: integer("started_at").notNull(),
  heartbeatAt: integer("heartbeat_at").notNull(),
});

/** CLI access-key requests (`aigne hub connect`): the session id is stored hashed; it is the only capability. */
export const accessKeySessions = sqliteTable(
  "access_key_sessions",
  {
    id: text("id").primaryKey(),
    challenge: text("challenge").notNull(),
    status: text("status", { enum: ["pending", "approved", "denied"] }).notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    keyId: text("key_id"),
    accessKeyId: text("access_key_id"),
    /** The encrypted key as served to the CLI, kept only until it is deleted or its retrieval window ends. */
    accessKeySecret: text("access_key_secret"),
    source: text("source"),
    appName: text("app_name"),
    creatorIp: text("creator_ip").notNull(),
    userAgent: text("user_agent").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    decidedAt: integer("decided_at"),
    firstServedAt: integer("first_served_at"),
  },
  (table) => [index("access_key_sessions_ip_idx").on(table.creatorIp, table.createdAt)],
);
