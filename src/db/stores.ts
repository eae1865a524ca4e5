/** @module The storage interfaces services depend on: one per aggregate, promise-based, free of SQL types. */

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

/** Hub API keys. */
export interface KeyStore {
  /** Stores a new key record for an existing user. */
  createHubKey(input: HubKey & { keyHash: string }): Promise<HubKey>;
  /** Returns the key with that hash and its user when it is neither revoked nor expired at `at`. */
  findActiveHubKey(keyHash: string, at: number): Promise<{ key: HubKey; user: User } | null>;
  /** Sets last-used, at most once per `minIntervalMs`. */
  touchHubKey(id: string, at: number, minIntervalMs: number): Promise<void>;
  /** Lists a user's keys, newest first, revoked ones included. */
  listHubKeys(userId: string): Promise<HubKey[]>;
  /** Revokes a key (of that user, when given) once; returns the key or null when there was none to revoke. */
  revokeHubKey(input: { id: string; userId?: string; at: number }): Promise<HubKey | null>;
}

/** Everything the server opens on a data dir. */
export interface Stores {
  accounts: AccountStore;
  keys: KeyStore;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Checkpoints and closes; no call may follow. */
  close(): Promise<void>;
}
