/**
 * @module The public run pages and "my agents"/"publish" end to end on the compiled binary, in headless Chromium: an
 * agent emits events while the live page is open (also across a hub restart), the run is replayed with the
 * position control and its versions read; a signed-in user registers an agent, meets the publish gate, earns the
 * right to publish through the onboarding run, and publishes. Every main page is photographed on desktop and phone.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
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

const USER = { email: "publisher@example.com", password: "publisher-password" };
// A browser walk through several pages takes seconds per step on a shared two-core machine.
setDefaultTimeout(120_000);

let dir: TempDir;
let hub: TestHub;
let browser: Browser;
const pageErrors: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary wire JSON.
type Json = any;

/** Calls the hub's platform API with a key, failing the test on an unexpected status. */
async function api(method: string, path: string, key?: string, json?: unknown, expected?: number): Promise<Json> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = await response.json().catch(() => null);
  if (expected ? response.status !== expected : !response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

/** An agent's side of the protocol, driven from the test. */
function agentClient(key: string) {
  return {
    emit: (runId: string, kind: string, text: string) =>
      api("POST", `/v1/gateway/runs/${runId}/events`, key, { kind, payload: { text } }, 201) as Promise<{
        seq: number;
      }>,
    submit: (runId: string, kind: "draft" | "final", content: string, linked: number) =>
      api("POST", `/v1/gateway/runs/${runId}/artifacts`, key, { kind, content, linked_event_seq: linked }, 201),
    claim: (workItemId: string) => api("POST", `/v1/gateway/work-items/${workItemId}/claim`, key),
    complete: (workItemId: string) => api("POST", `/v1/gateway/work-items/${workItemId}/complete`, key),
    /** Claims the offer of `runId` the poll shows. */
    async claimRun(runId: string): Promise<string> {
      const poll = await api("GET", "/v1/gateway/inbox/poll", key);
      const offer = poll.offers.find((item: { run_id: string }) => item.run_id === runId);
      if (!offer) throw new Error(`no offer for run ${runId}: ${JSON.stringify(poll)}`);
      await this.claim(offer.work_item_id);
      return offer.work_item_id;
    },
    /** Does the onboarding run honestly (§6.5): message, final artifact, complete; that qualifies the owner. */
    async onboard(runId: string): Promise<void> {
      const item = await this.claimRun(runId);
      const plan = await this.emit(runId, "message", "I will introduce myself and write a tiny sample.");
      await this.submit(runId, "final", "Hello, I am a test agent. Sample: a haiku about tides.", plan.seq);
      await this.complete(item);
    },
  };
}

/** The seqs of the events a page lists, in the order shown. */
function shownSeqs(page: Page): Promise<number[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll(".events > li")].map((li) => Number(li.id.replace("seq-", ""))),
  );
}

/** Waits until the live page lists exactly the events 1..last, in order. */
async function waitForSeqs(page: Page, last: number): Promise<void> {
  await page.waitForFunction(
    (count) => document.querySelectorAll(".events > li").length >= count && document.getElementById(`seq-${count}`),
    last,
  );
  expect(await shownSeqs(page)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
}

/** Checks that every control of the page has an accessible name. */
async function expectNamedControls(page: Page): Promise<void> {
  expect(await unnamedControls(page)).toEqual([]);
}

const HUB_ENV = { AIGNE_HUB_WORKER_TICK_SECONDS: "0.2" };

/** Stops the hub and starts it again on the same port and data dir, as an operator's restart would. */
async function restartHub(): Promise<void> {
  const { port, dataDir } = hub;
  await hub.stop();
  hub = await startBinaryHub({
    cwd: dir.path,
    env: HUB_ENV,
    defaultFlags: false,
    args: ["--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir],
  });
}

beforeAll(async () => {
  dir = tempDir();
  hub = await startBinaryHub({ cwd: dir.path, env: HUB_ENV });
  const upsert = await runBinary(["admin", "user", "upsert", "--email", USER.email, "--password", USER.password], {
    cwd: dir.path,
    env: { AIGNE_HUB_DATA_DIR: hub.dataDir },
  });
  if (upsert.code !== 0) throw new Error(`user upsert failed: ${upsert.stderr}`);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
  dir?.remove();
});

describe("a public run, watched live and replayed", () => {
  let context: BrowserContext;
  let runId = "";
  let workItemId = "";
  let agent: ReturnType<typeof agentClient>;
  const marker = `zephyrine${Date.now() % 100_000}`;

  beforeAll(async () => {
    const user = await api("POST", "/v1/users");
    const created = await api("POST", "/v1/agents", user.api_key, { name: "narrator", tags: ["poetry", "sci-fi"] });
    agent = agentClient(created.api_key);
    await agent.onboard(created.onboarding.run_id);
    const run = await api("POST", "/v1/runs", user.api_key, {
      goal: `Write a ${marker} sonnet about the lighthouse on the moon station`,
      constraints: "Fourteen lines; keep the light on.",
      required_tags: ["poetry"],
    });
    runId = run.run_id;
    await api("POST", "/v1/runs", user.api_key, {
      goal: "写一个关于灯塔守护者的科幻故事",
      required_tags: ["科幻创意"],
    });
    workItemId = await agent.claimRun(runId);
    context = await newContext(browser, hub.url);
  });
  afterAll(() => context?.close());

  test("the runs list finds the run by a partial word, and by a Chinese term, without signing in", async () => {
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto(`/ui/?q=${marker.slice(0, 6)}`);
    await expect(page.getByLabel("Search runs").inputValue()).resolves.toBe(marker.slice(0, 6));
    const card = page.locator(".run-card").filter({ hasText: marker });
    await card.waitFor();
    expect(await page.locator(".run-card").count()).toBe(1);
    expect(await card.locator(".run-meta").textContent()).toContain("no output");
    await page.getByLabel("Search runs").fill("灯塔");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator(".run-card").filter({ hasText: "灯塔守护者" }).waitFor();
    expect(new URL(page.url()).searchParams.get("q")).toBe("灯塔");
    await page.getByRole("button", { name: "Clear search" }).click();
    await page.getByRole("heading", { name: "Newest runs" }).waitFor();
    await page.locator(".run-card").filter({ hasText: marker }).waitFor();
    await expectNamedControls(page);
    await screenshot(page, "runs-index");
    await page.close();
  });

  test("the live page shows events as the agent emits them, in order and once, across a hub restart", async () => {
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto(`/ui/?q=${marker}`);
    await page.locator(".run-card").filter({ hasText: marker }).getByRole("link", { name: "Live" }).click();
    await page.waitForURL(/\/ui\/stream\.html\?run_id=/);
    await page.getByText("Live: events appear as the agents emit them.").waitFor();
    await waitForSeqs(page, 1); // the platform's "claimed" event
    await agent.emit(runId, "message", "Reading the goal: a sonnet, fourteen lines.");
    await agent.emit(runId, "message", "The volta will turn on the lamp.");
    const decision = await agent.emit(runId, "decision", "Iambic pentameter, Petrarchan rhyme.");
    await waitForSeqs(page, decision.seq);
    expect(await page.locator(`#seq-${decision.seq}`).getAttribute("class")).toContain("key");

    // The hub restarts under the open page: the stream breaks, EventSource resumes with Last-Event-ID once the hub
    // is back, and what the agent emitted meanwhile arrives once, in order.
    await restartHub();
    await page.getByText("Connection lost").waitFor();
    await agent.emit(runId, "message", "Drafting the octave while the hub restarted.");
    const summary = await agent.emit(runId, "summary", "Octave drafted; sestet next.");
    await waitForSeqs(page, summary.seq);
    await page.getByText("Live: events appear as the agents emit them.").waitFor();

    await agent.submit(runId, "draft", "Octave: the lamp above the regolith…", decision.seq);
    await agent.submit(
      runId,
      "final",
      "Upon the moon a keeper tends the light,\nthat no ship needs, yet still it burns all night.",
      summary.seq,
    );
    await agent.complete(workItemId);
    await page.getByText("The run has ended (completed).").waitFor();
    const last = (await api("GET", `/v1/runs/${runId}/replay?after_seq=0&limit=500`)).next_after_seq;
    await waitForSeqs(page, last);
    await page.locator(".run-summary .badge").filter({ hasText: "completed" }).waitFor();
    await expectNamedControls(page);
    await screenshot(page, "runs-live");
    await page.close();
  });

  test("the replay pages in every event and its position control steps, jumps and plays", async () => {
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto(`/ui/replay.html?run_id=${runId}`);
    const total = (await api("GET", `/v1/runs/${runId}/replay?after_seq=0&limit=500`)).events.length;
    await page.getByText(`${total} events loaded.`).waitFor();
    const position = page.getByRole("slider", { name: "Position" });
    expect(await position.inputValue()).toBe(String(total));
    const current = () => page.locator('.events > li[aria-current="step"]').getAttribute("id");
    expect(await current()).toBe(`seq-${total}`);

    await position.fill("3");
    expect(await current()).toBe("seq-3");
    expect(await shownSeqs(page)).toEqual([3, 2, 1]);
    await page.getByRole("button", { name: "One event forward" }).click();
    expect(await current()).toBe("seq-4");
    await page.getByRole("button", { name: "One event back" }).click();
    await page.getByRole("button", { name: "One event back" }).click();
    expect(await current()).toBe("seq-2");
    await page.getByRole("button", { name: "Go to the end" }).click();
    expect(await current()).toBe(`seq-${total}`);
    await page.getByRole("button", { name: /decision/ }).click();
    const decisionSeq = Number((await current())!.replace("seq-", ""));
    expect(await page.locator(`#seq-${decisionSeq} .event-head`).textContent()).toContain("decision");
    await page.getByRole("button", { name: "Go to the start" }).click();
    await page.getByText("Move the position forward").waitFor();
    await page.getByRole("button", { name: "Play", exact: true }).click();
    await page.waitForFunction(() => document.querySelector('.events > li[aria-current="step"]')?.id === "seq-2");
    await page.getByRole("button", { name: "Pause", exact: true }).click();
    await page.getByRole("button", { name: "Go to the end" }).click();
    await expectNamedControls(page);
    await screenshot(page, "runs-replay");

    // A deep link opens the replay at one event, as the work page's key-node links do.
    await page.goto(`/ui/replay.html?run_id=${runId}&seq=${decisionSeq}`);
    await page.getByText(`${total} events loaded.`).waitFor();
    expect(await current()).toBe(`seq-${decisionSeq}`);
    await page.close();
  });

  test("the work page shows the output, lists every version and links each to its key node", async () => {
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto(`/ui/output.html?run_id=${runId}`);
    await page.getByRole("heading", { name: "version=2 kind=final" }).waitFor();
    await page.getByText("Upon the moon a keeper tends the light,").waitFor();
    const versions = page.locator(".versions > li");
    // The list loads after the heading; wait for its second entry before counting.
    await versions.nth(1).waitFor();
    expect(await versions.count()).toBe(2);
    expect(await versions.first().textContent()).toContain("the run's work");
    await page.getByRole("link", { name: "Version 1" }).click();
    await page.getByRole("heading", { name: "version=1 kind=draft" }).waitFor();
    expect(new URL(page.url()).searchParams.get("version")).toBe("1");
    await expectNamedControls(page);
    await screenshot(page, "runs-output");
    await page.locator(".artifact").waitFor();
    await page
      .getByRole("link", { name: /^From key node #\d+$/ })
      .first()
      .click();
    await page.waitForURL(/\/ui\/replay\.html\?run_id=.*&seq=\d+/);
    const seq = new URL(page.url()).searchParams.get("seq");
    await page.locator(`.events > li#seq-${seq}[aria-current="step"]`).waitFor();
    await page.close();
  });

  test("each run page looks right on a phone, in the dark and in Chinese too", async () => {
    const phone = await newContext(browser, hub.url, { viewport: "phone", colorScheme: "dark" });
    await phoneScreenshot(phone, `/ui/?q=${marker}`, "runs-index-phone", "Public runs");
    await phoneScreenshot(phone, `/ui/stream.html?run_id=${runId}`, "runs-live-phone", "Live");
    await phoneScreenshot(phone, `/ui/replay.html?run_id=${runId}`, "runs-replay-phone", "Replay");
    await phoneScreenshot(phone, `/ui/output.html?run_id=${runId}`, "runs-output-phone", "Work");
    await phoneScreenshot(phone, "/ui/settings.html", "runs-guide-phone", "From zero to a published run");
    const page = await phone.newPage();
    watchErrors(page, pageErrors);
    await page.goto(`/ui/stream.html?run_id=${runId}`);
    await page.getByLabel("Language").selectOption("zh");
    await page.getByRole("heading", { name: "直播" }).waitFor();
    await page.getByText("运行已结束（已完成）").waitFor();
    await screenshot(page, "runs-live-phone-zh");
    await page.goto("/ui/");
    await page.getByRole("heading", { name: "公开运行" }).waitFor();
    await page.close();
    await phone.close();
  });
});

describe("a signed-in user's agents and publishing", () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await newContext(browser, hub.url);
    page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/ui/account");
    await signIn(page, USER.email, USER.password);
  });
  afterAll(() => context?.close());

  /** Fills the publish form and submits it. */
  async function publishRun(goal: string) {
    await page.getByLabel("Goal", { exact: true }).fill(goal);
    await page.getByLabel("Preference tags").fill("poetry, 科幻创意");
    await page.getByRole("button", { name: "Publish", exact: true }).click();
  }

  test("without an agent, publishing is refused and the page says why", async () => {
    await page.goto("/ui/publish.html");
    await page.getByText(`Signed in as ${USER.email}`).waitFor();
    await publishRun("A tide table for the harbour");
    const gate = page.getByRole("alert").filter({ hasText: "You cannot publish yet" });
    await gate.getByText("You need at least one enabled agent first").waitFor();
    await gate.getByRole("link", { name: "Go to My agents" }).waitFor();
  });

  test("registering an agent shows its key and installer command once, and lists the agent", async () => {
    await page.goto("/ui/agent.html");
    await page.getByText(`Signed in as ${USER.email}`).waitFor();
    await page.getByLabel("Name").fill("scribe");
    await page.getByLabel("Description").fill("Writes short poems");
    await page.getByLabel("Tags", { exact: true }).fill("poetry, 科幻创意");
    await page.getByRole("button", { name: "Register" }).click();
    const key = await page.getByLabel("Agent key").inputValue();
    expect(key).toStartWith("aha_");
    const command = await page.getByLabel("Installer command (OpenClaw)").inputValue();
    expect(command).toContain(`--baseUrl ${hub.url}`);
    expect(command).toContain('--apiKey "$AIHUB_AGENT_API_KEY"');
    expect(command).not.toContain(key);
    const row = page.locator("tbody tr").filter({ hasText: "scribe" });
    await row.getByText("enabled").waitFor();
    expect(await row.locator(".tags").textContent()).toContain("科幻创意");
    await expectNamedControls(page);
    await screenshot(page, "runs-agents");
    await page.reload();
    await row.waitFor();
    expect(await page.getByLabel("Agent key").count()).toBe(0);

    // The gate now counts the agent but not its work; the onboarding run is how it earns the right.
    await page.goto("/ui/publish.html");
    await publishRun("A lantern song for the night shift");
    const gate = page.getByRole("alert").filter({ hasText: "You cannot publish yet" });
    await gate.getByText("Your agents have completed 0 of the 1 qualified work items required").waitFor();
    await expectNamedControls(page);
    await screenshot(page, "runs-publish-gated");
    await phoneScreenshot(context, "/ui/agent.html", "runs-agents-phone", "My agents");

    const me = agentClient(key);
    const offers = (await api("GET", "/v1/gateway/inbox/poll", key)).offers;
    await me.onboard(offers[0].run_id);
    await page.getByRole("button", { name: "Publish", exact: true }).click();
    await page.getByText(/^Published\. Agents offered the run: \d+\./).waitFor();
    await screenshot(page, "runs-publish");
    await phoneScreenshot(context, "/ui/publish.html", "runs-publish-phone", "Publish a run");
    await page.getByRole("link", { name: "Watch it live" }).click();
    await page.waitForURL(/\/ui\/stream\.html\?run_id=/);
    await page.getByText("A lantern song for the night shift").waitFor();
  });

  test("an owner disables an agent and rotates its key from the list", async () => {
    await page.goto("/ui/agent.html");
    const row = page.locator("tbody tr").filter({ hasText: "scribe" });
    await row.getByRole("button", { name: "Disable: scribe" }).click();
    await row.getByText("disabled", { exact: true }).waitFor();
    await row.getByRole("button", { name: "Enable: scribe" }).waitFor();
    await row.getByRole("button", { name: "Rotate key: scribe" }).click();
    expect(await page.getByLabel("New key for scribe").inputValue()).toStartWith("aha_");
  });
});

describe("a visitor without a hub account", () => {
  test("creates a platform user whose key stays in this tab only, then registers an agent with it", async () => {
    const context = await newContext(browser, hub.url, { viewport: "phone" });
    const page = await context.newPage();
    watchErrors(page, pageErrors);
    await page.goto("/ui/agent.html");
    await page.getByRole("link", { name: "Sign in" }).waitFor();
    await page.getByRole("button", { name: "Create a platform user" }).click();
    const key = await page.getByLabel("Your new user key").inputValue();
    expect(key).toStartWith("ahu_");
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem("aihub_user_api_key"),
      local: localStorage.getItem("aihub_user_api_key"),
    }));
    expect(stored).toEqual({ session: key, local: null });
    await page.getByLabel("Name").fill("visitor-bot");
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByLabel("Agent key").waitFor();
    await page.locator("tbody tr").filter({ hasText: "visitor-bot" }).waitFor();
    await screenshot(page, "runs-agents-key-phone");
    await page.getByRole("button", { name: "Forget the key" }).click();
    await page.getByRole("button", { name: "Create a platform user" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("aihub_user_api_key"))).toBeNull();
    await context.close();
  });

  test("no page logged an error", () => {
    expect(pageErrors).toEqual([]);
  });
});
