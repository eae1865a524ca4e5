/** @module Shared set-up of the credits tests: an in-process hub at the mock upstream, a billed user, an admin, readers. */
import { join } from "node:path";
import { ulid } from "ulid";
import type { CallRecord, LedgerEntry } from "../../../src/db/stores";
import { type MockUpstream, startMockUpstream } from "../../mocks/upstream";
import { type InProcessHub, startInProcessHub } from "../../support/app";

/** The priced chat model every credits test calls. */
export const MODEL = "openai/gpt-4o-mini";
/** A model of the configured provider that has no rates. */
export const UNPRICED = "openai/gpt-4.1-nano";
/** Rates in credits per token, and the output cap a hold assumes when the request sets none. */
export const RATES = { inputRate: "0.000001", outputRate: "0.000002", maxOutputTokens: 100 } as const;
/** The prompt every test sends. */
export const HI = [{ role: "user", content: "Hi" }];
/**
 * The hold of one call with the prompt `HI`, in micro-credits: (16 + 2 bytes) / 2 = 9 prompt tokens at 1 micro-credit
 * plus 100 output tokens at 2 micro-credits.
 */
export const HOLD_MICRO = 209;
/** The usage the mock reports by default and what it costs at `RATES`: 10 + 20 × 2 micro-credits. */
export const USAGE = { input: 10, output: 20 } as const;
export const COST_MICRO = 50;

/** A hub at the mock upstream with an admin (`adminKey`) and a billed user without credits (`key`). */
export interface CreditsFixture {
  hub: InProcessHub;
  mock: MockUpstream;
  /** The hub's data dir, for admin commands of the binary. */
  dataDir: string;
  userId: string;
  email: string;
  key: string;
  keyId: string;
  adminKey: string;
  /** A request with the user's key (or `key`, or none with `key: null`); a body is sent as JSON. */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; key?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** The chat bodies of the two surfaces this suite drives. */
  openaiChat(stream: boolean, extra?: Record<string, unknown>): Record<string, unknown>;
  aigneChat(stream: boolean, model?: string, modelOptions?: Record<string, unknown>): Record<string, unknown>;
  /** The user's account in micro-credits. */
  account(userId?: string): ReturnType<InProcessHub["deps"]["stores"]["ledger"]["account"]>;
  /** The user's ledger entries, oldest first. */
  entries(userId?: string): Promise<LedgerEntry[]>;
  /** Commits the queued writes and lists every call record, oldest first. */
  calls(): Promise<CallRecord[]>;
  /**
   * Waits until the user holds nothing (every started call settled), committing the queued writes and returning what
   * the tranches hold beyond the calls in flight as it polls.
   */
  settled(userId?: string, timeoutMs?: number): Promise<void>;
  /** Creates another user (straight through the store) with a hub key. */
  addUser(email: string): Promise<{ userId: string; key: string; keyId: string }>;
  stop(): Promise<void>;
}

/** Starts the mock and an in-process hub, configures `openai` at the mock and prices `MODEL` at `RATES`. */
export async function startCreditsHub(options: { env?: Record<string, string> } = {}): Promise<CreditsFixture> {
  const mock = await startMockUpstream({ script: { text: "Hello there", usage: USAGE } });
  const hub = await startInProcessHub({ env: options.env });
  const { accounts, catalog, stores } = hub.deps;
  // Straight through the store: hashing a password (argon2id) would cost each user most of a second.
  const addUser = async (email: string, role: "admin" | "user" = "user") => {
    const { user } = await stores.accounts.upsertUser({
      newId: ulid(),
      newDid: `z${ulid()}`,
      email,
      role,
      passwordHash: "!no-sign-in",
      at: Date.now(),
    });
    const issued = await accounts.issueHubKey({ userId: user.id, name: "credits tests", source: "admin" });
    return { userId: user.id, key: issued.key, keyId: issued.record.id };
  };
  const admin = await addUser("root@example.com", "admin");
  const ann = await addUser("ann@example.com");
  await catalog.setProvider({
    name: "openai",
    type: "openai",
    baseUrl: mock.openaiBase,
    apiKey: "sk-test-credits-0001",
  });
  await catalog.setModel({ model: MODEL, ...RATES });

  const request: CreditsFixture["request"] = (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const bearer = opts.key === undefined ? ann.key : opts.key;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    return fetch(`${hub.url}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  };
  const calls = async () => {
    await hub.deps.flushWrites();
    return (await stores.calls.list({ limit: 10_000 })).reverse();
  };
  return {
    hub,
    mock,
    dataDir: join(hub.dir, "data"),
    userId: ann.userId,
    email: "ann@example.com",
    key: ann.key,
    keyId: ann.keyId,
    adminKey: admin.key,
    request,
    openaiChat: (stream, extra = {}) => ({ model: MODEL, messages: HI, stream, ...extra }),
    aigneChat: (stream, model = MODEL, modelOptions = {}) => ({
      input: { messages: HI, modelOptions: { model, ...modelOptions } },
      agent: "$CHAT_MODEL",
      ...(stream ? { options: { streaming: true } } : {}),
    }),
    // Settlements of answered calls are committed just after the answer; a reader sees them, as after any later call.
    account: async (userId = ann.userId) => {
      await hub.deps.flushWrites();
      return stores.ledger.account(userId);
    },
    entries: async (userId = ann.userId) => {
      await hub.deps.flushWrites();
      return (await stores.ledger.entries(userId, 100_000)).reverse();
    },
    calls,
    async settled(userId = ann.userId, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await hub.deps.flushWrites();
        if ((await stores.ledger.account(userId)).held === 0) return;
        if (Date.now() > deadline)
          throw new Error(`holds still open: ${JSON.stringify(await stores.ledger.account(userId))}`);
        await Bun.sleep(10);
      }
    },
    addUser: (email) => addUser(email),
    async stop() {
      await hub.stop();
      await mock.stop();
    },
  };
}

/** Reads an SSE body to its end and returns the JSON of its data frames (without `[DONE]`) and any `event:` names. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire JSON without casts.
export async function readSse(response: Response): Promise<{ data: any[]; events: string[]; text: string }> {
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  const data: any[] = [];
  const events: string[] = [];
  for (const block of text.split(/\n\n/)) {
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) events.push(line.slice(6).trim());
      else if (line.startsWith("data:") && line.slice(5).trim() !== "[DONE]") data.push(JSON.parse(line.slice(5)));
    }
  }
  return { data, events, text };
}

/** Sum of a list of ledger entry amounts of one kind. */
export function total(entries: LedgerEntry[], kind: LedgerEntry["kind"]): number {
  return entries.filter((e) => e.kind === kind).reduce((n, e) => n + e.amount, 0);
}

/** Polls `check` every 10 ms until it returns a value other than undefined. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
