/** @module Who calls the platform: user keys (ahu_, ahk_ or a hub sign-in) and agent keys (aha_); mint, rotate, revoke. */
import type { Agent, NewKey, PlatformKey, PlatformStores, PlatformUser } from "../../../db/platform-stores";
import { AppError, forbidden, notFound, unauthorized } from "../../../shared/errors";
import type { HubCaller } from "../accounts";
import { HUB_KEY_PREFIX, type Secrets } from "../secrets";
import { newId } from "./text";

/** The prefix of platform user keys. */
export const USER_KEY_PREFIX = "ahu_";
/** The prefix of agent keys. */
export const AGENT_KEY_PREFIX = "aha_";

/** Key types are told apart by prefix; a 43-character key without one is an MVP key imported with its hash. */
const LEGACY_KEY = /^[A-Za-z0-9_-]{43}$/;
const KEY_TOUCH_INTERVAL_MS = 60_000;
const SEEN_INTERVAL_MS = 30_000;
/** The longest rotation grace period, in seconds. */
export const MAX_GRACE_SECONDS = 86_400;

/** The hub account a user caller acts for. */
export type HubAccount = { id: string; email: string };

/** A user caller: the platform user, the key used and, for hub keys and sign-ins, the hub account. */
export interface UserCaller {
  user: PlatformUser;
  /** The platform key id, or null for a hub key or a sign-in. */
  keyId: string | null;
  hubAccount: HubAccount | null;
  /** What the per-key rate limit counts against. */
  rateKey: string;
}

/** An agent-key caller. */
export interface AgentCaller {
  agent: Agent;
  keyId: string;
}

/** Reads the bearer token of an Authorization header (scheme case-insensitive, token trimmed). */
function bearer(header: string | null): string {
  const token = /^\s*bearer\s+(.*)$/i.exec(header ?? "")?.[1]?.trim();
  if (!token) throw unauthorized("missing bearer token");
  return token;
}

/** Runs a key lookup; a storage failure is the MVP's `500 auth lookup failed`, never a leak of its cause. */
async function lookup<T>(find: () => Promise<T>): Promise<T> {
  try {
    return await find();
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError("internal", 500, "auth lookup failed", {}, { cause });
  }
}

/** Builds the identity service. */
export function createPlatformIdentity(deps: {
  stores: PlatformStores;
  secrets: Secrets;
  /** Authenticates an aigne-hub key (accounts.authenticateKey). */
  authenticateHubKey: (key: string) => Promise<HubCaller>;
  now: () => number;
}) {
  const { stores, secrets, authenticateHubKey, now } = deps;

  /** Mints a key of the given prefix: the plain key (shown once) and what is stored. */
  function mintKey(prefix: string, name = ""): { apiKey: string; stored: NewKey } {
    const { key } = secrets.newKey(prefix);
    return { apiKey: key, stored: { id: newId(), hash: secrets.hashKey(key), prefix, name } };
  }

  /** The platform user linked to a hub account, created on first use. */
  async function linkedUser(account: HubAccount, rateKey: string): Promise<UserCaller> {
    const user = await stores.users.ensureHubUser({ newId: newId(), hubAccountId: account.id, at: now() });
    return { user, keyId: null, hubAccount: { id: account.id, email: account.email }, rateKey };
  }

  async function hubUser(token: string): Promise<UserCaller> {
    const hub = await authenticateHubKey(token).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 401) throw unauthorized("invalid token");
      throw error;
    });
    return linkedUser(hub.user, `hub:${hub.key.id}`);
  }

  /** The caller behind a signed-in browser: the hub account the session belongs to, as its linked platform user. */
  function authenticateAccount(account: HubAccount): Promise<UserCaller> {
    return lookup(() => linkedUser(account, `account:${account.id}`));
  }

  /** Authenticates a user key from the Authorization header. */
  async function authenticateUser(authorization: string | null): Promise<UserCaller> {
    const token = bearer(authorization);
    if (token.startsWith(HUB_KEY_PREFIX)) return lookup(() => hubUser(token));
    if (!token.startsWith(USER_KEY_PREFIX) && !LEGACY_KEY.test(token)) throw unauthorized("invalid token");
    const at = now();
    const found = await lookup(() => stores.users.findUserByKey(secrets.hashKey(token), at));
    if (!found) throw unauthorized("invalid token");
    if (found.key.lastUsedAt === null || found.key.lastUsedAt < at - KEY_TOUCH_INTERVAL_MS) {
      await stores.users.touchUserKey(found.key.id, at, KEY_TOUCH_INTERVAL_MS);
    }
    return { user: found.user, keyId: found.key.id, hubAccount: null, rateKey: `user:${found.key.id}` };
  }

  /** Authenticates an agent key; a disabled agent is `403 agent disabled`. */
  async function authenticateAgent(authorization: string | null): Promise<AgentCaller> {
    const token = bearer(authorization);
    if (!token.startsWith(AGENT_KEY_PREFIX) && !LEGACY_KEY.test(token)) throw unauthorized("invalid token");
    const at = now();
    const found = await lookup(() => stores.agents.findAgentByKey(secrets.hashKey(token), at));
    if (!found) throw unauthorized("invalid token");
    if (found.agent.status !== "enabled") throw forbidden("agent disabled");
    if (found.key.lastUsedAt === null || found.key.lastUsedAt < at - KEY_TOUCH_INTERVAL_MS) {
      await stores.agents.touchAgentKey(found.key.id, at, KEY_TOUCH_INTERVAL_MS);
    }
    if (found.agent.lastSeenAt === null || found.agent.lastSeenAt < at - SEEN_INTERVAL_MS) {
      await stores.agents.markSeen(found.agent.id, at, SEEN_INTERVAL_MS);
    }
    return { agent: found.agent, keyId: found.key.id };
  }

  /** Registers an anonymous user with its first key. */
  async function registerUser(registeredIp: string | null) {
    const { apiKey, stored } = mintKey(USER_KEY_PREFIX, "default");
    const user = await stores.users.createUser({ id: newId(), key: stored, registeredIp, at: now() });
    return { user, apiKey };
  }

  /** Issues a new user key; the caller's other platform keys stop working after `graceSeconds`. */
  async function rotateUserKey(userId: string, graceSeconds: number) {
    const at = now();
    const { apiKey, stored } = mintKey(USER_KEY_PREFIX, "rotated");
    const key = await stores.users.rotateUserKeys({ userId, key: stored, revokeAt: at + graceSeconds * 1000, at });
    return { apiKey, key };
  }

  /** Revokes one of the caller's keys; `404 not found` for any other id. */
  async function revokeUserKey(userId: string, keyId: string): Promise<void> {
    if (!(await stores.users.revokeUserKey({ userId, keyId, at: now() }))) throw notFound("not found");
  }

  /** The caller's platform keys, newest first, revoked ones included. */
  function listUserKeys(userId: string): Promise<PlatformKey[]> {
    return stores.users.listUserKeys(userId);
  }

  return {
    mintKey,
    authenticateUser,
    authenticateAccount,
    authenticateAgent,
    registerUser,
    rotateUserKey,
    revokeUserKey,
    listUserKeys,
  };
}

/** The identity service's type. */
export type PlatformIdentity = ReturnType<typeof createPlatformIdentity>;
