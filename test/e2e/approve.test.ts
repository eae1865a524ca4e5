/** @module The key-approval page in headless Chromium on the compiled hub: sign in, see who asks, approve. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { AccessKeySessionBody } from "../../src/shared/api";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { tempDir } from "../support/temp-dir";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dir, "..", "..", "test-artifacts");
const USER = { email: "ann@example.com", password: "ann-password-1" };
const SESSION = "/.well-known/service/api/access-key/session";
/** Starting Chromium and the hub binary takes a few seconds on a busy machine. */
const BROWSER_TIMEOUT_MS = 60_000;

const dir = tempDir();
let hub: TestHub;
let browser: Browser;

/** Opens a session as the CLI does and returns it with the page URL the CLI would open (no external logo). */
async function cliSession() {
  const session = (await (await fetch(`${hub.url}${SESSION}`, { method: "POST" })).json()) as AccessKeySessionBody;
  const query = new URLSearchParams({
    __token__: Buffer.from(session.id).toString("base64url"),
    source: "@aigne/cli connect to AIGNE hub",
    closeOnSuccess: "true",
    cli: "true",
    appName: " AIGNE CLI",
  });
  return { session, url: `${hub.url}/.well-known/service/gen-simple-access-key?${query}` };
}

beforeAll(async () => {
  // Fail, never skip: without a browser this suite proves nothing.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  hub = await startBinaryHub({ cwd: dir.path });
  const made = await runBinary(
    ["admin", "user", "upsert", "--email", USER.email, "--password", USER.password, "--data-dir", hub.dataDir],
    { cwd: dir.path },
  );
  expect(made.code).toBe(0);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, BROWSER_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  if (hub && hub.proc.exitCode === null) await hub.stop("SIGKILL");
  dir.remove();
});

describe("the key-approval page", () => {
  test(
    "signs in with Email and Password, shows who asks, and Approve hands the CLI its key",
    async () => {
      const context = await browser.newContext({ viewport: { width: 720, height: 820 } });
      const page = await context.newPage();
      const problems: string[] = [];
      // The visitor is not signed in yet, so the session probe's 401 is expected; anything else is a problem.
      page.on("console", (message) => {
        if (message.type() === "error" && !message.text().includes("401")) problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      const { session, url } = await cliSession();

      await page.goto(url);
      await page.getByLabel("Email").fill(USER.email);
      await page.getByLabel("Password").fill(USER.password);
      await page.getByRole("button", { name: "Sign in" }).click();

      await page.getByRole("heading", { name: "AIGNE CLI asks for access" }).waitFor();
      const card = (await page.locator("main").textContent()) ?? "";
      expect(card).toContain("@aigne/cli connect to AIGNE hub");
      expect(card).toContain("127.0.0.1");
      expect(card).toContain(USER.email);
      expect(card).toContain("Approve only if you just ran aigne hub connect");
      expect(await page.getByRole("button", { name: "Deny" }).isVisible()).toBe(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "approve.png"), fullPage: true });

      await page.getByRole("button", { name: "Approve" }).click();
      await page.getByText("You can return to the terminal; the CLI will continue automatically.").waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "approve-approved.png"), fullPage: true });

      const polled = (await (await fetch(`${hub.url}${SESSION}?sid=${session.id}`)).json()) as AccessKeySessionBody;
      expect(polled.accessKeySecret).toStartWith("U2FsdGVkX1");
      // The strict CSP blocked nothing the page needs.
      expect(problems).toEqual([]);
      await context.close();
    },
    BROWSER_TIMEOUT_MS,
  );

  test(
    "an unknown token shows an error instead of the buttons; Deny makes the CLI's poll fail",
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const bogus = `${hub.url}/.well-known/service/gen-simple-access-key?__token__=${Buffer.from("nope").toString("base64url")}`;
      await page.goto(bogus);
      await page.getByLabel("Email").fill(USER.email);
      await page.getByLabel("Password").fill(USER.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "This request cannot be approved" }).waitFor();
      expect(await page.getByRole("button", { name: "Approve" }).count()).toBe(0);

      // Signed in now, a real request goes straight to the decision.
      const { session, url } = await cliSession();
      await page.goto(url);
      await page.getByRole("button", { name: "Deny" }).click();
      await page.getByRole("heading", { name: "Access denied" }).waitFor();
      expect((await fetch(`${hub.url}${SESSION}?sid=${session.id}`)).status).toBe(403);
      await context.close();
    },
    BROWSER_TIMEOUT_MS,
  );
});
