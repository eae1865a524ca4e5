/** @module Shared set-up of the gateway integration tests: an in-process hub wired to the mock upstream, and readers. */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { ulid } from "ulid";
import type { CallRecord } from "../../../src/db/stores";
import { type MockUpstream, startMockUpstream } from "../../mocks/upstream";
import { type InProcessHub, startInProcessHub } from "../../support/app";

/** Provider keys distinctive enough that finding one anywhere a caller or operator can see is a leak. */
export const OPENAI_KEY = "sk-openai-LEAKCANARY-ab12cd34ef56gh78";
export const ANTHROPIC_KEY = "sk-ant-LEAKCANARY-zz99yy88xx77ww66";
export const GEMINI_KEY = "AIzaLEAKCANARY-gemini-0123456789abcd";

/** The chat model every surface test routes to the OpenAI-family mock. */
export const GPT = "openai/gpt-4o-mini";
/** The chat model routed to the Anthropic-family mock. */
export const CLAUDE = "anthropic/claude-sonnet-4";

/** A hub, its mock upstream, an admin user and their hub keys. */
export interface GatewayFixture {
  hub: InProcessHub;
  mock: MockUpstream;
  /** A hub key of the admin user (admin REST accepts it too). */
  key: string;
  keyId: string;
  userId: string;
  /** An OpenAI SDK client at `${hub.url}/v1`, without retries. */
  openai: OpenAI;
  /** An Anthropic SDK client at the hub's origin, without retries. */
  anthropic: Anthropic;
  /** POSTs JSON with the hub key (or `key`, or none with `key: null`). */
  post(
    path: string,
    body: unknown,
    options?: { key?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
  /** GETs with the hub key (or none with `key: null`). */
  get(path: string, options?: { key?: string | null }): Promise<Response>;
  /** Commits the queued writes and lists this hub's call records, oldest first. */
  calls(): Promise<CallRecord[]>;
  /**
   * Waits for the newest call record that satisfies `check` and was not there at the last `forgetCalls()` nor
   * returned before (streams may settle after the response ends).
   */
  waitForCall(check: (call: CallRecord) => boolean, timeoutMs?: number): Promise<CallRecord>;
  /** Makes every record written so far invisible to `waitForCall`. */
  forgetCalls(): Promise<void>;
  stop(): Promise<void>;
}

/** What `startGateway` configures. */
export interface GatewayOptions {
  env?: Record<string, string>;
  now?: () => number;
  /** Leave the catalog empty (the test configures it). */
  bare?: boolean;
}

/**
 * Starts the mock and an in-process hub, then configures providers `openai`, `anthropic` and `gemini` at the mock
 * (one credential each) and priced models: chat `openai/gpt-4o-mini`, `anthropic/claude-sonnet-4`,
 * `gemini/gemini-2.5-flash`, embedding `openai/text-embedding-3-small` and image `openai/gpt-image-1`.
 */
export async function startGateway(options: GatewayOptions = {}): Promise<GatewayFixture> {
  const mock = await startMockUpstream();
  const hub = await startInProcessHub({ env: options.env, now: options.now }).catch(async (error: unknown) => {
    await mock.stop();
    throw error;
  });
  try {
    return await configure(hub, mock, options);
  } catch (error) {
    // A fixture that fails half-way must not leave a server, a mock or a temp dir behind.
    await hub.stop();
    await mock.stop();
    throw error;
  }
}

async function configure(hub: InProcessHub, mock: MockUpstream, options: GatewayOptions): Promise<GatewayFixture> {
  const { accounts, catalog, stores } = hub.deps;
  // Straight through the store: hashing a password (argon2id) would cost every fixture most of a second.
  const { user } = await stores.accounts.upsertUser({
    newId: ulid(),
    newDid: `z${ulid()}`,
    email: "root@example.com",
    role: "admin",
    passwordHash: "!no-sign-in",
    at: Date.now(),
  });
  const issued = await accounts.issueHubKey({ userId: user.id, name: "tests", source: "admin" });
  // Credits are on by default: a balance that covers every hold these tests place.
  await hub.deps.credits.grant({ userId: user.id, amount: "1000", note: "gateway tests" });
  if (!options.bare) {
    await catalog.setProvider({ name: "openai", type: "openai", baseUrl: mock.openaiBase, apiKey: OPENAI_KEY });
    await catalog.setProvider({
      name: "anthropic",
      type: "anthropic",
      baseUrl: mock.anthropicBase,
      apiKey: ANTHROPIC_KEY,
    });
    await catalog.setProvider({ name: "gemini", type: "gemini", baseUrl: mock.geminiBase, apiKey: GEMINI_KEY });
    await catalog.setModel({ model: GPT, inputRate: "0.00000015", outputRate: "0.0000006" });
    await catalog.setModel({ model: CLAUDE, inputRate: "0.000003", outputRate: "0.000015" });
    await catalog.setModel({ model: "gemini/gemini-2.5-flash", inputRate: "0.0000003", outputRate: "0.0000025" });
    await catalog.setModel({ model: "openai/text-embedding-3-small", type: "embedding", inputRate: "0.00000002" });
    await catalog.setModel({ model: "openai/gpt-image-1", type: "image", inputRate: "0.000005", outputRate: "0.04" });
  }
  const key = issued.key;
  const post: GatewayFixture["post"] = (path, body, opts = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
    const bearer = opts.key === undefined ? key : opts.key;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    return fetch(`${hub.url}${path}`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  };
  const get: GatewayFixture["get"] = (path, opts = {}) => {
    const bearer = opts.key === undefined ? key : opts.key;
    return fetch(`${hub.url}${path}`, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
  };
  const claimed = new Set<string>();
  const calls = async () => {
    await hub.deps.flushWrites();
    const list = await hub.deps.stores.calls.list({ limit: 10_000 });
    return list.reverse();
  };
  return {
    hub,
    mock,
    key,
    keyId: issued.record.id,
    userId: user.id,
    openai: new OpenAI({ apiKey: key, baseURL: `${hub.url}/v1`, maxRetries: 0 }),
    anthropic: new Anthropic({ apiKey: key, baseURL: hub.url, maxRetries: 0 }),
    post,
    get,
    calls,
    async waitForCall(check, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const fresh = (await calls()).filter((call) => !claimed.has(call.id));
        const found = fresh.findLast(check);
        if (found) {
          claimed.add(found.id);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no matching call record among ${JSON.stringify(fresh)}`);
        await Bun.sleep(20);
      }
    },
    async forgetCalls() {
      for (const call of await calls()) claimed.add(call.id);
    },
    async stop() {
      await hub.stop();
      await mock.stop();
    },
  };
}

/** One server-sent event as a client sees it: the `event:` name (absent for plain data frames) and its data. */
export interface SseFrame {
  event?: string;
  data?: string;
  /** Set on comment lines (`: ping`). */
  comment?: string;
}

/** Splits an SSE body into frames (blank-line separated), keeping names, data and comments apart. */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (!block.trim()) continue;
    const frame: SseFrame = {};
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(":")) frame.comment = line.slice(1).trim();
      else if (line.startsWith("event:")) frame.event = line.slice(6).trim();
      else if (line.startsWith("data:"))
        frame.data = frame.data === undefined ? line.slice(5).trimStart() : `${frame.data}\n${line.slice(5)}`;
    }
    frames.push(frame);
  }
  return frames;
}

/** The JSON of every data frame. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire JSON without casts.
export function dataJson(frames: SseFrame[]): any[] {
  return frames.filter((f) => f.data !== undefined && f.data !== "[DONE]").map((f) => JSON.parse(f.data!));
}

/** Reads `count` SSE data frames from a streaming response body, then returns what was read so far. */
export async function readFrames(
  body: ReadableStream<Uint8Array>,
  count: number,
): Promise<{ reader: ReadableStreamDefaultReader<Uint8Array>; text: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while ((text.match(/\n\n/g) ?? []).length < count) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return { reader, text };
}

/** A user turn in the OpenAI wire. */
export const userTurn = (content: string) => ({ role: "user" as const, content });
