/** @module Account, key and admin routes over HTTP on an in-process hub: auth, CSRF, throttling, bad input. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../src/db/open";
import { type InProcessHub, startInProcessHub } from "../support/app";

const ADMIN = { email: "root@example.com", password: "root-password-1" };
const ANN = { email: "ann@example.com", password: "ann-password-12" };
const BOB = { email: "bob@example.com", password: "bob-password-12" };
const T0 = 1_800_000_000_000;

interface HubErrorBody {
  error: { type: string; message: string };
}

/** A small HTTP client for one hub. */
function client(hub: InProcessHub) {
  return (path: string, init: RequestInit & { key?: string; json?: unknown; cookie?: string; csrf?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key) headers.set("authorization", `Bearer ${init.key}`);
    if (init.cookie) headers.set("cookie", init.cookie);
    if (init.csrf) headers.set("x-csrf-token", init.csrf);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    return fetch(`${hub.url}${path}`, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  };
}

async function expectHubError(response: Response, status: number, type: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as HubErrorBody;
  expect(body).toEqual({ error: { type, message: expect.any(String) } });
  return body.error.message;
}

/** Signs in and returns the cookie header value and the CSRF token. */
async function signIn(call: ReturnType<typeof client>, who: { email: string; password: string }) {
  const response = await call("/api/auth/sign-in", { method: "POST", json: who });
  expect(response.status).toBe(200);
  const token = /aigne_hub_session=([^;]*)/.exec(response.headers.get("set-cookie") ?? "")![1]!;
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie: `aigne_hub_session=${token}`, csrf: csrfToken };
}

describe("account routes", () => {
  let clock = T0;
  let hub: InProcessHub;
  let call: ReturnType<typeof client>;
  let annKey = "";
  let bobKey = "";

  beforeAll(async () => {
    hub = await startInProcessHub({ now: () => clock, env: { AIGNE_HUB_MAX_BODY_BYTES: "2048" } });
    call = client(hub);
    const { accounts } = hub.deps;
    await accounts.upsertUser({ ...ADMIN, role: "admin" });
    const ann = await accounts.upsertUser(ANN);
    const bob = await accounts.upsertUser(BOB);
    annKey = (await accounts.issueHubKey({ userId: ann.user.id, name: "ann", source: "admin" })).key;
    bobKey = (await accounts.issueHubKey({ userId: bob.user.id, name: "bob", source: "admin" })).key;
  });
  afterAll(() => hub.stop());

  describe("POST /api/auth/sign-in", () => {
    test("the right password returns the user and a CSRF token and sets a session cookie", async () => {
      const response = await call("/api/auth/sign-in", { method: "POST", json: ANN });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("set-cookie")).toMatch(
        /^aigne_hub_session=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      const body = (await response.json()) as { user: Record<string, unknown>; csrfToken: string };
      expect(body.user).toMatchObject({ email: ANN.email, role: "user", name: "ann" });
      expect(body.user).not.toHaveProperty("passwordHash");
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    test("an unknown email and a wrong password get the same 401", async () => {
      const unknown = await expectHubError(
        await call("/api/auth/sign-in", {
          method: "POST",
          json: { email: "ghost@example.com", password: "whatever-1" },
        }),
        401,
        "unauthorized",
      );
      const wrong = await expectHubError(
        await call("/api/auth/sign-in", { method: "POST", json: { email: BOB.email, password: "wrong-password" } }),
        401,
        "unauthorized",
      );
      expect(unknown).toBe(wrong);
    });

    test("a missing field or a body that is not JSON is a 400", async () => {
      const missing = await expectHubError(
        await call("/api/auth/sign-in", { method: "POST", json: { email: ANN.email } }),
        400,
        "invalid_request",
      );
      expect(missing).toContain("password");
      await expectHubError(
        await call("/api/auth/sign-in", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{not json",
        }),
        400,
        "invalid_request",
      );
    });

    test("five failures lock the email for fifteen minutes; a success in between resets the count", async () => {
      const wrong = { email: "Root@Example.com", password: "wrong-password" };
      for (let i = 0; i < 4; i++)
        expect((await call("/api/auth/sign-in", { method: "POST", json: wrong })).status).toBe(401);
      await signIn(call, ADMIN);
      for (let i = 0; i < 4; i++)
        expect((await call("/api/auth/sign-in", { method: "POST", json: wrong })).status).toBe(401);
      expect((await call("/api/auth/sign-in", { method: "POST", json: wrong })).status).toBe(401);

      const locked = await call("/api/auth/sign-in", { method: "POST", json: ADMIN });
      await expectHubError(locked, 429, "rate_limited");
      expect(locked.headers.get("retry-after")).toBe("900");
      clock += 10 * 60_000;
      const later = await call("/api/auth/sign-in", { method: "POST", json: ADMIN });
      expect(later.headers.get("retry-after")).toBe("300");
      clock += 5 * 60_000;
      await signIn(call, ADMIN);
    });
  });

  describe("session and sign-out", () => {
    test("without a cookie there is no session", async () => {
      await expectHubError(await call("/api/auth/session"), 401, "unauthorized");
      await expectHubError(
        await call("/api/auth/session", { cookie: "aigne_hub_session=forged" }),
        401,
        "unauthorized",
      );
    });

    test("sign-out ends the session and clears the cookie", async () => {
      const { cookie, csrf } = await signIn(call, ANN);
      const session = await call("/api/auth/session", { cookie });
      expect(await session.json()).toMatchObject({ user: { email: ANN.email }, csrfToken: csrf });
      const out = await call("/api/auth/sign-out", { method: "POST", cookie });
      expect(out.status).toBe(200);
      expect(out.headers.get("set-cookie")).toStartWith("aigne_hub_session=; Max-Age=0;");
      await expectHubError(await call("/api/auth/session", { cookie }), 401, "unauthorized");
      await expectHubError(await call("/api/keys", { cookie }), 401, "unauthorized");
    });

    test("a session expires after seven days", async () => {
      const { cookie } = await signIn(call, BOB);
      clock += 7 * 24 * 3600_000;
      await expectHubError(await call("/api/auth/session", { cookie }), 401, "unauthorized");
    });
  });

  describe("/api/keys", () => {
    test("without a key or a session every key route is a 401", async () => {
      await expectHubError(await call("/api/keys"), 401, "unauthorized");
      await expectHubError(await call("/api/keys", { method: "POST", json: {} }), 401, "unauthorized");
      await expectHubError(await call("/api/keys/some-id", { method: "DELETE" }), 401, "unauthorized");
    });

    test("a key caller mints a key without a CSRF token; the list never shows key text", async () => {
      const created = await call("/api/keys", { method: "POST", key: annKey, json: { name: "ci" } });
      expect(created.status).toBe(201);
      const { key, record } = (await created.json()) as { key: string; record: { id: string; name: string } };
      expect(record.name).toBe("ci");
      const listed = await (await call("/api/keys", { key: annKey })).text();
      expect(listed).toContain(record.id);
      expect(listed).not.toContain(key);
      expect(listed).not.toContain(annKey);
    });

    test("a session needs the exact CSRF token for unsafe methods but not for GET", async () => {
      const { cookie, csrf } = await signIn(call, ANN);
      expect((await call("/api/keys", { cookie })).status).toBe(200);
      await expectHubError(await call("/api/keys", { method: "POST", cookie, json: {} }), 403, "forbidden");
      await expectHubError(
        await call("/api/keys", { method: "POST", cookie, csrf: `${csrf}x`, json: {} }),
        403,
        "forbidden",
      );
      expect((await call("/api/keys", { method: "POST", cookie, csrf, json: {} })).status).toBe(201);
    });

    test("nobody can revoke another user's key, and a key is revoked once", async () => {
      const mine = (await (await call("/api/keys", { method: "POST", key: bobKey, json: { name: "x" } })).json()) as {
        key: string;
        record: { id: string };
      };
      await expectHubError(
        await call(`/api/keys/${mine.record.id}`, { method: "DELETE", key: annKey }),
        404,
        "not_found",
      );
      expect((await call("/api/user/info", { key: mine.key })).status).toBe(200);
      expect((await call(`/api/keys/${mine.record.id}`, { method: "DELETE", key: bobKey })).status).toBe(200);
      await expectHubError(
        await call(`/api/keys/${mine.record.id}`, { method: "DELETE", key: bobKey }),
        404,
        "not_found",
      );
      await expectHubError(await call("/api/user/info", { key: mine.key }), 401, "unauthorized");
    });

    test("a key revoked through another connection to the data dir, as `admin key revoke` does, is refused next", async () => {
      const issued = await hub.deps.accounts.issueHubKey({
        userId: (await hub.deps.stores.accounts.findUserByEmail(ANN.email))!.id,
        name: "other",
        source: "admin",
      });
      expect((await call("/api/user/info", { key: issued.key })).status).toBe(200);
      const other = await openStores({ dataDir: join(hub.dir, "data"), databaseUrl: undefined });
      try {
        expect(await other.keys.revokeHubKey({ id: issued.record.id, at: clock })).not.toBeNull();
      } finally {
        await other.close();
      }
      await expectHubError(await call("/api/user/info", { key: issued.key }), 401, "unauthorized");
      expect((await call("/api/user/info", { key: annKey })).status).toBe(200);
    });

    test("a key name that is too long is a 400 and mints nothing", async () => {
      const before = (await (await call("/api/keys", { key: annKey })).json()) as { keys: unknown[] };
      await expectHubError(
        await call("/api/keys", { method: "POST", key: annKey, json: { name: "n".repeat(129) } }),
        400,
        "invalid_request",
      );
      const after = (await (await call("/api/keys", { key: annKey })).json()) as { keys: unknown[] };
      expect(after.keys).toHaveLength(before.keys.length);
    });
  });

  describe("/api/admin", () => {
    test("an admin session works with its CSRF token and is refused without it", async () => {
      const { cookie, csrf } = await signIn(call, ADMIN);
      const json = { email: "carol@example.com", password: "carol-password-1" };
      await expectHubError(await call("/api/admin/users", { method: "POST", cookie, json }), 403, "forbidden");
      expect(await hub.deps.stores.accounts.findUserByEmail(json.email)).toBeNull();
      const created = await call("/api/admin/users", { method: "POST", cookie, csrf, json });
      expect(created.status).toBe(201);
      expect(await hub.deps.stores.accounts.findUserByEmail(json.email)).toMatchObject({ role: "user" });
    });

    test("a non-admin session or key is a 403, and a caller without credentials gets 401 before validation", async () => {
      const { cookie, csrf } = await signIn(call, ANN);
      const json = { email: "dave@example.com", password: "dave-password-1", role: "admin" };
      await expectHubError(await call("/api/admin/users", { method: "POST", cookie, csrf, json }), 403, "forbidden");
      await expectHubError(await call("/api/admin/users", { method: "POST", key: annKey, json }), 403, "forbidden");
      await expectHubError(
        await call("/api/admin/users", { method: "POST", json: { nonsense: true } }),
        401,
        "unauthorized",
      );
      expect(await hub.deps.stores.accounts.findUserByEmail(json.email)).toBeNull();
    });

    test("bad user input is a 400 naming the problem and writes nothing", async () => {
      const adminKey = (
        await hub.deps.accounts.issueHubKey({
          userId: (await hub.deps.accounts.requireUserByEmail(ADMIN.email)).id,
          source: "admin",
        })
      ).key;
      const cases: [Record<string, unknown>, string][] = [
        [{ email: "eve@example.com", password: "short" }, "8 characters"],
        [{ email: "eve@", password: "long-enough-1" }, "email"],
        [{ email: "eve@example.com", password: "long-enough-1", role: "owner" }, "role"],
        [{ email: "eve@example.com", password: "long-enough-1", name: " " }, "name"],
        [{ email: "eve@example.com" }, "password"],
        [{ password: "long-enough-1" }, "email"],
      ];
      for (const [json, fragment] of cases) {
        const message = await expectHubError(
          await call("/api/admin/users", { method: "POST", key: adminKey, json }),
          400,
          "invalid_request",
        );
        expect({ json, message: message.includes(fragment) }).toEqual({ json, message: true });
      }
      expect(await hub.deps.stores.accounts.findUserByEmail("eve@example.com")).toBeNull();

      const weakUpdate = await call("/api/admin/users", {
        method: "POST",
        key: adminKey,
        json: { email: BOB.email, password: "short" },
      });
      await expectHubError(weakUpdate, 400, "invalid_request");
      await signIn(call, BOB);

      await expectHubError(
        await call("/api/admin/keys", { method: "POST", key: adminKey, json: { email: "nobody@example.com" } }),
        404,
        "not_found",
      );
      await expectHubError(
        await call("/api/admin/keys/missing", { method: "DELETE", key: adminKey }),
        404,
        "not_found",
      );
    });
  });

  describe("request ids, limits and logs", () => {
    test("every response carries an x-request-id; a well-formed client id is kept, a malformed one replaced", async () => {
      const fresh = await call("/healthz");
      expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect((await call("/healthz", { headers: { "x-request-id": "abc-123" } })).headers.get("x-request-id")).toBe(
        "abc-123",
      );
      const replaced = await call("/healthz", { headers: { "x-request-id": "bad id with spaces" } });
      expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      const failed = await call("/api/user/info");
      expect(failed.status).toBe(401);
      expect(failed.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    });

    test("an unknown path is a 404 in the hub shape", async () => {
      await expectHubError(await call("/api/nothing-here"), 404, "not_found");
    });

    test("a declared body over the limit is a 413 and is not processed", async () => {
      const response = await call("/api/admin/users", {
        method: "POST",
        key: annKey,
        json: { email: "big@example.com", password: "p".repeat(3000) },
      });
      await expectHubError(response, 413, "too_large");
      expect(await hub.deps.stores.accounts.findUserByEmail("big@example.com")).toBeNull();
    });

    test("log lines are JSON with a requestId and hold no password or key", async () => {
      const records = hub.logLines.map((line) => JSON.parse(line) as { msg: string; requestId?: string });
      const requests = records.filter((r) => r.msg === "request");
      expect(requests.length).toBeGreaterThan(20);
      for (const record of requests) expect(typeof record.requestId).toBe("string");
      expect(requests.some((r) => r.requestId === "abc-123")).toBe(true);
      const all = hub.logLines.join("");
      for (const secret of [ADMIN.password, ANN.password, BOB.password, annKey, bobKey, "wrong-password"]) {
        expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
      }
    });
  });
});
