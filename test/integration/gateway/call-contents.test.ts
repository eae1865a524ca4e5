/**
 * @module Storing prompts and outputs (`audit.storeContent`): off by default, turned on over admin REST or the admin
 * command, written with the call record, shown only to the call's owner and admins, pruned with the record, and
 * never holding a provider key.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ulid } from "ulid";
import { openStores } from "../../../src/db/open";
import { settingsSet } from "../../../src/server/admin/credits";
import type { CallDetailView, HubSettingsView } from "../../../src/shared/api";
import { parseFlags } from "../../../src/shared/args";
import { UsageError } from "../../../src/shared/errors";
import { databaseBefore } from "../../support/migrations";
import { tempDir } from "../../support/temp-dir";
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

const DAY = 86_400_000;

/** Added to the real time the hub sees, so retention can be made to pass. */
let skew = 0;
let g: GatewayFixture;
/** A second, non-admin user's hub key. */
let otherKey: string;

beforeAll(async () => {
  g = await startGateway({ now: () => Date.now() + skew, env: { AIGNE_HUB_CALL_RETENTION_DAYS: "2" } });
  const { user } = await g.hub.deps.stores.accounts.upsertUser({
    newId: ulid(),
    newDid: `z${ulid()}`,
    email: "other@example.com",
    role: "user",
    passwordHash: "!no-sign-in",
    at: Date.now(),
  });
  otherKey = (await g.hub.deps.accounts.issueHubKey({ userId: user.id, name: "other", source: "admin" })).key;
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

/** Commits the queued writes, then reads call_contents through a connection of its own, as another process would. */
async function storedContents(): Promise<{ request: string; response: string | null }[]> {
  await g.hub.deps.flushWrites();
  const db = new Database(join(g.hub.dir, "data", "hub.db"), { readonly: true });
  try {
    return db.query("SELECT request, response FROM call_contents").all() as {
      request: string;
      response: string | null;
    }[];
  } finally {
    db.close();
  }
}

async function patchSettings(body: unknown, key = g.key): Promise<Response> {
  return fetch(`${g.hub.url}/api/admin/settings`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function settings(): Promise<HubSettingsView> {
  return (await (await g.get("/api/admin/settings")).json()) as HubSettingsView;
}

/** Runs `admin settings set` with these flags over the running hub's services; returns what it printed. */
async function settingsCommand(argv: string[]): Promise<string[]> {
  const printed: string[] = [];
  await settingsSet.run({
    flags: parseFlags(argv, settingsSet.flags),
    services: g.hub.deps,
    print: (text) => printed.push(text),
  });
  return printed;
}

/** The detail of the newest call as `path` (admin or owner route) shows it. */
async function newestCallDetail(route: "admin" | "owner" = "admin"): Promise<CallDetailView> {
  const call = (await g.calls()).at(-1)!;
  const response = await g.get(route === "admin" ? `/api/admin/calls/${call.id}` : `/api/calls/${call.id}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { call: CallDetailView }).call;
}

async function chat(body: Record<string, unknown>): Promise<Response> {
  const response = await g.post("/v1/chat/completions", body);
  expect(response.status).toBe(200);
  return response;
}

describe("with the setting off (the default)", () => {
  test("a call stores no content, and its detail says so", async () => {
    expect(await settings()).toMatchObject({ storeContent: false, storeContentOverride: null });
    await chat({ model: GPT, messages: [userTurn("nothing of this is kept")] });
    expect(await storedContents()).toHaveLength(0);
    const detail = await newestCallDetail();
    expect(detail).toMatchObject({ status: "success", content: null });
  });
});

describe("bad input to the setting", () => {
  test("is a 400 over REST, a usage error on the command line, 403 for a non-admin, and changes nothing", async () => {
    for (const storeContent of ["yes", 1, null]) {
      const response = await patchSettings({ storeContent });
      expect(response.status).toBe(400);
    }
    expect((await patchSettings({ storeContent: true }, otherKey)).status).toBe(403);
    await expect(settingsCommand(["--store-content", "maybe"])).rejects.toBeInstanceOf(UsageError);
    await expect(settingsCommand(["--store-content", "maybe"])).rejects.toThrow("--store-content must be on or off");
    expect((await settings()).storeContent).toBe(false);
    await chat({ model: GPT, messages: [userTurn("still not kept")] });
    expect(await storedContents()).toHaveLength(0);
  });
});

describe("admin settings set --store-content", () => {
  test("turns it on and off and prints the setting with the billing ones", async () => {
    const on = JSON.parse((await settingsCommand(["--store-content", "on"]))[0]!);
    expect(on).toMatchObject({ enabled: true, lenient: false, storeContent: true });
    expect((await settings()).storeContent).toBe(true);
    const off = JSON.parse((await settingsCommand(["--store-content", "off"]))[0]!);
    expect(off.storeContent).toBe(false);
    expect((await settings()).storeContent).toBe(false);
  });
});

describe("with the setting turned on over admin REST", () => {
  let callsBeforeOn = 0;
  beforeAll(async () => {
    callsBeforeOn = (await g.calls()).length;
    const response = await patchSettings({ storeContent: true });
    expect(response.status).toBe(200);
    expect(((await response.json()) as HubSettingsView).storeContent).toBe(true);
  });

  test("a whole chat stores the request as the engine saw it and the answer", async () => {
    g.mock.setScript({ text: "Paris is the capital." });
    await chat({
      model: GPT,
      messages: [{ role: "system", content: "Answer briefly." }, userTurn("What is the capital of France?")],
      temperature: 0.2,
    });
    const detail = await newestCallDetail();
    expect(detail.stream).toBe(false);
    expect(detail.content).toEqual({
      request: {
        model: GPT,
        messages: [
          { role: "system", content: [{ type: "text", text: "Answer briefly." }] },
          { role: "user", content: [{ type: "text", text: "What is the capital of France?" }] },
        ],
        temperature: 0.2,
      },
      response: { text: "Paris is the capital.", toolCalls: [] },
    });
    // The owner sees the same through the account route.
    expect((await newestCallDetail("owner")).content).toEqual(detail.content);
  });

  test("a streamed chat stores the answer assembled from the chunks the client received", async () => {
    g.mock.setScript({ text: "one two three four", chunks: 4, reasoning: "counting slowly" });
    const stream = await g.openai.chat.completions.create({
      model: GPT,
      messages: [userTurn("count to four")],
      stream: true,
    });
    let received = "";
    for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? "";
    expect(received).toBe("one two three four");
    const call = await g.waitForCall((c) => c.stream && c.requestedModel === GPT);
    const found = await g.hub.deps.stores.calls.find(call.id);
    expect(JSON.parse(found!.content!.request).messages).toEqual([
      { role: "user", content: [{ type: "text", text: "count to four" }] },
    ]);
    expect(JSON.parse(found!.content!.response!)).toEqual({
      text: "one two three four",
      reasoning: [{ text: "counting slowly" }],
      toolCalls: [],
    });
  });

  test("a streamed tool call on the Anthropic surface is stored whole", async () => {
    g.mock.setScript({
      toolCalls: [{ id: "toolu_1", name: "get_weather", arguments: { city: "Paris", unit: "celsius" } }],
    });
    const response = await g.post("/v1/messages", {
      model: CLAUDE,
      max_tokens: 200,
      stream: true,
      tools: [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(response.status).toBe(200);
    await response.text();
    const call = await g.waitForCall((c) => c.stream && c.requestedModel === CLAUDE);
    const detail = ((await (await g.get(`/api/admin/calls/${call.id}`)).json()) as { call: CallDetailView }).call;
    const output = detail.content!.response as { toolCalls: { id: string; name: string; arguments: string }[] };
    expect(output.toolCalls).toHaveLength(1);
    expect(output.toolCalls[0]).toMatchObject({ id: "toolu_1", name: "get_weather" });
    expect(JSON.parse(output.toolCalls[0]!.arguments)).toEqual({ city: "Paris", unit: "celsius" });
    expect((detail.content!.request as { tools: { name: string }[] }).tools[0]!.name).toBe("get_weather");
  });

  test("embeddings and images store their input and a summary of the output", async () => {
    g.mock.setScript({ embeddings: [[0.25, -1.5, 3]] });
    await g.openai.embeddings.create({ model: "openai/text-embedding-3-small", input: ["embed me"] });
    const embedding = await newestCallDetail();
    expect(embedding.content).toMatchObject({
      request: { input: ["embed me"] },
      response: { vectors: 1, dimensions: 3 },
    });
    g.mock.setScript({ images: [{ b64: Buffer.from("not really a png").toString("base64") }] });
    await g.openai.images.generate({
      model: "openai/gpt-image-1",
      prompt: "a blue circle",
      response_format: "b64_json",
    });
    const image = await newestCallDetail();
    expect(image.content).toMatchObject({
      request: { prompt: "a blue circle" },
      response: { images: [{ kind: "base64", mediaType: "image/png", bytes: 16 }] },
    });
  });

  test("a failed call stores its request with no output", async () => {
    g.mock.setScript({ status: 400, error: { message: "bad things" } });
    const response = await g.post("/v1/chat/completions", { model: GPT, messages: [userTurn("this fails")] });
    expect(response.status).toBe(400);
    const detail = await newestCallDetail();
    expect(detail.status).toBe("failed");
    expect(detail.content).toMatchObject({ request: { messages: [{ role: "user" }] }, response: null });
  });

  test("only the call's owner and admins see it", async () => {
    const call = (await g.calls()).at(-1)!;
    const asOther = await fetch(`${g.hub.url}/api/calls/${call.id}`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(asOther.status).toBe(404);
    expect(JSON.stringify(await asOther.json())).not.toContain("this fails");
    const adminRoute = await fetch(`${g.hub.url}/api/admin/calls/${call.id}`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(adminRoute.status).toBe(403);
    expect((await g.get(`/api/admin/calls/${ulid()}`)).status).toBe(404);
    expect((await g.get(`/api/calls/${call.id}`, { key: null })).status).toBe(401);
  });

  test("no provider key or hub key is ever stored, even when a client sends headers upstream", async () => {
    const response = await g.post(
      "/v1/messages",
      { model: CLAUDE, max_tokens: 50, messages: [{ role: "user", content: "hello" }] },
      { headers: { "anthropic-beta": "prompt-caching-2024-07-31" } },
    );
    expect(response.status).toBe(200);
    expect(g.mock.requests.at(-1)!.headers["anthropic-beta"]).toBe("prompt-caching-2024-07-31");
    const rows = await storedContents();
    // One row for every call since the setting went on.
    expect(rows).toHaveLength((await g.calls()).length - callsBeforeOn);
    const stored = JSON.stringify(rows);
    for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, g.key, "LEAKCANARY", "prompt-caching"])
      expect(stored).not.toContain(secret);
  });

  test("turning it off again stops storing at once", async () => {
    expect((await patchSettings({ storeContent: false })).status).toBe(200);
    const before = (await storedContents()).length;
    await chat({ model: GPT, messages: [userTurn("off again")] });
    expect(await storedContents()).toHaveLength(before);
    expect((await newestCallDetail()).content).toBeNull();
  });

  test("retention prunes the contents with their calls", async () => {
    expect((await storedContents()).length).toBeGreaterThan(0);
    const before = await g.calls();
    skew += 3 * DAY;
    await g.hub.deps.backgroundTasks.find((t) => t.name === "prune call records")!.run();
    expect(await g.calls()).toEqual([]);
    expect(await storedContents()).toHaveLength(0);
    expect(await g.hub.deps.stores.calls.find(before.at(-1)!.id)).toBeNull();
  });
});

describe("AIGNE_HUB_STORE_CONTENT", () => {
  test("pins the setting: calls store contents whatever the stored setting says", async () => {
    const pinned = await startGateway({ env: { AIGNE_HUB_STORE_CONTENT: "on" } });
    try {
      const view = (await (await pinned.get("/api/admin/settings")).json()) as HubSettingsView;
      expect(view).toMatchObject({ storeContent: true, storeContentOverride: true });
      await pinned.post("/v1/chat/completions", { model: GPT, messages: [userTurn("pinned on")] });
      const call = (await pinned.calls()).at(-1)!;
      expect((await pinned.hub.deps.stores.calls.find(call.id))!.content).not.toBeNull();
    } finally {
      await pinned.stop();
    }
  });
});

describe("the call_contents migration", () => {
  test("applies to a database at the previous schema and keeps its call records", async () => {
    const dir = tempDir();
    try {
      const db = databaseBefore(join(dir.path, "hub.db"), "call_contents");
      db.run(
        `INSERT INTO model_calls (id, request_id, user_id, surface, type, requested_model, status, stream, input_tokens,
           output_tokens, cache_read_tokens, cache_write_tokens, estimated, cost, latency_ms, attempts, created_at)
         VALUES ('old-call', 'req', 'user', 'openai', 'chat', 'openai/gpt-4o-mini', 'success', 0, 1, 2, 0, 0, 0, 5, 10,
           '[]', 1)`,
      );
      db.close();

      const stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
      try {
        const found = await stores.calls.find("old-call");
        expect(found?.record).toMatchObject({ id: "old-call", outputTokens: 2, cost: 5 });
        expect(found?.content).toBeNull();
      } finally {
        await stores.close();
      }
    } finally {
      dir.remove();
    }
  });
});
