/** @module SQLite schema of the hub: accounts, hub keys, web sessions and sign-in throttling. */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
