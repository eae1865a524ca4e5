/** @module `aigne-hub hub …` and `aigne-hub chat` as child processes, each with its own HOME, against a running hub. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { decideNextRequest, type FakeBrowser, fakeBrowser } from "../integration/aigne/approval";
import { type MockUpstream, startMockUpstream } from "../mocks/upstream";
import { type RunResult, runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { tempDir } from "../support/temp-dir";

const ANN = { email: "ann@example.com", password: "ann-password-1" };
const BOB = { email: "bob@example.com", password: "bob-password-1" };
const MODEL = "openai/gpt-4o-mini";
/** A login polls every 1.5 s and each command is a child process; a busy machine needs the margin. */
const CLI_TIMEOUT_MS = 30_000;

const dir = tempDir();
let hub: TestHub;
let mock: MockUpstream;
let homes = 0;

/** A fresh working directory; its HOME is `<cwd>/.home`, so each one is a separate user account on the machine. */
function newUser(): { cwd: string; storePath: string; browser: FakeBrowser } {
  const cwd = join(dir.path, `user-${homes++}`);
  mkdirSync(cwd, { recursive: true });
  return { cwd, storePath: join(cwd, ".home", ".aigne", "aigne-hub-connected.yaml"), browser: fakeBrowser(cwd) };
}

const cli = (
  user: { cwd: string; browser: FakeBrowser },
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
) => runBinary(args, { cwd: user.cwd, env: { BROWSER: user.browser.command, ...options.env }, stdin: options.stdin });

const admin = async (...args: string[]) => {
  const result = await runBinary(["admin", ...args, "--data-dir", hub.dataDir], { cwd: dir.path });
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
  return result.stdout.trim();
};

/** Runs `hub connect` and approves (or denies) in the "browser" while it waits. */
async function connectThroughBrowser(
  user: ReturnType<typeof newUser>,
  credentials = ANN,
  decision: "approve" | "deny" = "approve",
): Promise<RunResult & { page: string }> {
  const run = cli(user, ["hub", "connect", hub.url]);
  const page = await decideNextRequest({ browser: user.browser, hubUrl: hub.url, credentials, decision });
  return { ...(await run), page };
}

/**
 * Connects with `--api-key` and a key from `admin key create`: the hub opens at most 10 sign-in sessions a minute per
 * address, so only the tests about the browser login use it.
 */
async function connectWithKey(user: ReturnType<typeof newUser>, email: string) {
  const key = await admin("key", "create", "--email", email, "--name", "cli-test");
  const connected = await cli(user, ["hub", "connect", hub.url, "--api-key", key]);
  expect(connected.code).toBe(0);
}

beforeAll(async () => {
  mock = await startMockUpstream();
  hub = await startBinaryHub({ cwd: dir.path });
  await admin("user", "upsert", "--email", ANN.email, "--password", ANN.password, "--name", "Ann Example");
  await admin("user", "upsert", "--email", BOB.email, "--password", BOB.password);
  await admin(
    "provider",
    "set",
    "--name",
    "openai",
    "--type",
    "openai",
    "--base-url",
    mock.openaiBase,
    "--api-key",
    "sk-mock",
  );
  await admin("model", "set", "--model", MODEL, "--input-rate", "0.001", "--output-rate", "0.002");
  await admin("credits", "grant", "--email", ANN.email, "--amount", "100");
  // A running server sees admin writes within a second; wait until the model is listed.
  for (let i = 0; i < 40; i++) {
    const models = (await (await fetch(`${hub.url}/api/ai/models?type=chat`)).json()) as { model: string }[];
    if (models.some((m) => m.model === MODEL)) break;
    await Bun.sleep(50);
  }
}, CLI_TIMEOUT_MS);
afterAll(async () => {
  if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
  await mock?.stop();
  dir.remove();
});

describe("hub connect", () => {
  test(
    "prints the approval URL, stores the approved key (file 0600) and makes the hub active",
    async () => {
      const user = newUser();
      const result = await connectThroughBrowser(user);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`Connected to ${hub.url}; it is now the active hub.\n`);
      expect(result.stderr).toContain(result.page);
      const page = new URL(result.page);
      expect(page.pathname).toBe("/.well-known/service/gen-simple-access-key");
      expect(page.searchParams.get("appName")).toBe(" aigne-hub CLI");
      expect(statSync(user.storePath).mode & 0o777).toBe(0o600);
      const stored = parse(readFileSync(user.storePath, "utf8"));
      const host = new URL(hub.url).host;
      expect(stored.default).toEqual({ AIGNE_HUB_API_URL: hub.url });
      expect(stored[host].AIGNE_HUB_API_URL).toBe(hub.url);
      const info = await fetch(`${hub.url}/api/user/info`, {
        headers: { authorization: `Bearer ${stored[host].AIGNE_HUB_API_KEY}` },
      });
      expect(info.status).toBe(200);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "then list marks it ACTIVE, and status shows the user and the balance as text or one JSON document",
    async () => {
      const user = newUser();
      expect((await connectThroughBrowser(user)).code).toBe(0);
      const list = await cli(user, ["hub", "list"]);
      expect(list).toEqual({ code: 0, stdout: `${hub.url}  ACTIVE\n`, stderr: "" });
      const status = await cli(user, ["hub", "status"]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`Hub:       ${hub.url} (active)`);
      expect(status.stdout).toContain("User:      Ann Example");
      expect(status.stdout).toContain(`Email:     ${ANN.email}`);
      expect(status.stdout).toContain("Available: ");
      const json = await cli(user, ["hub", "st", "--json"]);
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout);
      expect(report).toMatchObject({ hub: hub.url, active: true, user: { name: "Ann Example", email: ANN.email } });
      expect(report.user.did).toMatch(/^z/);
      expect(report.enableCredit).toBe(true);
      expect(Number(report.credits.total)).toBeGreaterThanOrEqual(100);
      expect(report.links.payment).toStartWith("http");
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "connecting again while the stored key works only makes the hub active, without a new sign-in",
    async () => {
      const user = newUser();
      expect((await connectThroughBrowser(user)).code).toBe(0);
      const before = readFileSync(user.storePath, "utf8");
      const again = await cli(user, ["hub", "connect", `${hub.url}/`]);
      expect(again).toEqual({ code: 0, stdout: `Connected to ${hub.url}; it is now the active hub.\n`, stderr: "" });
      expect(readFileSync(user.storePath, "utf8")).toBe(before);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "a denied approval exits 1 saying so and stores nothing",
    async () => {
      const user = newUser();
      const result = await connectThroughBrowser(user, ANN, "deny");
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("access was denied in the browser");
      expect(existsSync(user.storePath)).toBe(false);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "a session that ends before approval (expired or used elsewhere) exits 1 and stores nothing",
    async () => {
      const user = newUser();
      const run = cli(user, ["hub", "connect", hub.url]);
      const page = new URL(await user.browser.nextUrl());
      const sessionId = Buffer.from(page.searchParams.get("__token__")!, "base64url").toString();
      await fetch(`${hub.url}/.well-known/service/api/access-key/session?sid=${sessionId}`, { method: "DELETE" });
      const result = await run;
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("the sign-in request expired or was already used");
      expect(existsSync(user.storePath)).toBe(false);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "--api-key stores a key the hub accepts, and refuses one it does not, storing nothing",
    async () => {
      const user = newUser();
      const bad = await cli(user, ["hub", "connect", hub.url, "--api-key", "ahk_not-a-real-key"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("did not accept the API key");
      expect(bad.stderr).toContain(`aigne-hub hub connect ${hub.url}`);
      expect(bad.stderr).not.toContain("ahk_not-a-real-key");
      expect(existsSync(user.storePath)).toBe(false);
      const key = await admin("key", "create", "--email", BOB.email, "--name", "cli-test");
      const good = await cli(user, ["hub", "connect", hub.url, "--api-key", key]);
      expect(good.code).toBe(0);
      expect((await cli(user, ["hub", "status", "--json"])).stdout).toContain(BOB.email);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "an unreachable URL and a URL that is not a hub fail clearly before anything is stored",
    async () => {
      const user = newUser();
      const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("no") });
      const closedUrl = `http://127.0.0.1:${closed.port}`;
      closed.stop(true);
      const unreachable = await cli(user, ["hub", "connect", closedUrl]);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`cannot reach ${closedUrl}`);
      const notHub = await cli(user, ["hub", "connect", mock.url]);
      expect(notHub.code).toBe(1);
      expect(notHub.stderr).toContain(`${mock.url} is not an AIGNE Hub`);
      const notUrl = await cli(user, ["hub", "connect", "ftp://example.com"]);
      expect(notUrl.code).toBe(1);
      expect(existsSync(user.storePath)).toBe(false);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "without a URL and without a terminal it exits 2 naming the missing argument",
    async () => {
      const result = await cli(newUser(), ["hub", "connect"]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("missing <url>");
    },
    CLI_TIMEOUT_MS,
  );
});

describe("hub use and hub remove", () => {
  const otherUrl = "https://other.example.com";

  /** A user connected to the test hub (active) with a second hub written into the store beforehand. */
  async function userWithTwoHubs() {
    const user = newUser();
    mkdirSync(join(user.cwd, ".home", ".aigne"), { recursive: true });
    writeFileSync(
      user.storePath,
      `other.example.com:\n  AIGNE_HUB_API_URL: ${otherUrl}\n  AIGNE_HUB_API_KEY: ahk_other\n`,
      { mode: 0o644 },
    );
    await connectWithKey(user, ANN.email);
    return user;
  }

  test(
    "use switches the active hub by the URL list prints; unknown URLs fail, a missing one is exit 2",
    async () => {
      const user = await userWithTwoHubs();
      expect((await cli(user, ["hub", "use", otherUrl])).stdout).toBe(`Active hub: ${otherUrl}\n`);
      expect((await cli(user, ["hub", "ls"])).stdout).toBe(`${otherUrl}  ACTIVE\n${hub.url}\n`);
      const unknown = await cli(user, ["hub", "use", "https://unknown.example.com"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("no hub https://unknown.example.com");
      const missing = await cli(user, ["hub", "use"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("missing <url>");
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "remove on a non-terminal acts without asking and makes a remaining hub active",
    async () => {
      const user = await userWithTwoHubs();
      const removed = await cli(user, ["hub", "rm", hub.url]);
      expect(removed).toEqual({ code: 0, stdout: `Removed ${hub.url}. Active hub: ${otherUrl}.\n`, stderr: "" });
      expect((await cli(user, ["hub", "list"])).stdout).toBe(`${otherUrl}  ACTIVE\n`);
      expect((await cli(user, ["hub", "remove", otherUrl])).stdout).toBe(
        `Removed ${otherUrl}. No hub is active now.\n`,
      );
      const empty = await cli(user, ["hub", "list"]);
      expect(empty).toEqual({ code: 0, stdout: "", stderr: "No hub connected. Run `aigne-hub hub connect <url>`.\n" });
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "a store it cannot parse is reported with its path and left byte-for-byte untouched",
    async () => {
      const user = newUser();
      mkdirSync(join(user.cwd, ".home", ".aigne"), { recursive: true });
      const corrupt = Buffer.from("127.0.0.1:1:\n  AIGNE_HUB_API_URL: [oops\n\u0000\n");
      writeFileSync(user.storePath, corrupt);
      for (const args of [
        ["hub", "list"],
        ["hub", "use", hub.url],
        ["hub", "remove", hub.url],
        ["hub", "connect", hub.url],
        ["chat", "hi"],
      ]) {
        const result = await cli(user, args);
        expect({ args, code: result.code }).toEqual({ args, code: 1 });
        expect(result.stderr).toContain(`cannot read the hub store ${user.storePath}`);
      }
      expect(readFileSync(user.storePath).equals(corrupt)).toBe(true);
    },
    CLI_TIMEOUT_MS,
  );
});

describe("chat", () => {
  test(
    "streams the answer to stdout and the credits used to stderr, from arguments or stdin",
    async () => {
      const user = newUser();
      await connectWithKey(user, ANN.email);
      mock.setScript({ text: "Hello from the hub", chunks: 3, usage: { input: 10, output: 4 } });
      const fromArgs = await cli(user, ["chat", "--model", MODEL, "Say", "hello"]);
      expect(fromArgs.stdout).toBe("Hello from the hub\n");
      expect(fromArgs.stderr).toBe("10 input tokens, 4 output tokens; credits used: 0.018\n");
      expect(fromArgs.code).toBe(0);
      expect(mock.requests.at(-1)?.body.messages).toEqual([{ role: "user", content: "Say hello" }]);
      const fromStdin = await cli(user, ["chat", "-m", MODEL], { stdin: "Piped question\n" });
      expect(fromStdin.code).toBe(0);
      expect(fromStdin.stdout).toBe("Hello from the hub\n");
      expect(mock.requests.at(-1)?.body.messages).toEqual([{ role: "user", content: "Piped question" }]);
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "a user without credits gets the 402 message with the payment link; a bad key suggests hub connect",
    async () => {
      const user = newUser();
      await connectWithKey(user, BOB.email);
      const broke = await cli(user, ["chat", "--model", MODEL, "hi"]);
      expect(broke.code).toBe(1);
      expect(broke.stderr).toMatch(
        /^aigne-hub chat: Not enough credits.*https?:\/\/\S+\nBuy credits at https?:\/\/\S+, then try again\.\n$/,
      );
      const badKey = await cli(user, ["chat", "--model", MODEL, "hi"], { env: { AIGNE_HUB_API_KEY: "ahk_wrong" } });
      expect(badKey.code).toBe(1);
      expect(badKey.stderr).toContain("aigne-hub hub connect");
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "an upstream failure mid-stream ends with a clear error and exit 1",
    async () => {
      const user = newUser();
      await connectWithKey(user, ANN.email);
      mock.setScript({ text: "partial answer that breaks", chunks: 4, cutAfterChunks: 2 });
      const result = await cli(user, ["chat", "--model", MODEL, "hi"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("the hub stopped the answer");
    },
    CLI_TIMEOUT_MS,
  );

  test(
    "no prompt and nothing on stdin is a usage error; no connection says how to connect",
    async () => {
      const user = newUser();
      await connectWithKey(user, ANN.email);
      const empty = await cli(user, ["chat", "--model", MODEL], { stdin: "" });
      expect(empty.code).toBe(2);
      expect(empty.stderr).toContain("missing prompt");
      const stranger = await cli(newUser(), ["chat", "hi"]);
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toContain("no hub is connected");
      expect(stranger.stderr).toContain("aigne-hub hub connect <url>");
    },
    CLI_TIMEOUT_MS,
  );
});
