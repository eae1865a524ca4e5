/** @module Accounts: users and passwords, sign-in with throttling, browser sessions and hub API keys. */
import { randomBytes } from "node:crypto";
import { ulid } from "ulid";
import type { HubKey, Stores, User, WebSession } from "../../db/stores";
import { invalidRequest, notFound, rateLimited, unauthorized } from "../../shared/errors";
import { formatCredits, parseCredits } from "../../shared/money";
import { HUB_KEY_PREFIX, type Secrets } from "./secrets";

/** How long a browser session lasts. */
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
const SIGN_IN_LOCK_MS = 15 * 60 * 1000;
const MAX_FAILURES_PER_EMAIL = 5;
const MAX_FAILURES_PER_ADDRESS = 30;
const KEY_TOUCH_INTERVAL_MS = 60_000;
/** Authenticated keys kept in memory; past this many, the longest-cached is dropped. */
const KEY_CACHE_SIZE = 10_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Who is calling with a hub key. */
export interface HubCaller {
  user: User;
  key: HubKey;
}

/** A new key, shown once, and its stored record. */
export interface IssuedKey {
  key: string;
  record: HubKey;
}

/** A DID-like stable public id: `z` + base58, the shape of ABT DIDs the AIGNE clients display. */
function newDid(): string {
  let out = "z";
  for (const byte of randomBytes(34)) out += BASE58[byte % 58];
  return out;
}

/** Validates the user fields of an upsert; a password has at least 8 characters. */
function validateUserInput(input: { email: string; password?: string; name?: string; role?: string }) {
  const email = input.email.trim();
  if (!EMAIL.test(email) || email.length > 254) throw invalidRequest(`invalid email "${email}"`, "email");
  if (input.password !== undefined && input.password.length < 8) {
    throw invalidRequest("password must have at least 8 characters", "password");
  }
  if (input.password !== undefined && input.password.length > 1024) {
    throw invalidRequest("password is too long", "password");
  }
  if (input.role !== undefined && input.role !== "admin" && input.role !== "user") {
    throw invalidRequest(`invalid role "${input.role}": expected admin or user`, "role");
  }
  if (input.name !== undefined && (input.name.trim() === "" || input.name.length > 128)) {
    throw invalidRequest("name must have 1 to 128 characters", "name");
  }
}

/** Reads the bearer token of an Authorization header (scheme case-insensitive, token trimmed). */
export function bearerToken(header: string | null | undefined): string | undefined {
  const match = /^\s*bearer\s+(.+)$/i.exec(header ?? "");
  const token = match?.[1]?.trim();
  return token || undefined;
}

/** The account service; admin commands, REST twins and routes all call these same functions. */
export function createAccounts(deps: {
  stores: Stores;
  secrets: Secrets;
  now?: () => number;
  /** Runs once for each user this service creates (the welcome grant). */
  onUserCreated?: (user: User) => Promise<unknown>;
}) {
  const { stores, secrets, now = Date.now, onUserCreated } = deps;
  let dummyHash: Promise<string> | undefined;
  // Authenticated keys by hash, valid while the keys revision (bumped by every key or user write) stays put.
  const callers = new Map<string, HubCaller>();
  let keysRevision: number | undefined;
  // Last-use times waiting to be written by the background worker, by key id.
  const touches = new Map<string, number>();
  const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

  /**
   * Clears the key cache when the keys revision moved. Read on every authentication (one primary-key read), so a key
   * revoked by any process, such as `admin key revoke`, is refused by the very next request.
   */
  async function checkKeysRevision(): Promise<number> {
    const revision = await stores.keys.revision();
    if (revision !== keysRevision) {
      callers.clear();
      keysRevision = revision;
    }
    return revision;
  }

  async function upsertUser(input: { email: string; password?: string; name?: string; role?: "admin" | "user" }) {
    validateUserInput(input);
    const existing = await stores.accounts.findUserByEmail(input.email);
    if (!existing && input.password === undefined) throw invalidRequest("a new user needs a password", "password");
    const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
    const result = await stores.accounts.upsertUser({
      newId: ulid(),
      newDid: newDid(),
      email: input.email,
      name: input.name?.trim(),
      role: input.role,
      passwordHash,
      at: now(),
    });
    if (result.created) await onUserCreated?.(result.user);
    return result;
  }

  async function requireUserByEmail(email: string): Promise<User> {
    const user = await stores.accounts.findUserByEmail(email);
    if (!user) throw notFound(`no user with email ${email.trim()}`);
    const { passwordHash: _, ...rest } = user;
    return rest;
  }

  /** Verifies a password with throttling per email and per client address; returns a new session token. */
  async function signIn(input: { email: string; password: string; ip: string; userAgent: string }) {
    const at = now();
    const buckets = [`email:${input.email.trim().toLowerCase()}`, `ip:${input.ip}`];
    const lockedUntil = await stores.accounts.signInLockedUntil(buckets, at);
    if (lockedUntil) throw rateLimited("Too many failed sign-ins; try again later", (lockedUntil - at) / 1000);
    const user = await stores.accounts.findUserByEmail(input.email);
    // Verify against a dummy hash for unknown emails so timing does not reveal which emails exist.
    dummyHash ??= hashPassword(secrets.newToken());
    const ok = await Bun.password.verify(input.password, user?.passwordHash ?? (await dummyHash));
    if (!user?.passwordHash || !ok) {
      for (const [bucket, max] of [
        [buckets[0]!, MAX_FAILURES_PER_EMAIL],
        [buckets[1]!, MAX_FAILURES_PER_ADDRESS],
      ] as const) {
        await stores.accounts.recordSignInFailure({
          buckets: [bucket],
          at,
          windowMs: SIGN_IN_WINDOW_MS,
          maxFailures: max,
          lockMs: SIGN_IN_LOCK_MS,
        });
      }
      throw unauthorized("Wrong email or password");
    }
    await stores.accounts.clearSignInFailures([buckets[0]!]);
    const token = secrets.newToken();
    const session: WebSession = {
      id: secrets.digest(token),
      userId: user.id,
      csrfToken: secrets.newToken(),
      createdAt: at,
      expiresAt: at + SESSION_TTL_MS,
    };
    await stores.accounts.createSession({
      ...session,
      ip: input.ip,
      userAgent: input.userAgent.slice(0, 256),
    });
    const { passwordHash: _, ...publicUser } = user;
    return { token, session, user: publicUser };
  }

  /** Resolves a session cookie token to its session and user, or null. */
  async function sessionFor(token: string | undefined) {
    if (!token) return null;
    return stores.accounts.findSession(secrets.digest(token), now());
  }

  async function signOut(token: string | undefined) {
    if (token) await stores.accounts.deleteSession(secrets.digest(token));
  }

  /** Mints a hub key for a user; the plain key is returned once and never stored. */
  async function issueHubKey(input: {
    userId: string;
    name?: string;
    source: HubKey["source"];
    expiresAt?: number | null;
  }): Promise<IssuedKey> {
    const name = (input.name ?? "").trim() || "default";
    if (name.length > 128) throw invalidRequest("key name must have at most 128 characters", "name");
    const { key, hint } = secrets.newKey(HUB_KEY_PREFIX);
    const record = await stores.keys.createHubKey({
      id: ulid(),
      userId: input.userId,
      keyHash: secrets.hashKey(key),
      hint,
      name,
      source: input.source,
      createdAt: now(),
      lastUsedAt: null,
      expiresAt: input.expiresAt ?? null,
      revokedAt: null,
    });
    return { key, record };
  }

  /**
   * Authenticates a presented hub key; unknown, revoked and expired keys are one 401. Known keys come from memory,
   * valid while the keys revision stays put; unknown ones are looked up every time,
   * so guessing fills no cache. Last use is recorded at most once a minute, by the background worker.
   */
  async function authenticateKey(key: string | undefined): Promise<HubCaller> {
    if (!key || key.length > 256) throw unauthorized();
    const at = now();
    const hash = secrets.hashKey(key);
    const revision = await checkKeysRevision();
    let found = callers.get(hash);
    if (!found) {
      found = (await stores.keys.findActiveHubKey(hash, at)) ?? undefined;
      if (!found) throw unauthorized();
      // A revision that moved during the lookup may have outdated it: use it, but do not keep it.
      if (keysRevision === revision) {
        if (callers.size >= KEY_CACHE_SIZE) callers.delete(callers.keys().next().value!);
        callers.set(hash, found);
      }
    }
    if (found.key.expiresAt !== null && found.key.expiresAt <= at) throw unauthorized();
    if (found.key.lastUsedAt === null || found.key.lastUsedAt < at - KEY_TOUCH_INTERVAL_MS) {
      found.key.lastUsedAt = at;
      touches.set(found.key.id, at);
    }
    return found;
  }

  /** Writes the queued last-use times of hub keys (the background worker's task, and shutdown). */
  async function recordKeyUse(): Promise<void> {
    const pending = [...touches];
    touches.clear();
    for (const [id, at] of pending) await stores.keys.touchHubKey(id, at, KEY_TOUCH_INTERVAL_MS);
  }

  async function revokeHubKey(input: { id: string; userId?: string }) {
    const revoked = await stores.keys.revokeHubKey({ ...input, at: now() });
    if (!revoked) throw notFound("no active key with that id");
    return revoked;
  }

  /** Sets a key's limits: whole requests/tokens per minute, budgets as decimal credits per UTC day/month; null clears. */
  async function setKeyLimits(input: {
    id: string;
    userId?: string;
    rpm?: number | null;
    tpm?: number | null;
    dailyBudget?: string | null;
    monthlyBudget?: string | null;
  }) {
    const current = await stores.keys.keyLimits(input.id);
    if (!current) throw notFound("no key with that id");
    const count = (value: number | null | undefined, field: string, fallback: number | null) => {
      if (value === undefined) return fallback;
      if (value !== null && (!Number.isInteger(value) || value < 1))
        throw invalidRequest(`${field} must be a positive whole number`, field);
      return value;
    };
    const budget = (value: string | null | undefined, field: string, fallback: number | null) => {
      if (value === undefined) return fallback;
      if (value === null) return null;
      const micro = parseCredits(value, field);
      if (micro <= 0n) throw invalidRequest(`${field} must be positive`, field);
      return Number(micro);
    };
    const limits = {
      rpmLimit: count(input.rpm, "rpm", current.rpmLimit),
      tpmLimit: count(input.tpm, "tpm", current.tpmLimit),
      dailyBudget: budget(input.dailyBudget, "dailyBudget", current.dailyBudget),
      monthlyBudget: budget(input.monthlyBudget, "monthlyBudget", current.monthlyBudget),
    };
    const updated = await stores.keys.setKeyLimits({ id: input.id, userId: input.userId, limits });
    if (!updated) throw notFound("no key with that id");
    return updated;
  }

  return {
    setKeyLimits,
    upsertUser,
    requireUserByEmail,
    signIn,
    sessionFor,
    signOut,
    issueHubKey,
    authenticateKey,
    recordKeyUse,
    revokeHubKey,
    listHubKeys: (userId: string) => stores.keys.listHubKeys(userId),
    findUser: (id: string) => stores.accounts.findUserById(id),
  };
}

/** The account service's type, as routes and admin commands receive it. */
export type Accounts = ReturnType<typeof createAccounts>;

/** Renders a user for API responses. */
export function publicUser(user: User) {
  return {
    id: user.id,
    did: user.did,
    email: user.email,
    name: user.name,
    role: user.role,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

/** Renders a key record for API responses: the hint only, never the key. */
export function publicKey(key: HubKey) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: key.id,
    name: key.name,
    hint: key.hint,
    source: key.source,
    createdAt: iso(key.createdAt),
    lastUsedAt: iso(key.lastUsedAt),
    expiresAt: iso(key.expiresAt),
    revokedAt: iso(key.revokedAt),
    limits: {
      rpm: key.limits.rpmLimit,
      tpm: key.limits.tpmLimit,
      dailyBudget: key.limits.dailyBudget === null ? null : formatCredits(key.limits.dailyBudget),
      monthlyBudget: key.limits.monthlyBudget === null ? null : formatCredits(key.limits.monthlyBudget),
    },
  };
}
