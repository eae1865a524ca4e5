/** @module The real `@aigne/cli` 1.59.0 (`aigne hub …`) against the compiled hub, over HTTP and TLS, sharing its store. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { decideNextRequest, type FakeBrowser, fakeBrowser } from "../integration/aigne/approval";
import { childEnv, type RunResult, runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { tempDir } from "../support/temp-dir";

const AIGNE = join(import.meta.dir, "..", "..", "node_modules", ".bin", "aigne");
const ANN = { email: "ann@example.com", password: "ann-password-1", name: "Ann Example" };
const GRANT = "1234.5";
const insecure = { tls: { rejectUnauthorized: false } } as RequestInit;
/** Each aigne run starts a Node CLI (about 3 s), and a login polls every 1.5 s. */
const AIGNE_CLI_TIMEOUT_MS = 60_000;

const dir = tempDir();
let plain: TestHub;
let tls: TestHub;
let homes = 0;

/** A machine user: a working directory whose `.home` is HOME for both CLIs, and a fake browser. */
function newUser(): { cwd: string; home: string; browser: FakeBrowser } {
  const cwd = join(dir.path, `user-${homes++}`);
  mkdirSync(cwd, { recursive: true });
  return { cwd, home: join(cwd, ".home"), browser: fakeBrowser(cwd) };
}

const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");

/**
 * Runs `aigne …` with HOME set and without CI/NODE_ENV (either makes it fake `hub connect`), no keyring (no D-Bus,
 * no display, so it uses the YAML file) and $BROWSER as the fake browser that xdg-open falls back to.
 */
async function aigne(
  user: { home: string; browser: FakeBrowser },
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const proc = Bun.spawn([AIGNE, ...args], {
    cwd: user.home,
    env: childEnv(user.home, {
      BROWSER: user.browser.command,
      DBUS_SESSION_BUS_ADDRESS: "",
      DISPLAY: "",
      WAYLAND_DISPLAY: "",
      XDG_CURRENT_DESKTOP: "",
      FORCE_COLOR: "0",
      ...options.env,
    }),
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timer);
  return { code, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) };
}

const storeOf = (user: { home: string }) =>
  parse(readFileSync(join(user.home, ".aigne", "aigne-hub-connected.yaml"), "utf8"));

async function prepareHub(hub: TestHub) {
  const admin = (...args: string[]) => runBinary(["admin", ...args, "--data-dir", hub.dataDir], { cwd: dir.path });
  expect(
    (await admin("user", "upsert", "--email", ANN.email, "--password", ANN.password, "--name", ANN.name)).code,
  ).toBe(0);
  expect((await admin("credits", "grant", "--email", ANN.email, "--amount", GRANT)).code).toBe(0);
}

beforeAll(async () => {
  const certDir = join(dir.path, "tls");
  mkdirSync(certDir);
  const openssl = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      join(certDir, "key.pem"),
      "-out",
      join(certDir, "cert.pem"),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (openssl.exitCode !== 0) throw new Error(`openssl failed: ${openssl.stderr.toString()}`);
  mkdirSync(join(dir.path, "plain"));
  [plain, tls] = await Promise.all([
    startBinaryHub({ cwd: join(dir.path, "plain") }),
    startBinaryHub({ cwd: certDir, args: ["--tls-cert", "cert.pem", "--tls-key", "key.pem"] }),
  ]);
  await Promise.all([prepareHub(plain), prepareHub(tls)]);
}, AIGNE_CLI_TIMEOUT_MS);
afterAll(async () => {
  for (const hub of [plain, tls]) if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
  dir.remove();
});

describe("aigne hub connect", () => {
  test(
    "approved in the browser, it prints success and stores a working key under the host",
    async () => {
      const user = newUser();
      const run = aigne(user, ["hub", "connect", plain.url]);
      const page = await decideNextRequest({ browser: user.browser, hubUrl: plain.url, credentials: ANN });
      const result = await run;
      expect(result.stdout).toContain(`✓ Hub ${plain.url} connected successfully.`);
      expect(result.code).toBe(0);
      expect(new URL(page).searchParams.get("source")).toBe("@aigne/cli connect to AIGNE hub");
      const host = new URL(plain.url).host;
      const store = storeOf(user);
      expect(store[host].AIGNE_HUB_API_URL).toBe(plain.url);
      expect(store.default.AIGNE_HUB_API_URL).toBe(plain.url);
      const info = await fetch(`${plain.url}/api/user/info`, {
        headers: { authorization: `Bearer ${store[host].AIGNE_HUB_API_KEY}` },
      });
      expect(((await info.json()) as { user: { email: string } }).user.email).toBe(ANN.email);

      const list = await aigne(user, ["hub", "list"]);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(new RegExp(`│ ${plain.url.replace(/\./g, "\\.")}\\s+│ YES\\s+│`));

      // The same store, read by aigne-hub.
      const ours = await runBinary(["hub", "list"], { cwd: user.cwd });
      expect(ours.stdout).toBe(`${plain.url}  ACTIVE\n`);
      const status = await runBinary(["hub", "status", "--json"], { cwd: user.cwd });
      expect(JSON.parse(status.stdout).user.email).toBe(ANN.email);
    },
    AIGNE_CLI_TIMEOUT_MS,
  );

  test(
    "a hub connected with aigne-hub is listed ACTIVE by `aigne hub list`",
    async () => {
      const user = newUser();
      const run = runBinary(["hub", "connect", plain.url], { cwd: user.cwd, env: { BROWSER: user.browser.command } });
      await decideNextRequest({ browser: user.browser, hubUrl: plain.url, credentials: ANN });
      expect((await run).code).toBe(0);
      const list = await aigne(user, ["hub", "list"]);
      expect(list.stdout).toMatch(new RegExp(`│ ${plain.url.replace(/\./g, "\\.")}\\s+│ YES\\s+│`));
    },
    AIGNE_CLI_TIMEOUT_MS,
  );

  test(
    "a denied approval makes it report failure and store nothing",
    async () => {
      const user = newUser();
      const run = aigne(user, ["hub", "connect", plain.url]);
      await decideNextRequest({ browser: user.browser, hubUrl: plain.url, credentials: ANN, decision: "deny" });
      const result = await run;
      expect(result.stderr).toContain("✗ Failed to connect:");
      expect(result.stderr).toContain("denied");
      const list = await aigne(user, ["hub", "list"]);
      expect(list.stdout).toContain("No AIGNE Hub connected.");
    },
    AIGNE_CLI_TIMEOUT_MS,
  );
});

describe("aigne hub status over TLS", () => {
  test(
    "shows the signed-in user's name, DID and email, and the balance",
    async () => {
      const user = newUser();
      const env = { NODE_EXTRA_CA_CERTS: join(dir.path, "tls", "cert.pem") };
      const run = aigne(user, ["hub", "connect", tls.url], { env });
      await decideNextRequest({ browser: user.browser, hubUrl: tls.url, credentials: ANN, init: insecure });
      const connected = await run;
      expect(connected.stdout).toContain(`✓ Hub ${tls.url} connected successfully.`);

      // `status` asks which hub with a select prompt; a newline on stdin picks the connected one.
      const status = await aigne(user, ["hub", "status"], { stdin: "\n", env });
      expect(status.code).toBe(0);
      const info = (await (
        await fetch(`${tls.url}/api/user/info`, {
          ...insecure,
          headers: { authorization: `Bearer ${storeOf(user)[new URL(tls.url).host].AIGNE_HUB_API_KEY}` },
        })
      ).json()) as { user: { did: string } };
      expect(status.stdout).toContain("Status:    Connected ✅");
      expect(status.stdout).toMatch(new RegExp(`Name:\\s+${ANN.name}`));
      expect(status.stdout).toMatch(new RegExp(`DID:\\s+${info.user.did}`));
      expect(status.stdout).toMatch(new RegExp(`Email:\\s+${ANN.email}`));
      // The aigne CLI truncates amounts to integers with thousands separators.
      expect(status.stdout).toMatch(/Total:\s+1,234\n/);
      expect(status.stdout).toMatch(/Used:\s+0\n/);
      expect(status.stdout).toMatch(/Available:\s+1,234\n/);
      expect(status.stdout).toMatch(new RegExp(`Payment:\\s+${tls.url.replace(/\./g, "\\.")}/`));
    },
    AIGNE_CLI_TIMEOUT_MS,
  );
});
