/** @module Helpers for the agent platform's HTTP tests: a small client, users, agents, qualification, row counts. */
import { Database } from "bun:sqlite";
import { expect } from "bun:test";
import { join } from "node:path";
import type { InProcessHub } from "../../support/app";

/** One response: status, parsed JSON body (or null) and headers. */
export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary wire JSON without casts.
  body: any;
  text: string;
  headers: Headers;
}

/** Options of one call: a bearer key, a JSON value or a raw body, extra headers. */
export interface CallOptions {
  key?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
}

/** A client for one hub's platform routes. */
export type Call = (method: string, path: string, options?: CallOptions) => Promise<Reply>;

/** Builds the client. */
export function platformClient(url: string): Call {
  return async (method, path, options = {}) => {
    const headers = new Headers(options.headers);
    if (options.key) headers.set("authorization", `Bearer ${options.key}`);
    if (options.json !== undefined) headers.set("content-type", "application/json");
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: response.status, body, text, headers: response.headers };
  };
}

/** Expects `{"error": message}` with the status, exactly. */
export function expectError(reply: Reply, status: number, message: string): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: { error: message } });
}

/** A registered user. */
export interface TestUser {
  userId: string;
  key: string;
}

/** A created agent. */
export interface TestAgent {
  agentId: string;
  key: string;
  onboarding: { runId: string; workItemId: string };
}

/** Registers a user with `POST /v1/users`. */
export async function newUser(call: Call): Promise<TestUser> {
  const reply = await call("POST", "/v1/users");
  expect(reply.status).toBe(201);
  return { userId: reply.body.user_id, key: reply.body.api_key };
}

/** Creates an agent for a user. */
export async function newAgent(
  call: Call,
  userKey: string,
  body: { name?: string; tags?: string[] } = {},
): Promise<TestAgent> {
  const reply = await call("POST", "/v1/agents", { key: userKey, json: body });
  expect(reply.status).toBe(201);
  return {
    agentId: reply.body.agent_id,
    key: reply.body.api_key,
    onboarding: { runId: reply.body.onboarding.run_id, workItemId: reply.body.onboarding.work_item_id },
  };
}

/** Works one item as the lease holder: claim, message, final artifact, complete. */
export async function workItem(call: Call, agentKey: string, runId: string, workItemId: string, text = "done") {
  expect((await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: agentKey })).status).toBe(200);
  const event = await call("POST", `/v1/gateway/runs/${runId}/events`, {
    key: agentKey,
    json: { kind: "message", payload: { text: "plan" } },
  });
  expect(event.status).toBe(201);
  const artifact = await call("POST", `/v1/gateway/runs/${runId}/artifacts`, {
    key: agentKey,
    json: { kind: "final", content: text, linked_event_seq: event.body.seq },
  });
  expect(artifact.status).toBe(201);
  expect((await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: agentKey })).status).toBe(200);
}

/** A user with one agent that completed a qualified onboarding item, so the user may publish. */
export async function newPublisher(call: Call, tags: string[] = []): Promise<{ user: TestUser; agent: TestAgent }> {
  const user = await newUser(call);
  const agent = await newAgent(call, user.key, { name: "worker", tags });
  await workItem(call, agent.key, agent.onboarding.runId, agent.onboarding.workItemId, "hello, I am an agent");
  return { user, agent };
}

/** Publishes a run and returns its ids. */
export async function publish(call: Call, userKey: string, body: Record<string, unknown>) {
  const reply = await call("POST", "/v1/runs", { key: userKey, json: body });
  expect(reply.status).toBe(201);
  return { runId: reply.body.run_id as string, workItemId: reply.body.work_item_id as string, reply };
}

const PLATFORM_TABLES = [
  "platform_users",
  "platform_user_keys",
  "agents",
  "agent_api_keys",
  "agent_tags",
  "runs",
  "run_required_tags",
  "work_items",
  "work_item_offers",
  "work_item_leases",
  "run_events",
  "artifacts",
  "owner_contributions",
  "platform_audit_logs",
  "platform_idempotency_keys",
];

/** Row counts of every platform table, read straight from the hub's database file. */
export function rowCounts(hub: InProcessHub): Record<string, number> {
  const db = new Database(join(hub.dir, "data", "hub.db"), { readonly: true });
  try {
    return Object.fromEntries(
      PLATFORM_TABLES.map((table) => [
        table,
        (db.query(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

/** Runs the named lease-worker task once. */
export async function runTask(hub: InProcessHub, name: string): Promise<void> {
  const task = hub.deps.backgroundTasks.find((candidate) => candidate.name === name);
  if (!task) throw new Error(`no background task ${name}`);
  await task.run();
}

/** RFC 3339 to the second, UTC. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** A lowercase hyphenated UUID. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One SSE frame as a test sees it. */
export interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** An open SSE connection read frame by frame. */
export interface StreamReader {
  status: number;
  headers: Headers;
  /** The next frame, or null at the end of the stream. */
  next(timeoutMs?: number): Promise<Frame | null>;
  /** Drops the connection. */
  close(): void;
}

/** Opens `path` as an SSE stream. */
export async function openStream(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<StreamReader> {
  const aborter = new AbortController();
  const response = await fetch(`${url}${path}`, { headers, signal: aborter.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    status: response.status,
    headers: response.headers,
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) frame.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(":");
              const field = line.slice(0, colon) as keyof Frame;
              frame[field] = line.slice(colon + 1).replace(/^ /, "");
            }
          }
          return frame;
        }
        if (!reader) return null;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const read = await Promise.race([
          reader.read(),
          new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), left);
          }),
        ]);
        clearTimeout(timer);
        if (read === "timeout") throw new Error(`no frame within ${timeoutMs} ms`);
        if (read.done) return null;
        buffer += decoder.decode(read.value, { stream: true });
      }
    },
    close: () => aborter.abort(),
  };
}
