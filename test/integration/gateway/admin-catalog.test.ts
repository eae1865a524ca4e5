/**
 * @module The catalog's admin REST twins: providers and their credentials, models and rates, aliases; each change is
 * served at once, bad input changes nothing, and only admins may call them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ulid } from "ulid";
import { type GatewayFixture, GPT, startGateway, userTurn } from "./helpers";

const KEY_1 = "sk-admin-rest-key-one-11111111";
const KEY_2 = "sk-admin-rest-key-two-22222222";

interface CredentialView {
  id: string;
  hint: string;
  weight: number;
  enabled: boolean;
  status: string;
}

let g: GatewayFixture;
let userKey: string;

beforeAll(async () => {
  g = await startGateway({ bare: true });
  const { user } = await g.hub.deps.stores.accounts.upsertUser({
    newId: ulid(),
    newDid: `z${ulid()}`,
    email: "user@example.com",
    role: "user",
    passwordHash: "!no-sign-in",
    at: Date.now(),
  });
  userKey = (await g.hub.deps.accounts.issueHubKey({ userId: user.id, name: "plain", source: "admin" })).key;
});
afterAll(() => g.stop());
beforeEach(() => g.mock.reset());

const send = (method: string, path: string, body?: unknown, key: string | null = g.key) =>
  fetch(`${g.hub.url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function providers() {
  const response = await send("GET", "/api/admin/providers");
  expect(response.status).toBe(200);
  return (await response.json()).providers as {
    name: string;
    type: string;
    baseUrl: string;
    credentials: CredentialView[];
  }[];
}

async function models() {
  return (await (await send("GET", "/api/admin/models")).json()) as {
    models: { id: string; inputRate: string; outputRate: string; enabled: boolean }[];
    aliases: { alias: string; target: string }[];
  };
}

const chat = (model: string) => g.post("/v1/chat/completions", { model, messages: [userTurn("hi")] });

describe("admin REST: access", () => {
  test("without a key it is 401, with a non-admin key 403, in the hub shape, and nothing changes", async () => {
    const body = { name: "sneaky", type: "openai", apiKey: "sk-sneaky-000000000000" };
    const anonymous = await send("POST", "/api/admin/providers", body, null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { type: "unauthorized", message: expect.any(String) } });
    const plain = await send("POST", "/api/admin/providers", body, userKey);
    expect(plain.status).toBe(403);
    expect(await plain.json()).toEqual({ error: { type: "forbidden", message: expect.any(String) } });
    expect((await send("GET", "/api/admin/providers", undefined, userKey)).status).toBe(403);
    expect(await providers()).toEqual([]);
  });
});

describe("POST /api/admin/providers", () => {
  test("creates a provider; the same name with another key adds a second credential, shown masked", async () => {
    const first = await send("POST", "/api/admin/providers", {
      name: "openai",
      type: "openai",
      baseUrl: g.mock.openaiBase,
      apiKey: KEY_1,
    });
    expect(first.status).toBe(200);
    const a = await first.json();
    expect(a).toMatchObject({ created: true, credentialId: expect.any(String), provider: { name: "openai" } });

    const second = await (
      await send("POST", "/api/admin/providers", {
        name: "openai",
        type: "openai",
        baseUrl: g.mock.openaiBase,
        apiKey: KEY_2,
        weight: 3,
      })
    ).json();
    expect(second.created).toBe(false);
    expect(second.credentialId).not.toBe(a.credentialId);

    const [openai, ...others] = await providers();
    expect(others).toEqual([]);
    expect(openai).toMatchObject({ name: "openai", type: "openai", baseUrl: g.mock.openaiBase });
    expect(openai!.credentials.map((c) => [c.hint, c.weight, c.status])).toEqual([
      ["sk-…1111", 100, "active"],
      ["sk-…2222", 3, "active"],
    ]);
  });

  test("bad input is a 400 naming the field, and nothing is created", async () => {
    const before = await providers();
    for (const [body, field] of [
      [{ name: "Bad Name!", type: "openai", apiKey: "sk-x-0000000000" }, "provider name"],
      [{ name: "other", type: "cohere", apiKey: "sk-x-0000000000" }, "provider type"],
      [{ name: "other", type: "openai", baseUrl: "ftp://example.com", apiKey: "sk-x-0000000000" }, "base URL"],
      [{ name: "other", type: "openai", apiKey: "sk-x-0000000000", weight: 0 }, "weight"],
      [{ name: "other", type: "openai", apiKey: "has spaces in it" }, "api key"],
    ] as const) {
      const response = await send("POST", "/api/admin/providers", body);
      expect(response.status).toBe(400);
      const error = (await response.json()).error;
      expect(error.type).toBe("invalid_request");
      expect(error.message).toContain(field);
    }
    expect(await providers()).toEqual(before);
  });
});

describe("POST /api/admin/models", () => {
  test("a model set over REST is listed and served at once", async () => {
    expect((await chat(GPT)).status).toBe(404);
    const response = await send("POST", "/api/admin/models", {
      model: GPT,
      inputRate: "0.00000015",
      outputRate: "0.0000006",
    });
    expect(response.status).toBe(200);
    expect((await response.json()).model).toMatchObject({
      id: GPT,
      type: "chat",
      inputRate: "0.00000015",
      outputRate: "0.0000006",
      enabled: true,
    });
    const listed = (await (await g.get("/v1/models")).json()).data.map((m: { id: string }) => m.id);
    expect(listed).toEqual([GPT]);
    expect((await chat(GPT)).status).toBe(200);
  });

  test("bad rates or an unknown provider are refused and change nothing", async () => {
    const before = await models();
    for (const body of [
      { model: GPT, inputRate: "abc" },
      { model: GPT, outputRate: "-1" },
      { model: GPT, inputRate: "1e-7" },
      { model: "gpt-4o", inputRate: "0.1" },
      { model: GPT, maxOutputTokens: 0 },
    ]) {
      const response = await send("POST", "/api/admin/models", body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    const unknown = await send("POST", "/api/admin/models", { model: "nobody/model", inputRate: "0.1" });
    expect(unknown.status).toBe(404);
    expect(await models()).toEqual(before);
  });

  test("disabling a model takes it out of the lists and refuses calls", async () => {
    await send("POST", "/api/admin/models", { model: "openai/gpt-4.1", inputRate: "0.000002", outputRate: "0.000008" });
    expect((await chat("openai/gpt-4.1")).status).toBe(200);
    await send("POST", "/api/admin/models", { model: "openai/gpt-4.1", enabled: false });
    expect((await chat("openai/gpt-4.1")).status).toBe(404);
    const listed = (await (await g.get("/api/ai/models", { key: null })).json()).map((m: { model: string }) => m.model);
    expect(listed).not.toContain("openai/gpt-4.1");
  });
});

describe("POST /api/admin/aliases", () => {
  test("an alias openai/gpt-5-mini → openai/gpt-4o-mini makes that name resolve on every surface; removing it undoes that", async () => {
    expect((await chat("openai/gpt-5-mini")).status).toBe(404);
    const set = await send("POST", "/api/admin/aliases", { alias: "openai/gpt-5-mini", model: GPT });
    expect(set.status).toBe(200);
    expect((await models()).aliases).toEqual([expect.objectContaining({ alias: "openai/gpt-5-mini", target: GPT })]);

    const viaOpenAI = await chat("openai/gpt-5-mini");
    expect(viaOpenAI.status).toBe(200);
    expect((await viaOpenAI.json()).model).toBe(GPT);
    const viaAigne = await g.post("/api/v2/chat", {
      input: { messages: [userTurn("hi")], modelOptions: { model: "openai/gpt-5-mini" } },
    });
    expect(viaAigne.status).toBe(200);
    expect((await viaAigne.json()).model).toBe(GPT);
    expect(g.mock.requests.map((r) => r.body.model)).toEqual(["gpt-4o-mini", "gpt-4o-mini"]);

    await send("POST", "/api/admin/aliases", { alias: "openai/gpt-5-mini", model: null });
    expect((await chat("openai/gpt-5-mini")).status).toBe(404);
  });

  test("an alias to a name that is not provider/model is refused", async () => {
    const response = await send("POST", "/api/admin/aliases", { alias: "fast", model: "gpt-4o-mini" });
    expect(response.status).toBe(400);
    expect((await models()).aliases).toEqual([]);
  });
});

describe("PATCH and DELETE /api/admin/credentials/:id", () => {
  test("a weight change is stored; a disabled credential gets no traffic; a deleted one is gone", async () => {
    const [one, two] = (await providers())[0]!.credentials;
    const patched = await send("PATCH", `/api/admin/credentials/${one!.id}`, { weight: 7 });
    expect(patched.status).toBe(200);
    expect((await patched.json()).credential).toMatchObject({ id: one!.id, weight: 7, hint: "sk-…1111" });

    const disabled = await send("PATCH", `/api/admin/credentials/${two!.id}`, { enabled: false });
    expect((await disabled.json()).credential).toMatchObject({ enabled: false, status: "disabled" });
    for (let i = 0; i < 4; i++) expect((await chat(GPT)).status).toBe(200);
    expect(new Set(g.mock.requests.map((r) => r.apiKey))).toEqual(new Set([KEY_1]));

    await send("PATCH", `/api/admin/credentials/${two!.id}`, { enabled: true });
    const removed = await send("DELETE", `/api/admin/credentials/${one!.id}`);
    expect(removed.status).toBe(200);
    expect((await providers())[0]!.credentials.map((c) => c.id)).toEqual([two!.id]);
    g.mock.reset();
    for (let i = 0; i < 3; i++) expect((await chat(GPT)).status).toBe(200);
    expect(new Set(g.mock.requests.map((r) => r.apiKey))).toEqual(new Set([KEY_2]));
  });

  test("an unknown id is a 404 and a bad weight a 400; neither changes anything", async () => {
    const before = await providers();
    expect((await send("PATCH", "/api/admin/credentials/nope", { weight: 2 })).status).toBe(404);
    expect((await send("DELETE", "/api/admin/credentials/nope")).status).toBe(404);
    const id = before[0]!.credentials[0]!.id;
    expect((await send("PATCH", `/api/admin/credentials/${id}`, { weight: 0 })).status).toBe(400);
    expect((await send("PATCH", `/api/admin/credentials/${id}`, { weight: "heavy" })).status).toBe(400);
    expect(await providers()).toEqual(before);
  });
});
