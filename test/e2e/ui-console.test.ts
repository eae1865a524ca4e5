/**
 * @module The web UI end to end on the compiled binary: an operator sets up a provider (the mock upstream), a priced
 * model and a funded user in the console; that user creates a key, calls a model with it, sees the call and the
 * lower balance, streams in the playground, switches to Chinese; dark mode and phone sizes are photographed.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { type MockUpstream, startMockUpstream } from "../mocks/upstream";
import { runBinary } from "../support/binary";
import { startBinaryHub, type TestHub } from "../support/hub";
import { type TempDir, tempDir } from "../support/temp-dir";
import {
  launchChromium,
  newContext,
  phoneScreenshot,
  screenshot,
  signIn,
  unnamedControls,
  watchErrors,
} from "./ui-browser";

const ADMIN = { email: "admin@example.com", password: "admin-password" };
const USER = { email: "user@example.com", password: "user-password" };
const MODEL = "mock/gpt-4o-mini";
// A browser walk through several pages takes seconds per step on a shared two-core machine.
setDefaultTimeout(90_000);

let dir: TempDir;
let hub: TestHub;
let mock: MockUpstream;
let browser: Browser;
let userContext: BrowserContext;
let userPage: Page;
let hubKey = "";
let redeemCode = "";
const PAYMENT_LINK = "https://pay.example.com/buy";
const pageErrors: string[] = [];

/** Waits until the element matching `selector` shows exactly `text`. */
async function waitForText(page: Page, selector: string, text: string | RegExp) {
  await page.locator(selector).filter({ hasText: text }).first().waitFor();
}

beforeAll(async () => {
  dir = tempDir();
  mock = await startMockUpstream();
  hub = await startBinaryHub({ cwd: dir.path, env: { AIGNE_HUB_WORKER_TICK_SECONDS: "0.2" } });
  const upsert = await runBinary(
    ["admin", "user", "upsert", "--email", ADMIN.email, "--password", ADMIN.password, "--role", "admin"],
    { cwd: dir.path, env: { AIGNE_HUB_DATA_DIR: hub.dataDir } },
  );
  if (upsert.code !== 0) throw new Error(`admin user upsert failed: ${upsert.stderr}`);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  await mock?.stop();
  dir?.remove();
});

describe("the operator console", () => {
  test("an admin adds a provider pointing at the mock, tests its key, prices a model and funds a new user", async () => {
    const context = await newContext(browser, hub.url);
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/");
    await page.waitForURL(/\/ui\/$/);
    await page.goto("/ui/admin");
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("tab", { name: "Providers", selected: true }).waitFor();

    await page.getByLabel("Provider name").fill("mock");
    await page.getByLabel("Type").selectOption("openai");
    await page.getByLabel("Base URL").fill(mock.openaiBase);
    await page.getByLabel("API key", { exact: true }).fill("sk-mock-key-0001");
    await page.getByRole("button", { name: "Add provider" }).click();
    await page.getByRole("heading", { name: "mock", exact: true }).waitFor();
    await page.getByRole("button", { name: /^Test key / }).click();
    await waitForText(page, ".toasts", /works \(\d+ ms\)/);
    expect(mock.requests.some((r) => r.endpoint === "models" && r.apiKey === "sk-mock-key-0001")).toBe(true);
    await waitForText(page, ".badge", "active");
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "admin-providers-desktop");
    await phoneScreenshot(context, "/ui/admin#providers", "admin-providers-phone", "Operator console");

    await page.getByRole("tab", { name: "Models" }).click();
    await page.getByLabel("Model", { exact: true }).fill(MODEL);
    await page.getByLabel("Input rate").fill("0.000001");
    await page.getByLabel("Output rate").fill("0.000002");
    await page.getByLabel("Max output tokens").fill("1000");
    await page.getByRole("button", { name: "Add model" }).click();
    await page.getByRole("cell", { name: MODEL, exact: true }).waitFor();
    expect(page.url()).toEndWith("#models");
    await page.getByLabel("Alias", { exact: true }).fill("cheap");
    await page.getByLabel("Served by").fill(MODEL);
    await page.getByRole("button", { name: "Add alias" }).click();
    await page.getByRole("cell", { name: "cheap", exact: true }).waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "admin-models-desktop");

    await page.getByRole("tab", { name: "Users" }).click();
    await page.getByLabel("Email", { exact: true }).fill(USER.email);
    await page.getByLabel("Name", { exact: true }).fill("E2E User");
    await page.getByLabel("Password", { exact: true }).fill(USER.password);
    await page.getByRole("button", { name: "Create user" }).click();
    const row = page.getByRole("row", { name: new RegExp(USER.email) });
    await row.waitFor();
    await row.getByText("Grant credits").click();
    await row.getByLabel("Credits", { exact: true }).fill("5");
    await row.getByRole("button", { name: "Grant" }).click();
    await row.getByRole("cell", { name: "5", exact: true }).waitFor();

    await page.getByLabel("Email", { exact: true }).fill("ops2@example.com");
    await page.getByLabel("Password", { exact: true }).fill("ops2-password");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByLabel("Role of ops2@example.com").selectOption("admin");
    await waitForText(page, ".toasts", "ops2@example.com is now admin.");

    await page.getByLabel("Credits per code").fill("1");
    await page.getByRole("button", { name: "Create codes" }).click();
    redeemCode = await page.getByLabel("Code 1").inputValue();
    expect(redeemCode).not.toBe("");
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "admin-users-desktop");
    await phoneScreenshot(context, "/ui/admin#users", "admin-users-phone", "Operator console");

    await page.getByRole("tab", { name: "Settings" }).click();
    await page.getByLabel("Charge credits for calls").waitFor();
    expect(await page.getByLabel("Charge credits for calls").isChecked()).toBe(true);
    await page.getByText("Days kept").waitFor();
    await page.getByLabel("Payment link").fill(PAYMENT_LINK);
    await page.getByRole("button", { name: "Save" }).click();
    await waitForText(page, ".toasts", "Settings saved.");
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "admin-settings-desktop");
    await context.close();
  });

  test("an error from the API is shown in words, and the console refuses a non-admin", async () => {
    const context = await newContext(browser, hub.url);
    const page = await context.newPage();
    await page.goto("/ui/admin");
    await page.getByLabel("Email").fill(USER.email);
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "Not signed in or not authorised: Wrong email or password" })
      .waitFor();
    await signIn(page, USER.email, USER.password);
    await page.getByRole("alert").filter({ hasText: "This page is for administrators" }).waitFor();
    expect(await page.getByRole("link", { name: "Admin" }).count()).toBe(0);
    await context.close();
  });
});

describe("the key-approval page", () => {
  test("it keeps its own centred card with the shared stylesheet", async () => {
    const context = await newContext(browser, hub.url);
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/.well-known/service/gen-simple-access-key?__token__=dGVzdA");
    await page.getByRole("heading", { name: "Sign in to approve CLI access" }).waitFor();
    const card = await page.locator("main.card").boundingBox();
    expect(card!.width).toBeLessThanOrEqual(440);
    await screenshot(page, "approve-desktop");
    await context.close();
  });
});

describe("the account page", () => {
  test("the user creates a key, copies it, calls a model with it and sees the call and the lower balance", async () => {
    userContext = await newContext(browser, hub.url);
    await userContext.grantPermissions(["clipboard-read", "clipboard-write"], { origin: hub.url });
    userPage = await userContext.newPage();
    watchErrors(userPage, pageErrors);
    await userPage.goto("/ui/account");
    await signIn(userPage, USER.email, USER.password);
    await waitForText(userPage, "[data-testid=balance]", /^5$/);
    expect(await userPage.getByRole("link", { name: "Admin" }).count()).toBe(0);
    const payment = userPage.getByRole("link", { name: "Open the payment page" });
    expect(await payment.getAttribute("href")).toBe(PAYMENT_LINK);

    await userPage.getByLabel("Redeem code").fill(redeemCode);
    await userPage.getByRole("button", { name: "Redeem" }).click();
    await waitForText(userPage, ".toasts", "Redeemed 1 credits.");
    await waitForText(userPage, "[data-testid=balance]", /^6$/);

    await userPage.getByLabel("Key name").fill("e2e");
    await userPage.getByRole("button", { name: "Create key" }).click();
    const shown = userPage.getByLabel("Your new key");
    await shown.waitFor();
    await userPage.getByRole("button", { name: "Copy" }).click();
    await userPage.getByText("Copied", { exact: true }).waitFor();
    hubKey = await userPage.evaluate(() => navigator.clipboard.readText());
    expect(hubKey).toStartWith("ahk_");
    expect(await shown.inputValue()).toBe(hubKey);
    await userPage.getByRole("button", { name: "I have copied it" }).click();
    expect(await userPage.getByLabel("Your new key").count()).toBe(0);

    mock.setScript({ text: "Hello from the mock upstream.", usage: { input: 1000, output: 500 } });
    const response = await fetch(`${hub.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${hubKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hi" }] }),
    });
    expect(response.status).toBe(200);
    await response.json();

    // 1000 × 0.000001 + 500 × 0.000002 = 0.002 credits.
    await userPage.getByRole("button", { name: "Refresh" }).click();
    await waitForText(userPage, "[data-testid=balance]", /^5\.998$/);
    const calls = userPage.locator("#calls");
    await calls.getByRole("cell", { name: MODEL }).waitFor();
    await calls.getByText("success").waitFor();
    await calls.getByRole("cell", { name: "0.002", exact: true }).waitFor();
    await userPage.locator(".chart canvas").first().waitFor();
    await userPage.getByRole("img", { name: /Credits per day and model/ }).waitFor();

    const keyRow = userPage.locator("#keys").getByRole("row", { name: /e2e/ });
    await keyRow.locator("summary").click();
    await keyRow.getByLabel("Requests per minute").fill("60");
    await keyRow.getByRole("button", { name: "Save" }).click();
    await keyRow.getByText("60 requests/min").waitFor();
    expect(await unnamedControls(userPage)).toEqual([]);

    await screenshot(userPage, "account-desktop");
    await phoneScreenshot(userContext, "/ui/account", "account-phone", "Your account");
  });

  test("/ui/credits opens the account page at its top-up section", async () => {
    const page = await userContext.newPage();
    await page.goto("/ui/credits?checkout=cancelled");
    await page.getByText("Checkout cancelled; nothing was charged.").waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Top up");
    await page.close();
  });
});

describe("the playground", () => {
  test("it streams an answer from the picked model through the hub and reports the usage", async () => {
    mock.setScript({
      text: "Streaming through the hub works.",
      chunks: 4,
      chunkDelayMs: 40,
      usage: { input: 20, output: 8 },
    });
    const page = await userContext.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/ui/playground");
    await page.getByLabel("Model", { exact: true }).selectOption(MODEL);
    await page.getByLabel("Message").fill("Say something");
    await page.getByRole("button", { name: "Send" }).click();
    await waitForText(page, ".turn.agent .turn-text", "Streaming through the hub works.");
    await waitForText(page, ".turn.agent", "20 tokens in, 8 out");
    const upstream = mock.requests.at(-1)!;
    expect(upstream.stream).toBe(true);
    expect(upstream.model).toBe("gpt-4o-mini");
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "playground-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "playground-phone");
    await page.close();
  });
});

describe("language and colour scheme", () => {
  test("switching to Chinese translates the labels, sets <html lang> and is remembered", async () => {
    await userPage.getByLabel("Language").selectOption("zh");
    await userPage.getByRole("heading", { name: "我的账户" }).waitFor();
    await userPage.getByRole("link", { name: "账户" }).waitFor();
    await userPage.getByRole("button", { name: "退出登录" }).waitFor();
    expect(await userPage.evaluate(() => document.documentElement.lang)).toBe("zh-CN");
    expect(await userPage.title()).toBe("账户 · AIGNE Hub");
    await userPage.reload();
    await userPage.getByRole("heading", { name: "API 密钥" }).waitFor();
    await screenshot(userPage, "account-zh-desktop");
    await userPage.getByLabel("语言").selectOption("en");
    await userPage.getByRole("heading", { name: "Your account" }).waitFor();
  });

  test("dark mode follows the system's colour scheme", async () => {
    const context = await newContext(browser, hub.url, { colorScheme: "dark" });
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/ui/account");
    await signIn(page, ADMIN.email, ADMIN.password);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(18, 20, 23)");
    await screenshot(page, "account-dark-desktop");
    await page.goto("/ui/admin#calls");
    await page.getByRole("cell", { name: MODEL }).first().waitFor();
    const csv = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    const download = await context.request.get(csv!);
    expect(download.headers()["content-type"]).toStartWith("text/csv");
    expect(await download.text()).toContain("gpt-4o-mini");
    await screenshot(page, "admin-calls-dark-desktop");
    await phoneScreenshot(context, "/ui/admin#calls", "admin-calls-dark-phone", "Operator console");
    await phoneScreenshot(context, "/ui/playground", "playground-dark-phone", "Playground");
    await context.close();
  });
});

describe("the end of the visit", () => {
  test("signing out returns to the sign-in form", async () => {
    await userPage.getByRole("button", { name: "Sign out" }).click();
    await userPage.getByRole("heading", { name: "Sign in to AIGNE Hub" }).waitFor();
    await userPage.reload();
    await userPage.getByRole("button", { name: "Sign in" }).waitFor();
  });

  test("no page threw or broke its content security policy", () => {
    expect(pageErrors).toEqual([]);
  });
});
