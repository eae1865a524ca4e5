/** @module The compiled binary's auth: keys, sign-in and its throttle, sessions with CSRF, admin REST, logs without secrets. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";

const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const ANN = { email: "ann@example.com", password: "ann-password-12" };
const LOCKED = { email: "locked@example.com", password: "locked-password-1" };
const WRONG_PASSWORD = "not-the-password-9";
const MAX_BODY_BYTES = 4096;

interface HubErrorBody {
  error: { type: string; message: string };
}

describe("auth on a running binary", () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  let hub: TestHub;
  let adminKey = "";
  let annKey = "";
  /** Every secret this suite sends; none may appear in a log line. */
  const secrets: string[] = [ADMIN.password, ANN.password, LOCKED.password, WRONG_PASSWORD];

  const admin = async (...args: string[]) => {
    const result = await runBinary(["admin", ...args, "--data-dir", hub.dataDir], { cwd: dir.path });
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
    return result.stdout.trim();
  };
  const call = (path: string, init: RequestInit & { key?: string; json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
    return fetch(`${hub.url}${path}`, { ...init, headers, body });
  };
  const signIn = (email: string, password: string) =>
    call("/api/auth/sign-in", { method: "POST", json: { email, password } });
  const expectHubError = async (response: Response, status: number, type: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as HubErrorBody;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.type).toBe(type);
    expect(typeof body.error.message).toBe("string");
    expect(body.error.message.length).toBeGreaterThan(0);
    return body;
  };

  beforeAll(async () => {
    hub = await startBinaryHub({ cwd: dir.path, env: { AIGNE_HUB_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
    await admin("user", "upsert", "--email", ADMIN.email, "--password", ADMIN.password, "--role", "admin");
    await admin("user", "upsert", "--email", ANN.email, "--password", ANN.password);
    await admin("user", "upsert", "--email", LOCKED.email, "--password", LOCKED.password);
    adminKey = await admin("key", "create", "--email", ADMIN.email, "--name", "ops");
    annKey = await admin("key", "create", "--email", ANN.email, "--name", "laptop");
    secrets.push(adminKey, annKey);
  });
  afterAll(async () => {
    if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
    dir.remove();
  });

  describe("hub keys", () => {
    test("a valid key reaches /api/user/info and the response carries an x-request-id", async () => {
      const response = await call("/api/user/info", { key: annKey });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(((await response.json()) as { user: { email: string } }).user.email).toBe(ANN.email);
    });

    test("no key, an unknown key and a malformed header are each a 401 in the hub shape", async () => {
      await expectHubError(await call("/api/user/info"), 401, "unauthorized");
      await expectHubError(await call("/api/user/info", { key: `ahk_${"x".repeat(43)}` }), 401, "unauthorized");
      await expectHubError(await call("/api/user/info", { headers: { authorization: annKey } }), 401, "unauthorized");
    });

    test("a key revoked with `admin key revoke --id` is refused at once", async () => {
      const key = await admin("key", "create", "--email", ANN.email, "--name", "to-revoke");
      secrets.push(key);
      expect((await call("/api/user/info", { key })).status).toBe(200);
      const listed = (await admin("key", "list", "--email", ANN.email))
        .split("\n")
        .map((line) => JSON.parse(line) as { id: string; name: string; hint: string; revokedAt: string | null });
      expect(JSON.stringify(listed)).not.toContain(key);
      const record = listed.find((k) => k.name === "to-revoke")!;
      expect(record.hint).toStartWith(key.slice(0, 8));
      expect(await admin("key", "revoke", "--id", record.id)).toBe(record.id);
      const refused = await expectHubError(await call("/api/user/info", { key }), 401, "unauthorized");
      expect(refused.error.message).not.toContain(key);
      const again = await runBinary(["admin", "key", "revoke", "--id", record.id, "--data-dir", hub.dataDir], {
        cwd: dir.path,
      });
      expect(again.code).toBe(1);
      expect(again.stderr.trim().split("\n")).toEqual(["aigne-hub admin: no active key with that id"]);
    });

    test("a key revoked with DELETE /api/keys/:id is refused afterwards", async () => {
      const key = await admin("key", "create", "--email", ANN.email, "--name", "self-revoke");
      secrets.push(key);
      const listed = (await (await call("/api/keys", { key })).json()) as { keys: { id: string; name: string }[] };
      const id = listed.keys.find((k) => k.name === "self-revoke")!.id;
      const deleted = await call(`/api/keys/${id}`, { method: "DELETE", key });
      expect(deleted.status).toBe(200);
      expect(((await deleted.json()) as { record: { revokedAt: string | null } }).record.revokedAt).toMatch(/Z$/);
      await expectHubError(await call("/api/user/info", { key }), 401, "unauthorized");
      expect((await call("/api/user/info", { key: annKey })).status).toBe(200);
    });
  });

  describe("sign-in", () => {
    test("a wrong password is a 401 in the hub shape", async () => {
      const body = await expectHubError(await signIn(ANN.email, WRONG_PASSWORD), 401, "unauthorized");
      expect(body.error.message).toBe("Wrong email or password");
    });

    test("the sixth wrong password for one email is a 429 with Retry-After, and then the right one is too", async () => {
      for (let attempt = 1; attempt <= 5; attempt++) {
        expect({ attempt, status: (await signIn(LOCKED.email, WRONG_PASSWORD)).status }).toEqual({
          attempt,
          status: 401,
        });
      }
      const sixth = await signIn(LOCKED.email.toUpperCase(), WRONG_PASSWORD);
      await expectHubError(sixth, 429, "rate_limited");
      const retryAfter = Number(sixth.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      await expectHubError(await signIn(LOCKED.email, LOCKED.password), 429, "rate_limited");
      expect((await signIn(ANN.email, ANN.password)).status).toBe(200);
    });

    test("sign-in over plain HTTP sets an HttpOnly, SameSite=Lax cookie without Secure", async () => {
      const response = await signIn(ANN.email, ANN.password);
      expect(response.status).toBe(200);
      const cookie = response.headers.get("set-cookie")!;
      expect(cookie).toMatch(/^aigne_hub_session=[A-Za-z0-9_-]{43}; /);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Lax");
      expect(cookie).not.toContain("Secure");
    });
  });

  describe("a browser session", () => {
    test("the cookie opens the session, and minting a key needs the CSRF token; the key is shown once", async () => {
      const signedIn = await signIn(ANN.email, ANN.password);
      const token = /aigne_hub_session=([^;]+)/.exec(signedIn.headers.get("set-cookie")!)![1]!;
      secrets.push(token);
      const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
      secrets.push(csrfToken);
      const cookie = `aigne_hub_session=${token}`;

      const session = await call("/api/auth/session", { headers: { cookie } });
      expect(session.status).toBe(200);
      expect(await session.json()).toMatchObject({ user: { email: ANN.email, role: "user" }, csrfToken });

      const noCsrf = await call("/api/keys", { method: "POST", headers: { cookie }, json: { name: "web" } });
      await expectHubError(noCsrf, 403, "forbidden");
      const wrongCsrf = await call("/api/keys", {
        method: "POST",
        headers: { cookie, "x-csrf-token": "wrong" },
        json: { name: "web" },
      });
      await expectHubError(wrongCsrf, 403, "forbidden");

      const created = await call("/api/keys", {
        method: "POST",
        headers: { cookie, "x-csrf-token": csrfToken },
        json: { name: "web" },
      });
      expect(created.status).toBe(201);
      const { key, record } = (await created.json()) as { key: string; record: { id: string; source: string } };
      secrets.push(key);
      expect(key).toMatch(/^ahk_[A-Za-z0-9_-]{43}$/);
      expect(record.source).toBe("web");
      expect((await call("/api/user/info", { key })).status).toBe(200);

      const listed = await (await call("/api/keys", { headers: { cookie } })).text();
      expect(listed).toContain(record.id);
      expect(listed).not.toContain(key);

      const revokeWithoutCsrf = await call(`/api/keys/${record.id}`, { method: "DELETE", headers: { cookie } });
      await expectHubError(revokeWithoutCsrf, 403, "forbidden");
      const revoked = await call(`/api/keys/${record.id}`, {
        method: "DELETE",
        headers: { cookie, "x-csrf-token": csrfToken },
      });
      expect(revoked.status).toBe(200);
      await expectHubError(await call("/api/user/info", { key }), 401, "unauthorized");

      expect((await call("/api/auth/sign-out", { method: "POST", headers: { cookie } })).status).toBe(200);
      await expectHubError(await call("/api/auth/session", { headers: { cookie } }), 401, "unauthorized");
    });
  });

  describe("admin REST twins", () => {
    test("an admin key creates a user and a key for it, lists and revokes that key", async () => {
      const user = await call("/api/admin/users", {
        method: "POST",
        key: adminKey,
        json: { email: "rest@example.com", password: "rest-password-1", name: "Rest User" },
      });
      expect(user.status).toBe(201);
      expect(await user.json()).toMatchObject({ created: true, user: { email: "rest@example.com", role: "user" } });
      secrets.push("rest-password-1");

      const again = await call("/api/admin/users", {
        method: "POST",
        key: adminKey,
        json: { email: "REST@example.com", name: "Renamed" },
      });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({
        created: false,
        user: { email: "rest@example.com", name: "Renamed" },
      });

      const minted = await call("/api/admin/keys", {
        method: "POST",
        key: adminKey,
        json: { email: "rest@example.com" },
      });
      expect(minted.status).toBe(201);
      const { key, record } = (await minted.json()) as { key: string; record: { id: string; source: string } };
      secrets.push(key);
      expect(record.source).toBe("admin");
      expect((await call("/api/user/info", { key })).status).toBe(200);

      const listed = await call("/api/admin/keys?email=rest%40example.com", { key: adminKey });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { keys: { id: string }[] }).keys.map((k) => k.id)).toEqual([record.id]);

      const revoked = await call(`/api/admin/keys/${record.id}`, { method: "DELETE", key: adminKey });
      expect(revoked.status).toBe(200);
      await expectHubError(await call("/api/user/info", { key }), 401, "unauthorized");
      const cli = (await admin("key", "list", "--email", "rest@example.com")).split("\n");
      expect(cli).toHaveLength(1);
      expect(JSON.parse(cli[0]!).revokedAt).toMatch(/Z$/);
    });

    test("a non-admin key gets 403 and no key gets 401, and neither writes anything", async () => {
      const attempt = { email: "sneaky@example.com", password: "sneaky-password", role: "admin" };
      await expectHubError(
        await call("/api/admin/users", { method: "POST", key: annKey, json: attempt }),
        403,
        "forbidden",
      );
      await expectHubError(await call("/api/admin/users", { method: "POST", json: attempt }), 401, "unauthorized");
      await expectHubError(await call(`/api/admin/keys?email=${ANN.email}`, { key: annKey }), 403, "forbidden");
      await expectHubError(
        await call("/api/admin/keys", { method: "POST", key: annKey, json: { email: ANN.email } }),
        403,
        "forbidden",
      );
      const missing = await call("/api/admin/keys?email=sneaky%40example.com", { key: adminKey });
      await expectHubError(missing, 404, "not_found");
    });

    test("bad input is a 400 and writes nothing", async () => {
      const cases = [
        { email: "short@example.com", password: "short" },
        { email: "not-an-email", password: "long-enough-pass" },
        { email: "role@example.com", password: "long-enough-pass", role: "root" },
      ];
      for (const json of cases) {
        const response = await call("/api/admin/users", { method: "POST", key: adminKey, json });
        expect({ json, status: response.status }).toEqual({ json, status: 400 });
        expect(((await response.json()) as HubErrorBody).error.type).toBe("invalid_request");
        const lookup = await call(`/api/admin/keys?email=${encodeURIComponent(json.email)}`, { key: adminKey });
        expect({ json, status: lookup.status }).toEqual({ json, status: 404 });
      }
      const listed = await runBinary(
        ["admin", "key", "list", "--email", "short@example.com", "--data-dir", hub.dataDir],
        {
          cwd: dir.path,
        },
      );
      expect(listed.code).toBe(1);
      expect(listed.stderr).toContain("no user with email short@example.com");
    });
  });

  describe("request limits", () => {
    test("a body over AIGNE_HUB_MAX_BODY_BYTES is a 413 in the hub shape", async () => {
      const response = await call("/api/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: ANN.email, password: "x".repeat(MAX_BODY_BYTES * 2) }),
      });
      const body = await expectHubError(response, 413, "too_large");
      expect(body.error.message).toContain(String(MAX_BODY_BYTES));
    });

    test("a streamed body without a length is cut off at the limit with the same 413", async () => {
      const chunk = new TextEncoder().encode(" ".repeat(1024));
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // Far more than the limit: the hub must answer once the limit is passed, not after the whole upload.
          if (sent++ < 64 * 1024) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const started = performance.now();
      const response = await call("/api/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await expectHubError(response, 413, "too_large");
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(sent).toBeLessThan(64 * 1024);
      expect(performance.now() - started).toBeLessThan(5000);
    });

    test("a client's own x-request-id is echoed back", async () => {
      const response = await call("/healthz", { headers: { "x-request-id": "trace-abc.123" } });
      expect(response.headers.get("x-request-id")).toBe("trace-abc.123");
    });
  });

  describe("the log after shutdown", () => {
    test("every line is JSON, request lines carry a requestId, and no password or key appears anywhere", async () => {
      expect(await hub.stop()).toBe(0);
      const logLines = hub.logs().split("\n").filter(Boolean);
      expect(logLines.length).toBeGreaterThan(20);
      const records = logLines.map((line) => JSON.parse(line) as { msg: string; level: string; requestId?: string });
      const requests = records.filter((r) => r.msg === "request");
      expect(requests.length).toBeGreaterThan(20);
      for (const record of requests) expect(record.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      expect(requests.some((r) => r.requestId === "trace-abc.123")).toBe(true);
      expect(secrets.length).toBeGreaterThan(10);
      for (const secret of secrets)
        expect({ secret, found: hub.logs().includes(secret) }).toEqual({ secret, found: false });
    });
  });
});
