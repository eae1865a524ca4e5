/**
 * @module The run pages in the compiled binary: served at the MVP's paths with their chunks and a CSP, each under
 * 250 KB of gzipped script; and the platform's user routes taking a signed-in browser (cookie + CSRF token).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runBinary } from "../../support/binary";
import { startBinaryHub, type TestHub } from "../../support/hub";
import { expectServedPage } from "../../support/page-assets";
import { type TempDir, tempDir } from "../../support/temp-dir";

const PAGES = [
  ["/ui/", "Runs"],
  ["/ui/index.html", "Runs"],
  ["/ui/stream.html?run_id=r_0000000000000000", "Live"],
  ["/ui/replay.html?run_id=r_0000000000000000&seq=3", "Replay"],
  ["/ui/output.html?run_id=r_0000000000000000", "Work"],
  ["/ui/agent.html", "My agents"],
  ["/ui/publish.html", "Publish"],
  ["/ui/settings.html", "Guide"],
] as const;
const USER = { email: "runs-user@example.com", password: "runs-user-password" };

let dir: TempDir;
let hub: TestHub;

beforeAll(async () => {
  dir = tempDir();
  hub = await startBinaryHub({ cwd: dir.path });
  const upsert = await runBinary(["admin", "user", "upsert", "--email", USER.email, "--password", USER.password], {
    cwd: dir.path,
    env: { AIGNE_HUB_DATA_DIR: hub.dataDir },
  });
  if (upsert.code !== 0) throw new Error(`user upsert failed: ${upsert.stderr}`);
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  dir?.remove();
});

describe("the run pages of the binary", () => {
  for (const [path, title] of PAGES) {
    test(`${path} is the ${title} page with a CSP, its chunks, and under 250 KB of gzipped script`, async () => {
      const html = await expectServedPage(hub.url, path);
      expect(html).toContain(`<title>${title} · AIGNE Hub</title>`);
    });
  }

  test("/ and /ui lead to /ui/, which is the runs page itself (no redirect)", async () => {
    for (const path of ["/", "/ui"]) {
      const response = await fetch(`${hub.url}${path}`, { redirect: "manual" });
      expect(response.status).toBe(302);
      expect(new URL(response.headers.get("location")!, hub.url).pathname).toBe("/ui/");
    }
    const home = await fetch(`${hub.url}/ui/?q=lighthouse`, { redirect: "manual" });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("<title>Runs · AIGNE Hub</title>");
  });
});

describe("a signed-in browser on the platform's user routes", () => {
  let cookie = "";
  let csrf = "";

  /** Calls a platform route as the browser: its cookie, and the CSRF token only when `withToken`. */
  const browser = async (method: string, path: string, options: { json?: unknown; withToken?: boolean } = {}) => {
    const headers: Record<string, string> = { cookie };
    if (options.json !== undefined) headers["content-type"] = "application/json";
    if (options.withToken) headers["x-csrf-token"] = csrf;
    const response = await fetch(`${hub.url}${path}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    const signIn = await fetch(`${hub.url}/api/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(USER),
    });
    expect(signIn.status).toBe(200);
    cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
  });

  test("GET /v1/me answers for the hub account's linked platform user, without a key", async () => {
    const me = await browser("GET", "/v1/me");
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user_id: expect.any(String), hub_account: USER.email });
    expect((await browser("GET", "/v1/me")).body.user_id).toBe(me.body.user_id);
  });

  test("unsafe calls need the session's CSRF token; with it the browser creates and manages agents", async () => {
    const refused = await browser("POST", "/v1/agents", { json: { name: "no-token" } });
    expect(refused).toEqual({ status: 403, body: { error: "Missing or wrong CSRF token" } });
    expect((await browser("GET", "/v1/agents")).body).toEqual({ agents: [] });
    const created = await browser("POST", "/v1/agents", {
      json: { name: "browser-made", tags: ["t"] },
      withToken: true,
    });
    expect(created.status).toBe(201);
    expect(created.body.api_key).toStartWith("aha_");
    const listed = await browser("GET", "/v1/agents");
    expect(listed.body.agents.map((agent: { name: string }) => agent.name)).toEqual(["browser-made"]);
    const disabled = await browser("POST", `/v1/agents/${created.body.agent_id}/disable`, { withToken: true });
    expect(disabled).toEqual({ status: 200, body: { status: "disabled" } });
    const keys = await browser("GET", "/v1/me/keys");
    expect(keys).toEqual({ status: 200, body: { keys: [] } });
  });

  test("publishing as the browser meets the same gate, with its exact body", async () => {
    const gated = await browser("POST", "/v1/runs", { json: { goal: "g" }, withToken: true });
    expect(gated.status).toBe(403);
    expect(gated.body).toMatchObject({ error: "publish_gated", reason: "no_agent" });
  });

  test("without a key or session the MVP's error stands; a stale session or a key of the wrong kind is refused", async () => {
    const none = await fetch(`${hub.url}/v1/me`);
    expect({ status: none.status, body: await none.json() }).toEqual({
      status: 401,
      body: { error: "missing bearer token" },
    });
    const stale = await fetch(`${hub.url}/v1/me`, { headers: { cookie: "aigne_hub_session=stale" } });
    expect(stale.status).toBe(401);
    const wrongKind = await fetch(`${hub.url}/v1/me`, {
      headers: { cookie, authorization: "Bearer aha_not-a-user-key" },
    });
    expect({ status: wrongKind.status, body: await wrongKind.json() }).toEqual({
      status: 401,
      body: { error: "invalid token" },
    });
  });
});
