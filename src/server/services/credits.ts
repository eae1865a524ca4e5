/**
 * @module Credits: a reservation before any upstream call (from the process's credit tranches), settlement exactly
 * once, grants, redeem codes, key limits and the reconciliation of holds a crashed process left open. Amounts are
 * integer micro-credits throughout.
 */
import { hostname } from "node:os";
import type { CreditAccount, KeyLimits, LedgerEntry, Stores } from "../../db/stores";
import { AppError, invalidRequest, notFound, rateLimited } from "../../shared/errors";
import { monotonicUlids } from "../../shared/ids";
import { formatCredits, parseCredits } from "../../shared/money";
import type { Catalog } from "./catalog";
import { createCreditTranches, type Reservation } from "./credit-tranches";
import type { CallRecorder } from "./gateway/call-recorder";
import type { Secrets } from "./secrets";

const HOLD_TTL_MS = 30 * 60_000;
const HEARTBEAT_STALE_MS = 15_000;
const WINDOW_MS = 60_000;
const REDEEM_PREFIX = "ahr_";

/** The settings keys credits reads. */
export const CREDIT_SETTINGS = {
  enabled: "credits.enabled",
  paymentLink: "credits.paymentLink",
  lenient: "credits.lenient",
} as const;

/** Who pays for a call's reservation, and its worst case (the call itself is named when it settles). */
export interface HoldRequest {
  userId: string;
  keyId: string | null;
  /** The worst-case cost in micro-credits. */
  amount: bigint;
  limits?: KeyLimits;
  /** The hub's public base URL; the default top-up page hangs off it. */
  baseUrl: string;
}

/** Builds the 402 every surface renders in its own shape (AIGNE: type NOT_ENOUGH with the link). */
export function notEnoughCredits(paymentLink: string, why = "Not enough credits"): AppError {
  return new AppError("NOT_ENOUGH", 402, `${why}. Top up here: ${paymentLink}`, { details: { link: paymentLink } });
}

/** The top-up page of the hub's own web UI, used when the operator set no payment link. */
export function defaultPaymentLink(baseUrl: string): string {
  return `${baseUrl}/ui/credits`;
}

/** The start of the current UTC day and month. */
function periodStarts(at: number): { dayStart: number; monthStart: number } {
  const date = new Date(at);
  return {
    dayStart: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()),
    monthStart: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
  };
}

/**
 * Sliding one-minute windows per key: request times for requests/min, settled token counts for tokens/min.
 * Kept in memory per process; the limits are per key, so a key served by one replica is limited exactly.
 */
function createKeyWindows(now: () => number) {
  const requests = new Map<string, number[]>();
  const tokens = new Map<string, { at: number; tokens: number }[]>();
  const prune = <T extends number | { at: number }>(list: T[], at: number) => {
    while (
      list.length &&
      (typeof list[0] === "number" ? (list[0] as number) : (list[0] as { at: number }).at) <= at - WINDOW_MS
    ) {
      list.shift();
    }
  };
  return {
    /** Admits a request under the key's requests/min and tokens/min, or throws 429 with Retry-After. */
    admit(keyId: string, limits: KeyLimits): void {
      const at = now();
      if (limits.rpmLimit !== null) {
        const list = requests.get(keyId) ?? [];
        prune(list, at);
        if (list.length >= limits.rpmLimit) {
          throw rateLimited(
            `This key allows ${limits.rpmLimit} requests per minute`,
            (list[0]! + WINDOW_MS - at) / 1000,
          );
        }
        list.push(at);
        requests.set(keyId, list);
      }
      if (limits.tpmLimit !== null) {
        const list = tokens.get(keyId) ?? [];
        prune(list, at);
        const used = list.reduce((n, entry) => n + entry.tokens, 0);
        if (used >= limits.tpmLimit) {
          throw rateLimited(
            `This key allows ${limits.tpmLimit} tokens per minute`,
            (list[0]!.at + WINDOW_MS - at) / 1000,
          );
        }
      }
    },
    /** Counts the tokens a settled call used against the key's tokens/min. */
    spend(keyId: string, used: number): void {
      const list = tokens.get(keyId) ?? [];
      list.push({ at: now(), tokens: used });
      tokens.set(keyId, list);
    },
  };
}

/**
 * The credits service. `owner` identifies this serving process on the holds it places; `recorder` is the gateway's
 * group commit, which writes the captures and releases of the process's tranches in order.
 */
export function createCredits(deps: {
  stores: Stores;
  catalog: Catalog;
  secrets: Secrets;
  recorder: Pick<CallRecorder, "tranche" | "flush">;
  now?: () => number;
  owner?: string;
  pid?: number;
}) {
  // Several ids per call: the factory encodes the time once per millisecond and counts after that.
  const newId = monotonicUlids();
  const { stores, catalog, secrets, recorder, now = Date.now, owner = newId(), pid = process.pid } = deps;
  const host = hostname();
  const windows = createKeyWindows(now);
  const tranches = createCreditTranches({ stores, owner, newId, now, holdTtlMs: HOLD_TTL_MS, queue: recorder.tranche });

  async function settings() {
    const view = await catalog.view();
    return {
      enabled: view.creditsEnabled,
      paymentLink:
        typeof view.settings[CREDIT_SETTINGS.paymentLink] === "string"
          ? (view.settings[CREDIT_SETTINGS.paymentLink] as string)
          : null,
      lenient: view.settings[CREDIT_SETTINGS.lenient] === true,
    };
  }

  /** Enforces the key's request and token rates before anything else happens. */
  function admit(keyId: string | null, limits: KeyLimits | undefined): void {
    if (keyId && limits) windows.admit(keyId, limits);
  }

  /**
   * Reserves the worst-case cost; returns the reservation, or null when credits are off. Throws 402 when the available
   * balance (or 429 when the key's budget) cannot cover it; nothing is written then. In lenient mode any positive
   * available balance admits the call, with the reservation capped at what is available.
   */
  async function reserve(request: HoldRequest): Promise<Reservation | null> {
    const mode = await settings();
    if (!mode.enabled) return null;
    const at = now();
    const limits = request.limits;
    const budgeted = limits && (limits.dailyBudget !== null || limits.monthlyBudget !== null);
    const result = await tranches.reserve({
      userId: request.userId,
      // A key with a budget reserves from a tranche of its own, whose hold counts against that budget.
      keyId: budgeted ? request.keyId : null,
      amount: Number(request.amount),
      budget:
        budgeted && request.keyId
          ? { dailyBudget: limits.dailyBudget, monthlyBudget: limits.monthlyBudget, ...periodStarts(at) }
          : undefined,
      lenient: mode.lenient,
    });
    if (result.ok) return result.reservation;
    if (result.reason === "balance") throw notEnoughCredits(mode.paymentLink ?? defaultPaymentLink(request.baseUrl));
    const period = result.reason === "daily_budget" ? "daily" : "monthly";
    throw rateLimited(`This key's ${period} credit budget is used up`, secondsUntilNextPeriod(at, period));
  }

  /**
   * Settles a reservation: captures the actual cost (beyond the reservation, as far as the balance allows) and
   * returns the rest to the tranche; the capture is committed with the call record. Returns micro-credits captured.
   */
  async function settle(
    reservation: Reservation | null,
    actual: bigint,
    usage: { callId: string; keyId: string | null; tokens: number },
  ): Promise<bigint> {
    if (usage.keyId) windows.spend(usage.keyId, usage.tokens);
    if (!reservation) return actual;
    // Crash window: dying before the group commit leaves the tranche open; the next start's reconcile releases it,
    // so that call goes unbilled and nobody is ever overcharged.
    return BigInt(await tranches.settle(reservation, Number(actual), usage));
  }

  /** Grants (or with a negative amount, debits) credits once per idempotency key. */
  async function grant(input: {
    userId: string;
    amount: string;
    note?: string;
    idempotencyKey?: string;
    reference?: string;
  }) {
    const amount = parseCredits(input.amount, "amount", true);
    if (amount === 0n) throw invalidRequest("amount must not be zero", "amount");
    if (input.note && input.note.length > 500) throw invalidRequest("note must have at most 500 characters", "note");
    if (input.idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(input.idempotencyKey)) {
      throw invalidRequest("idempotency key must be 1 to 200 letters, digits or . _ : -", "idempotencyKey");
    }
    if (amount < 0n) {
      // A debit takes only what is available: credit this process holds beyond its calls' reservations counts.
      tranches.releaseUnreserved({ userId: input.userId });
      await recorder.flush();
    }
    return stores.ledger.grant({
      entryId: newId(),
      userId: input.userId,
      amount: Number(amount),
      note: input.note ?? null,
      reference: input.reference ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      at: now(),
    });
  }

  /** Creates single-use redeem codes worth `amount` credits each; the codes are returned once. */
  async function createRedeemCodes(input: {
    amount: string;
    count?: number;
    note?: string;
    createdBy?: string;
    expiresAt?: number;
  }) {
    const amount = parseCredits(input.amount);
    if (amount <= 0n) throw invalidRequest("amount must be positive", "amount");
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw invalidRequest("count must be 1 to 1000", "count");
    const codes = Array.from({ length: count }, () => secrets.newKey(REDEEM_PREFIX));
    await stores.ledger.createRedeemCodes(
      codes.map((code) => ({
        id: newId(),
        codeHash: secrets.hashKey(code.key),
        hint: code.hint,
        amount: Number(amount),
        note: input.note ?? null,
        createdBy: input.createdBy ?? null,
        at: now(),
        expiresAt: input.expiresAt ?? null,
      })),
    );
    return codes.map((code) => code.key);
  }

  /** Redeems a code for a user, once. */
  async function redeem(userId: string, code: string) {
    const result = await stores.ledger.redeem({
      codeHash: secrets.hashKey(code.trim()),
      userId,
      entryId: newId(),
      at: now(),
    });
    if (!result) throw notFound("This code is unknown, already used or expired");
    return result;
  }

  /** Registers this process and releases holds of processes that stopped: crashed on this host, or silent elsewhere. */
  async function reconcile(): Promise<number> {
    const at = now();
    await stores.ledger.heartbeat({ id: owner, host, pid, at });
    const live = (await stores.ledger.liveInstances(at - HEARTBEAT_STALE_MS)).filter(
      (instance) => instance.host !== host || instance.id === owner || processAlive(instance.pid),
    );
    return stores.ledger.releaseStale({ liveOwners: live.map((i) => i.id), at, newEntryId: newId });
  }

  /** Releases every tranche and forgets this process on a clean stop (after the calls in flight settled). */
  async function retire(): Promise<void> {
    tranches.releaseUnreserved();
    await recorder.flush();
    await stores.ledger.forgetInstance(owner);
  }

  /**
   * A user's account as the user sees it: what this process holds beyond its calls' reservations counts as available,
   * not as pending, since any call of the user may use it.
   */
  async function account(userId: string): Promise<CreditAccount> {
    const stored = await stores.ledger.account(userId);
    return { ...stored, held: stored.held - tranches.unreserved(userId) };
  }

  return {
    admit,
    reserve,
    settle,
    grant,
    createRedeemCodes,
    redeem,
    reconcile,
    retire,
    settings,
    account,
    /** Returns unreserved tranche credit to the balances (every tranche, or those idle a while); see CreditTranches. */
    releaseUnreserved: tranches.releaseUnreserved,
    /** Closes idle tranches and ages out old ones: a background task. */
    sweepTranches: tranches.sweep,
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function secondsUntilNextPeriod(at: number, period: "daily" | "monthly"): number {
  const date = new Date(at);
  const next =
    period === "daily"
      ? Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
      : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  return (next - at) / 1000;
}

/** Renders an account as `/api/user/info` reports it: decimal strings in credits, available as the balance. */
export function describeAccount(account: CreditAccount) {
  return {
    balance: formatCredits(account.balance - account.held),
    total: formatCredits(account.granted),
    grantCount: account.grantCount,
    pendingCredit: formatCredits(account.held),
  };
}

/** Renders a ledger entry for API responses: amounts as decimal credits. */
export function publicEntry(entry: LedgerEntry) {
  return {
    id: entry.id,
    kind: entry.kind,
    delta: formatCredits(entry.delta),
    amount: formatCredits(entry.amount),
    balanceAfter: formatCredits(entry.balanceAfter),
    reference: entry.reference,
    keyId: entry.keyId,
    note: entry.note,
    createdAt: new Date(entry.createdAt).toISOString(),
  };
}

/** The credits service's type. */
export type Credits = ReturnType<typeof createCredits>;
