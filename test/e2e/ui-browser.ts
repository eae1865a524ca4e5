/** @module Headless Chromium for the UI tests: launch (failing loudly when absent), sign in, screenshots, page errors. */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium package; the tests never download a browser. */
export const CHROMIUM = "/usr/bin/chromium";
/** Where screenshots go (git-ignored). */
export const ARTIFACTS = join(import.meta.dir, "..", "..", "test-artifacts", "ui");

/** The two viewports every main page is looked at in. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;

/** Starts headless Chromium with a fresh profile; throws, never skips, when the browser is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run UI tests`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A new browser context (its own cookies and storage) on `baseURL`, English and desktop-sized unless told otherwise. */
export function newContext(
  browser: Browser,
  baseURL: string,
  options: { viewport?: keyof typeof VIEWPORTS; colorScheme?: "light" | "dark"; locale?: string } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: VIEWPORTS[options.viewport ?? "desktop"],
    colorScheme: options.colorScheme ?? "light",
    locale: options.locale ?? "en-US",
  });
}

/**
 * Records into `errors` what would show a broken page: uncaught exceptions and console errors, except the browser's own
 * "Failed to load resource" lines, which every expected 401 (the session probe, a wrong password) produces.
 */
export function watchErrors(page: Page, errors: string[]): void {
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
      errors.push(`console: ${message.text()}`);
  });
}

/** Fills the shell's sign-in form and waits until it is gone. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Saves a full-page screenshot as test-artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  // Toasts fade after a few seconds; waiting them out would slow every test, so they are hidden for the picture
  // (through the CSSOM: the pages' CSP rightly refuses the <style> tag Playwright's own `style` option injects).
  // Scrolled to the top first, or the sticky top bar is drawn wherever the page was scrolled to.
  const toasts = (hidden: boolean) =>
    page.evaluate((hide) => {
      const region = document.querySelector<HTMLElement>(".toasts");
      if (region) region.style.display = hide ? "none" : "";
      if (hide) window.scrollTo(0, 0);
    }, hidden);
  await toasts(true);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await toasts(false);
}

/** Screenshots one path at the phone size in a throwaway page of the same context (same session). */
export async function phoneScreenshot(context: BrowserContext, path: string, name: string, ready: string) {
  const page = await context.newPage();
  await page.setViewportSize(VIEWPORTS.phone);
  await page.goto(path);
  await page.getByRole("heading", { name: ready }).first().waitFor();
  await page.waitForLoadState("networkidle");
  await screenshot(page, name);
  await page.close();
}

/** Lists the controls on the page that have no accessible name (label, aria-label(ledby) or own text). */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const named = (el: Element) => {
      const labelledBy = el.getAttribute("aria-labelledby");
      const fromIds = labelledBy
        ?.split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" ");
      const labels =
        "labels" in el ? [...((el as HTMLInputElement).labels ?? [])].map((l) => l.textContent).join(" ") : "";
      const own = /^(BUTTON|A|SUMMARY)$/.test(el.tagName) || el.getAttribute("role") === "tab" ? el.textContent : "";
      return `${el.getAttribute("aria-label") ?? ""}${fromIds ?? ""}${labels}${own ?? ""}`.trim() !== "";
    };
    return [...document.querySelectorAll("input, select, textarea, button, a[href], summary, [role=tab]")]
      .filter((el) => !named(el))
      .map((el) => el.outerHTML.slice(0, 160));
  });
}
