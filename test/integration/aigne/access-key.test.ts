/** @module The AIGNE login surface on an in-process hub with a controlled clock: discovery, sessions, the page's API. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { decryptAccessKeySecret } from "../../../src/shared/access-key-crypto";
import type { AccessKeySessionBody, BlockletDiscovery, HubErrorBody } from "../../../src/shared/api";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import { type PageVisitor, signInVisitor } from "./approval";

const USER = { email: "ann@example.com", password: "ann-password-1" };
const SESSION = "/.well-known/service/api/access-key/session";
const HUB_DID = "z8ia3xzq2tMq8CRHfaXj1BTYJyYnEcHbqP8cJ";

let clock = Date.UTC(2026, 0, 1);
let hub: InProcessHub;
let visitor: PageVisitor;
let userId = "";

const openSession = async () => {
  const response = await fetch(`${hub.url}${SESSION}`, { method: "POST" });
  expect(response.status).toBe(200);
  return (await response.json()) as AccessKeySessionBody;
};
const poll = (id: string) => fetch(`${hub.url}${SESSION}?sid=${encodeURIComponent(id)}`);
const end = (id: string) => fetch(`${hub.url}${SESSION}?sid=${encodeURIComponent(id)}`, { method: "DELETE" });
const pageUrl = (id: string) =>
  `${hub.url}/.well-known/service/gen-simple-access-key?__token__=${Buffer.from(id).toString("base64url")}&source=%40aigne%2Fcli+connect+to+AIGNE+hub&closeOnSuccess=true&cli=true&appName=+AIGNE+CLI`;
const expectHubError = async (response: Response, status: number, type: string) => {
  expect(response.status).toBe(status);
  const body = (await response.json()) as HubErrorBody;
  expect(body.error.type).toBe(type);
  expect(body.error.message.length).toBeGreaterThan(0);
  return body;
};
const cliKeys = async () => (await hub.deps.accounts.listHubKeys(userId)).filter((k) => k.source === "cli");

beforeAll(async () => {
  hub = await startInProcessHub({ now: () => clock });
  const { user } = await hub.deps.accounts.upsertUser(USER);
  userId = user.id;
  visitor = await signInVisitor(hub.url, USER);
});
afterAll(() => hub.stop());
// Every test starts past the creation window and the pending lifetime, so the per-address limits start afresh.
beforeEach(() => {
  clock += 16 * 60_000;
});

describe("GET /__blocklet__.js", () => {
  test("?type=json names the hub component at mount point / with a short cache lifetime, without auth", async () => {
    const started = performance.now();
    const response = await fetch(`${hub.url}/__blocklet__.js?type=json`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    const body = (await response.json()) as BlockletDiscovery;
    expect(body.componentMountPoints).toContainEqual(expect.objectContaining({ did: HUB_DID, mountPoint: "/" }));
    expect(body.appUrl).toBe(hub.url);
  });

  test("without type=json it answers the same document as JavaScript", async () => {
    const response = await fetch(`${hub.url}/__blocklet__.js`);
    expect(response.headers.get("content-type")).toContain("application/javascript");
    expect(await response.text()).toStartWith("window.blocklet = {");
  });

  test("with a --public-url under a path, the root answers and the mount point is that path", async () => {
    const proxied = await startInProcessHub({ env: { AIGNE_HUB_PUBLIC_URL: "https://example.com/hub/" } });
    try {
      const body = (await (await fetch(`${proxied.url}/__blocklet__.js?type=json`)).json()) as BlockletDiscovery;
      expect(body.componentMountPoints[0]).toMatchObject({ did: HUB_DID, mountPoint: "/hub" });
      expect(body.appUrl).toBe("https://example.com/hub");
    } finally {
      await proxied.stop();
    }
  });
});

describe("the access-key session", () => {
  test("POST without a body opens a pending session with an unguessable id and a 48-hex challenge", async () => {
    const session = await openSession();
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.challenge).toMatch(/^[0-9a-f]{48}$/);
    expect(session.type).toBe("access-key-simple");
    // Stored under a hash: the id itself finds nothing in the database.
    expect(await hub.deps.stores.accessKeys.find(session.id)).toBeNull();
  });

  test("a pending session polls 200 without key fields for 15 minutes, then 404", async () => {
    const session = await openSession();
    const first = await poll(session.id);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id: session.id, type: "access-key-simple", challenge: session.challenge });
    clock += 15 * 60_000 - 1;
    const late = await poll(session.id);
    expect(late.status).toBe(200);
    expect(Object.keys((await late.json()) as object)).not.toContain("accessKeySecret");
    clock += 1;
    await expectHubError(await poll(session.id), 404, "not_found");
  });

  test("after Approve the poll returns the challenge and a CryptoJS secret twice, decrypting to a working key", async () => {
    const session = await openSession();
    const approved = await visitor.decide(pageUrl(session.id), "approve");
    expect(approved.status).toBe(200);
    expect(await approved.json()).toEqual({ status: "approved", keyName: "@aigne/cli connect to AIGNE hub" });
    const first = (await (await poll(session.id)).json()) as AccessKeySessionBody;
    const second = (await (await poll(session.id)).json()) as AccessKeySessionBody;
    expect(second).toEqual(first);
    expect(first.challenge).toBe(session.challenge);
    expect(first.accessKeySecret).toStartWith("U2FsdGVkX1");
    const key = decryptAccessKeySecret({
      ciphertext: first.accessKeySecret!,
      accessKeyId: first.accessKeyId!,
      challenge: first.challenge,
    });
    expect(key).toStartWith("ahk_");
    const info = await fetch(`${hub.url}/api/user/info`, { headers: { authorization: `Bearer ${key}` } });
    expect(info.status).toBe(200);
    expect(((await info.json()) as { user: { email: string } }).user.email).toBe(USER.email);
    const record = (await cliKeys()).find((k) => k.id === first.accessKeyId);
    expect(record).toMatchObject({ name: "@aigne/cli connect to AIGNE hub", source: "cli", revokedAt: null });
  });

  test("DELETE answers 200 JSON and ends the session; a later GET is 404 and a second DELETE is 200 again", async () => {
    const session = await openSession();
    await visitor.decide(pageUrl(session.id), "approve");
    await poll(session.id);
    const ended = await end(session.id);
    expect(ended.status).toBe(200);
    expect(await ended.json()).toEqual({});
    await expectHubError(await poll(session.id), 404, "not_found");
    const again = await end(session.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({});
    expect((await end("never-existed")).status).toBe(200);
  });

  test("the approved payload is gone 120 s after it was first served, even without DELETE", async () => {
    const session = await openSession();
    await visitor.decide(pageUrl(session.id), "approve");
    expect((await poll(session.id)).status).toBe(200);
    clock += 119_000;
    expect((await poll(session.id)).status).toBe(200);
    clock += 1_000;
    await expectHubError(await poll(session.id), 404, "not_found");
  });

  test("after Deny the next poll is 403 with a hub error body, and no key is minted", async () => {
    const before = (await cliKeys()).length;
    const session = await openSession();
    const denied = await visitor.decide(pageUrl(session.id), "deny");
    expect(await denied.json()).toEqual({ status: "denied" });
    const body = await expectHubError(await poll(session.id), 403, "forbidden");
    expect(body.error.message).toContain("denied");
    expect((await cliKeys()).length).toBe(before);
  });

  test("creation is limited to 10 a minute per address, answered 429 with Retry-After", async () => {
    for (let i = 0; i < 10; i++) await openSession();
    clock += 20_000;
    const refused = await fetch(`${hub.url}${SESSION}`, { method: "POST" });
    await expectHubError(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("retry-after"))).toBe(40);
    clock += 40_000;
    await openSession();
  });

  test("an address may hold at most 50 pending sessions", async () => {
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 10; i++) await openSession();
      clock += 61_000;
    }
    const refused = await fetch(`${hub.url}${SESSION}`, { method: "POST" });
    await expectHubError(refused, 429, "rate_limited");
    // The oldest pending session expires 15 minutes after it was made, 5 × 61 s ago.
    expect(Number(refused.headers.get("retry-after"))).toBe(15 * 60 - 5 * 61);
  });
});

describe("the approval page and its JSON API", () => {
  test("the page is HTML with a strict Content-Security-Policy, whatever the query", async () => {
    const response = await fetch(pageUrl("anything"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain(`http-equiv="Content-Security-Policy"`);
    expect(html).toContain("default-src 'none'; script-src 'self'");
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect((await fetch(`${hub.url}${script}`)).status).toBe(200);
  });

  test("the lookup shows a signed-in visitor when and from where the request came; others get 401", async () => {
    const session = await openSession();
    const token = Buffer.from(session.id).toString("base64url");
    await expectHubError(
      await fetch(`${hub.url}/.well-known/service/api/access-key/request?token=${token}`),
      401,
      "unauthorized",
    );
    const described = await visitor.describe(pageUrl(session.id));
    expect(described.status).toBe(200);
    expect(await described.json()).toMatchObject({
      status: "pending",
      createdAt: new Date(clock).toISOString(),
      creatorIp: "127.0.0.1",
      userAgent: expect.stringContaining("Bun"),
    });
  });

  test("unknown tokens are 404; used, denied and expired ones are 410", async () => {
    await expectHubError(await visitor.describe(pageUrl("no-such-session")), 404, "not_found");
    await expectHubError(await visitor.describe(`${hub.url}/x?__token__=%%%`), 404, "not_found");
    const used = await openSession();
    await visitor.decide(pageUrl(used.id), "approve");
    expect((await visitor.describe(pageUrl(used.id))).status).toBe(410);
    expect((await visitor.decide(pageUrl(used.id), "approve")).status).toBe(410);
    const denied = await openSession();
    await visitor.decide(pageUrl(denied.id), "deny");
    expect((await visitor.decide(pageUrl(denied.id), "approve")).status).toBe(410);
    const expired = await openSession();
    clock += 15 * 60_000;
    expect((await visitor.describe(pageUrl(expired.id))).status).toBe(410);
  });

  test("approving needs the CSRF token and a browser session; a refused attempt changes nothing", async () => {
    const session = await openSession();
    const keysBefore = (await cliKeys()).length;
    await expectHubError(await visitor.decide(pageUrl(session.id), "approve", { csrf: false }), 403, "forbidden");
    const key = (await hub.deps.accounts.issueHubKey({ userId, name: "laptop", source: "admin" })).key;
    const withKey = await fetch(`${hub.url}/.well-known/service/api/access-key/request/approve`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ token: Buffer.from(session.id).toString("base64url") }),
    });
    await expectHubError(withKey, 403, "forbidden");
    expect(await (await poll(session.id)).json()).not.toHaveProperty("accessKeyId");
    expect((await cliKeys()).length).toBe(keysBefore);
  });

  test("DELETE /.well-known/service/api/access-key revokes the key that calls it", async () => {
    const { key } = await hub.deps.accounts.issueHubKey({ userId, name: "to-revoke", source: "cli" });
    const auth = { authorization: `Bearer ${key}` };
    const revoked = await fetch(`${hub.url}/.well-known/service/api/access-key`, { method: "DELETE", headers: auth });
    expect(await revoked.json()).toEqual({ revoked: true });
    await expectHubError(await fetch(`${hub.url}/api/user/info`, { headers: auth }), 401, "unauthorized");
  });
});
