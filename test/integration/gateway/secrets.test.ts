/**
 * @module Provider keys never leave the hub: not in logs, error bodies, stream frames, response headers, admin API
 * answers or call records, and not in plain text in the database, even when the upstream echoes the key back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ANTHROPIC_KEY,
  CLAUDE,
  type GatewayFixture,
  GEMINI_KEY,
  GPT,
  OPENAI_KEY,
  startGateway,
  userTurn,
} from "./helpers";

const KEYS = [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY];
const GEMINI = "gemini/gemini-2.5-flash";

/** What a caller or an operator saw: status, headers and body text of each response. */
const seen: string[] = [];

let g: GatewayFixture;
/** Moved on after each request so that a failure's cooldown never hides the next scenario from the upstream. */
let offset = 0;

/** Sends a request and remembers everything the response exposed. */
async function exchange(path: string, init: { body?: unknown; method?: string; key?: string | null } = {}) {
  const response =
    init.body === undefined ? await g.get(path, { key: init.key }) : await g.post(path, init.body, { key: init.key });
  const text = await response.text();
  seen.push(`${response.status} ${JSON.stringify([...response.headers])} ${text}`);
  offset += 3_600_000;
  return { status: response.status, text };
}

const containsKey = (text: string) => KEYS.filter((key) => text.includes(key) || text.includes(key.slice(4, -4)));

beforeAll(async () => {
  g = await startGateway({ now: () => Date.now() + offset });
  // Upstreams that quote the presented key back, as OpenAI's "Incorrect API key provided: sk-…" does.
  g.mock.setScript((request) => {
    const quoted = `Incorrect API key provided: ${request.apiKey}. Authorization: Bearer ${request.apiKey}`;
    const marker = JSON.stringify(request.body ?? "");
    if (marker.includes("please-401")) return { status: 401, error: { message: quoted } };
    if (marker.includes("please-400")) return { status: 400, error: { message: quoted } };
    if (marker.includes("please-500")) return { status: 500, error: { body: `<html>${quoted}</html>` } };
    if (marker.includes("please-break"))
      return { text: "partial text", chunks: 3, streamError: { afterChunks: 1, message: quoted } };
    return { text: "fine" };
  });
  const chats = [
    (model: string, words: string) =>
      exchange("/v1/chat/completions", { body: { model, messages: [userTurn(words)] } }),
    (model: string, words: string) =>
      exchange("/v1/chat/completions", { body: { model, messages: [userTurn(words)], stream: true } }),
    (model: string, words: string) =>
      exchange("/v1/messages", { body: { model, max_tokens: 16, messages: [userTurn(words)], stream: true } }),
    (model: string, words: string) =>
      exchange("/api/v2/chat", { body: { input: { messages: [userTurn(words)], modelOptions: { model } } } }),
    (model: string, words: string) =>
      exchange("/api/v2/chat", {
        body: { input: { messages: [userTurn(words)], modelOptions: { model } }, options: { streaming: true } },
      }),
  ];
  for (const model of [GPT, CLAUDE, GEMINI]) {
    for (const words of ["please-400", "please-500", "please-break", "fine"]) {
      for (const send of chats) await send(model, words);
    }
  }
  await exchange("/v1/embeddings", { body: { model: "openai/text-embedding-3-small", input: "please-401" } });
  await exchange("/v1/messages", { body: { model: CLAUDE, max_tokens: 16, messages: [userTurn("please-401")] } });
  await exchange("/v1/models");
  await exchange("/api/ai/models", { key: null });
  await exchange(`/api/v2/status?model=${GPT}`);
  await exchange("/api/admin/providers");
  await exchange("/api/admin/models");
  await exchange("/api/admin/providers", { body: { name: "openai", type: "openai", apiKey: OPENAI_KEY } });
  await g.hub.deps.health.flush();
  await g.hub.deps.recorder.flush();
});
afterAll(() => g.stop());

describe("provider keys", () => {
  test("the scenario really exercised upstream failures that quote the key", () => {
    const quoted = g.mock.requests.filter((r) => JSON.stringify(r.body).includes("please-"));
    // 3 models × 3 failing scenarios × 5 surface variants, plus two 401s.
    expect(quoted.length).toBe(47);
    expect(new Set(g.mock.requests.map((r) => r.apiKey))).toEqual(new Set(KEYS));
    expect(seen.some((text) => text.startsWith("400 "))).toBe(true);
    expect(seen.some((text) => text.includes("event: error"))).toBe(true);
  });

  test("never appear in any response body or header", () => {
    const leaks = seen.filter((text) => containsKey(text).length > 0);
    expect(leaks).toEqual([]);
  });

  test("no response carries a stack trace or SQL either", () => {
    const offending = seen.filter((text) => /\n\s+at\s|\bSELECT\b|\bINSERT INTO\b|SQLITE_|sqlite/i.test(text));
    expect(offending).toEqual([]);
  });

  test("never appear in the hub's log lines", () => {
    expect(g.hub.logLines.length).toBeGreaterThan(0);
    expect(g.hub.logLines.filter((line) => containsKey(line).length > 0)).toEqual([]);
  });

  test("never appear in call records, credential errors or the admin API; only the masked hint is shown", async () => {
    const calls = await g.calls();
    expect(calls.some((c) => c.errorMessage)).toBe(true);
    expect(containsKey(JSON.stringify(calls))).toEqual([]);

    const response = await g.get("/api/admin/providers");
    const text = await response.text();
    expect(containsKey(text)).toEqual([]);
    const { providers } = JSON.parse(text);
    const hints = providers.flatMap((p: { credentials: { hint: string }[] }) => p.credentials.map((c) => c.hint));
    expect(hints.sort()).toEqual(["AIz…abcd", "sk-…gh78", "sk-…ww66"]);
    expect(containsKey(JSON.stringify(await g.hub.deps.stores.catalog.snapshot()))).toEqual([]);
  });

  test("are not stored in plain text anywhere in the data dir", () => {
    const dataDir = join(g.hub.dir, "data");
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => f.name)).toContain("hub.db");
    for (const file of files) {
      const bytes = readFileSync(join(file.parentPath, file.name)).toString("latin1");
      expect({ file: file.name, leaks: containsKey(bytes) }).toEqual({ file: file.name, leaks: [] });
    }
  });

  test("go upstream only in the family's auth header, never in a URL", () => {
    for (const request of g.mock.requests) {
      const url = `${request.path}?${new URLSearchParams(request.query)}`;
      expect(containsKey(url)).toEqual([]);
      const header = { openai: "authorization", anthropic: "x-api-key", gemini: "x-goog-api-key" }[request.family];
      expect(request.headers[header]).toContain(request.apiKey!);
    }
  });
});
