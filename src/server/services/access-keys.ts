/** @module The CLI login (AIGNE access-key sessions): create, poll, decide in the browser, hand the key over once. */
import { randomBytes } from "node:crypto";
import type { AccessKeySession, Stores } from "../../db/stores";
import { encryptAccessKeySecret } from "../../shared/access-key-crypto";
import {
  type AccessKeyDecision,
  type AccessKeyRequestInfo,
  type AccessKeySessionBody,
  decodeAccessKeyToken,
} from "../../shared/api";
import { AppError, forbidden, notFound, rateLimited } from "../../shared/errors";
import type { Accounts } from "./accounts";
import type { Secrets } from "./secrets";

const SESSION_TYPE = "access-key-simple";
const MAX_LABEL_LENGTH = 128;
const DEFAULT_KEY_NAME = "CLI connect";

/** How long sessions live and how many one address may open; the defaults follow aigne-hub-wire.md §3. */
export interface AccessKeyPolicy {
  /** A pending session expires this long after creation, so an abandoned login fails instead of polling on. */
  pendingTtlMs: number;
  /** An approved session waits this long for the CLI's first poll. */
  pickupMs: number;
  /** The approved payload stays retrievable this long after it was first served (until DELETE). */
  servedRetentionMs: number;
  /** Creation limit per client address: at most `maxPerWindow` sessions per `windowMs`… */
  windowMs: number;
  maxPerWindow: number;
  /** …and at most this many live pending ones. */
  maxPending: number;
}

/** The production policy: 15-minute pending sessions, 10 per minute and 50 pending per address. */
export const DEFAULT_ACCESS_KEY_POLICY: AccessKeyPolicy = {
  pendingTtlMs: 15 * 60_000,
  pickupMs: 10 * 60_000,
  servedRetentionMs: 120_000,
  windowMs: 60_000,
  maxPerWindow: 10,
  maxPending: 50,
};

/** A decision made in the browser by a signed-in user on the request behind a page token. */
export interface AccessKeyDecisionRequest {
  token: string;
  userId: string;
  source?: string;
  appName?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Trims a label the CLI sent in the page URL to one line of bounded length, or null. */
function cleanLabel(value: string | undefined): string | null {
  const text = (value ?? "").replace(/\s+/g, " ").trim().slice(0, MAX_LABEL_LENGTH);
  return text || null;
}

/** A 410 for a request that existed but can no longer be decided. */
const gone = (message: string) => new AppError("not_found", 410, message);

/** The access-key service; the AIGNE routes and the approval page call it. */
export function createAccessKeys(deps: {
  stores: Stores;
  accounts: Accounts;
  secrets: Secrets;
  now?: () => number;
  policy?: Partial<AccessKeyPolicy>;
}) {
  const { stores, accounts, secrets, now = Date.now } = deps;
  const policy = { ...DEFAULT_ACCESS_KEY_POLICY, ...deps.policy };
  const store = stores.accessKeys;
  // Sessions are stored under a hash of their id, so a copy of the database cannot poll them.
  const rowId = (sessionId: string) => secrets.digest(sessionId);

  /** Opens a pending session for the CLI; the id is 256 random bits and the only secret protecting it. */
  async function start(input: { ip: string; userAgent: string }): Promise<AccessKeySessionBody> {
    const at = now();
    const sessionId = secrets.newToken();
    const session: AccessKeySession = {
      id: rowId(sessionId),
      challenge: randomBytes(24).toString("hex"),
      status: "pending",
      userId: null,
      keyId: null,
      accessKeyId: null,
      accessKeySecret: null,
      source: null,
      appName: null,
      creatorIp: input.ip,
      userAgent: input.userAgent.slice(0, 256),
      createdAt: at,
      expiresAt: at + policy.pendingTtlMs,
      decidedAt: null,
      firstServedAt: null,
    };
    const result = await store.create({
      session,
      windowMs: policy.windowMs,
      maxPerWindow: policy.maxPerWindow,
      maxPending: policy.maxPending,
    });
    if (!result.created) {
      throw rateLimited("Too many CLI login sessions from this address; try again later", (result.retryAt - at) / 1000);
    }
    return {
      id: sessionId,
      type: SESSION_TYPE,
      challenge: session.challenge,
      createdAt: iso(at),
      expireAt: iso(session.expiresAt),
    };
  }

  /** Answers a poll: the session while pending, the encrypted key once approved, 403 once denied, else 404. */
  async function poll(sessionId: string | undefined): Promise<AccessKeySessionBody> {
    const at = now();
    const row = sessionId ? await store.find(rowId(sessionId)) : null;
    if (!sessionId || !row || row.expiresAt <= at) {
      if (row?.accessKeySecret) await store.end(row.id, at);
      throw notFound("Unknown or expired access-key session");
    }
    const body: AccessKeySessionBody = { id: sessionId, type: SESSION_TYPE, challenge: row.challenge };
    if (row.status === "pending") return body;
    if (row.status === "denied") throw forbidden("Access was denied in the browser");
    if (!row.accessKeyId || !row.accessKeySecret) throw notFound("Unknown or expired access-key session");
    if (row.firstServedAt === null) {
      await store.markServed({ id: row.id, at, expiresAt: at + policy.servedRetentionMs });
    }
    return { ...body, accessKeyId: row.accessKeyId, accessKeySecret: row.accessKeySecret, expireAt: null };
  }

  /** Ends a session and erases its secret; unknown and already ended ids are fine too. */
  async function end(sessionId: string | undefined): Promise<Record<string, never>> {
    if (sessionId) await store.end(rowId(sessionId), now());
    return {};
  }

  /** Finds the pending request behind a page token: 404 when unknown, 410 when expired or already decided. */
  async function pendingRequest(token: string): Promise<AccessKeySession> {
    const sessionId = decodeAccessKeyToken(token);
    const row = sessionId ? await store.find(rowId(sessionId)) : null;
    if (!row) throw notFound("This sign-in request is unknown. Run the connect command again.");
    if (row.status !== "pending") throw gone(`This sign-in request was already ${row.status}.`);
    if (row.expiresAt <= now()) throw gone("This sign-in request has expired. Run the connect command again.");
    return row;
  }

  /** What the approval page shows: when and from where the request was made. */
  async function describe(token: string): Promise<AccessKeyRequestInfo> {
    const row = await pendingRequest(token);
    return {
      status: "pending",
      createdAt: iso(row.createdAt),
      expiresAt: iso(row.expiresAt),
      creatorIp: row.creatorIp,
      userAgent: row.userAgent,
    };
  }

  /** Mints a hub key named after `source` for the user and attaches it, encrypted, to the pending session. */
  async function approve(input: AccessKeyDecisionRequest): Promise<AccessKeyDecision> {
    const row = await pendingRequest(input.token);
    const source = cleanLabel(input.source);
    const keyName = source ?? DEFAULT_KEY_NAME;
    const issued = await accounts.issueHubKey({ userId: input.userId, name: keyName, source: "cli" });
    const at = now();
    const decided = await store.decide({
      id: row.id,
      userId: input.userId,
      source,
      appName: cleanLabel(input.appName),
      at,
      status: "approved",
      keyId: issued.record.id,
      accessKeyId: issued.record.id,
      accessKeySecret: encryptAccessKeySecret({
        secret: issued.key,
        accessKeyId: issued.record.id,
        challenge: row.challenge,
      }),
      expiresAt: at + policy.pickupMs,
    });
    if (!decided) {
      // Another tab decided first, or the session expired meanwhile: the key just minted must not stay usable.
      await accounts.revokeHubKey({ id: issued.record.id });
      throw gone("This sign-in request was decided elsewhere or has expired.");
    }
    return { status: "approved", keyName };
  }

  /** Marks the pending session denied; the CLI's next poll gets 403 and stops. */
  async function deny(input: AccessKeyDecisionRequest): Promise<AccessKeyDecision> {
    const row = await pendingRequest(input.token);
    const decided = await store.decide({
      id: row.id,
      userId: input.userId,
      source: cleanLabel(input.source),
      appName: cleanLabel(input.appName),
      at: now(),
      status: "denied",
    });
    if (!decided) throw gone("This sign-in request was decided elsewhere or has expired.");
    return { status: "denied" };
  }

  return { start, poll, end, describe, approve, deny };
}

/** The access-key service's type, as routes receive it. */
export type AccessKeys = ReturnType<typeof createAccessKeys>;
