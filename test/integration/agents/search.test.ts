/**
 * @module Run search (`GET /v1/runs?q=`) over the FTS5 trigram index: substring terms, bm25 ranking, paging, Chinese
 * terms of any length, hidden platform runs, the index following every write, and the backfill of older databases.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../../src/db/open";
import { type InProcessHub, startInProcessHub } from "../../support/app";
import { databaseBefore } from "../../support/migrations";
import { tempDir } from "../../support/temp-dir";
import {
  type Call,
  expectError,
  newAgent,
  newPublisher,
  platformClient,
  publish,
  type TestAgent,
  type TestUser,
} from "./helpers";

/** The keys of one listed run, exactly as §5.20 and the additive fields give them. */
const LISTING_KEYS = [
  "run_id",
  "run_ref",
  "goal",
  "constraints",
  "status",
  "created_at",
  "updated_at",
  "completed_at",
  "output_version",
  "output_kind",
  "persona_count",
];

describe("searching runs", () => {
  let hub: InProcessHub;
  let call: Call;
  let publisher: { user: TestUser; agent: TestAgent };
  const ids: Record<string, string> = {};

  /** The run ids `q` finds, in the order listed. */
  const found = async (q: string, extra = "") => {
    const reply = await call("GET", `/v1/runs?q=${encodeURIComponent(q)}&limit=50${extra}`);
    expect(reply.status).toBe(200);
    return (reply.body.runs as { run_id: string }[]).map((run) => run.run_id);
  };

  /** Publishes a run a millisecond after the previous one, so creation order is unambiguous. */
  const publishNamed = async (name: string, body: Record<string, unknown>) => {
    await Bun.sleep(2);
    ids[name] = (await publish(call, publisher.user.key, body)).runId;
    return ids[name]!;
  };

  beforeAll(async () => {
    hub = await startInProcessHub();
    call = platformClient(hub.url);
    publisher = await newPublisher(call, ["poetry"]);
    await publishNamed("goal", { goal: "Map the nebula drift over the old harbour" });
    await publishNamed("constraints", { goal: "Write a tide table", constraints: "mention one nebula at most" });
    await publishNamed("both", { goal: "A lantern for the nebula keeper", constraints: "keep it short" });
    for (const filler of ["Bake bread with rye", "Count the gulls", "Paint the fence blue", "Tune the old piano"])
      await publishNamed(filler, { goal: filler });
    await publishNamed("chinese", {
      goal: "写一个关于灯塔守护者的科幻故事，三幕结构",
      constraints: "必须用中文",
      required_tags: ["科幻创意"],
    });
    await publishNamed("percent", { goal: "Reach 100% of the_quota" });
  });
  afterAll(() => hub.stop());

  test("every term matches as a substring anywhere in a word, case-insensitively, and terms are ANDed", async () => {
    expect((await found("nebu")).sort()).toEqual([ids.goal!, ids.constraints!, ids.both!].sort());
    expect((await found("EBUL")).length).toBe(3);
    expect(await found("nebula lantern")).toEqual([ids.both!]);
    expect(await found("nebula, keeper")).toEqual([ids.both!]);
    expect(await found("nebula zeppelin")).toEqual([]);
  });

  test("results are ranked by bm25: a hit in the goal before one in the constraints, whatever their age", async () => {
    const ranked = await found("nebula");
    // "constraints" is newer than "goal"; newest-first would list it before.
    expect(ranked.indexOf(ids.goal!)).toBeLessThan(ranked.indexOf(ids.constraints!));
    expect(ranked.indexOf(ids.both!)).toBeLessThan(ranked.indexOf(ids.constraints!));
    // Without a query the list stays newest first.
    const newest = await found("");
    expect(newest.indexOf(ids.percent!)).toBeLessThan(newest.indexOf(ids.goal!));
  });

  test("Chinese terms match at any length: 3+ characters through the index, 1–2 through the fallback", async () => {
    expect(await found("守护者")).toEqual([ids.chinese!]);
    expect(await found("灯塔")).toEqual([ids.chinese!]);
    expect(await found("塔")).toEqual([ids.chinese!]);
    expect(await found("灯塔，三幕结构")).toEqual([ids.chinese!]);
    expect(await found("科幻创意")).toEqual([ids.chinese!]);
    expect(await found("灯塔 海洋")).toEqual([]);
  });

  test("short English terms and wildcard characters match literally, never as patterns or query syntax", async () => {
    expect(await found("100%")).toEqual([ids.percent!]);
    expect(await found("%")).toEqual([ids.percent!]);
    expect(await found("_q")).toEqual([ids.percent!]);
    expect(await found("10_%")).toEqual([]);
    for (const q of ['"unbalanced', "NEAR(a b)", "rye*", "NOT", "a OR b", "col:umn", "^start"])
      expect((await call("GET", `/v1/runs?q=${encodeURIComponent(q)}`)).status).toBe(200);
    expect(await found("rye*")).toEqual([]);
    expect(await found("rye")).toEqual([ids["Bake bread with rye"]!]);
  });

  test("a run is found by its id or its r_ ref", async () => {
    const run = (await call("GET", `/v1/runs/${ids.goal}`)).body;
    expect(await found(run.run_ref)).toEqual([ids.goal!]);
    expect(await found(ids.goal!.slice(0, 13))).toEqual([ids.goal!]);
  });

  test("the latest artifact is searched, and a newer version replaces what was indexed", async () => {
    const { runId, workItemId } = await publish(call, publisher.user.key, { goal: "Describe the sea" });
    const agent = publisher.agent.key;
    expect((await call("POST", `/v1/gateway/work-items/${workItemId}/claim`, { key: agent })).status).toBe(200);
    const submit = (content: string) =>
      call("POST", `/v1/gateway/runs/${runId}/artifacts`, { key: agent, json: { kind: "draft", content } });
    expect((await submit("phosphorescent waves at night")).status).toBe(201);
    expect(await found("phosphor")).toEqual([runId]);
    expect((await submit("calm grey water")).status).toBe(201);
    expect(await found("phosphor")).toEqual([]);
    expect(await found("grey water")).toEqual([runId]);
    expect((await call("POST", `/v1/gateway/work-items/${workItemId}/complete`, { key: agent })).status).toBe(200);
  });

  test("platform (onboarding) runs stay hidden unless include_system is set", async () => {
    expect(await found("Onboarding")).toEqual([]);
    const system = await found("Onboarding", "&include_system=1");
    expect(system).toContain(publisher.agent.onboarding.runId);
  });

  test("paging walks every match once with next_offset, and the wire shape is unchanged", async () => {
    const quasars: string[] = [];
    for (let i = 0; i < 23; i++) quasars.push((await publish(call, publisher.user.key, { goal: `quasar ${i}` })).runId);
    const seen: string[] = [];
    let offset = 0;
    for (let pages = 0; pages < 5; pages++) {
      const reply = await call("GET", `/v1/runs?q=quasar&limit=10&offset=${offset}`);
      expect(Object.keys(reply.body)).toEqual(["runs", "has_more", "next_offset"]);
      for (const run of reply.body.runs) expect(Object.keys(run)).toEqual(LISTING_KEYS);
      seen.push(...reply.body.runs.map((run: { run_id: string }) => run.run_id));
      expect(reply.body.next_offset).toBe(offset + reply.body.runs.length);
      offset = reply.body.next_offset;
      if (!reply.body.has_more) break;
    }
    expect(seen.length).toBe(23);
    expect(new Set(seen)).toEqual(new Set(quasars));
    const last = await call("GET", "/v1/runs?q=quasar&limit=10&offset=20");
    expect({ count: last.body.runs.length, has_more: last.body.has_more }).toEqual({ count: 3, has_more: false });
  });

  test("deleting runs (an agent's onboarding run goes with it) removes them from the index", async () => {
    const agent = await newAgent(call, publisher.user.key, { name: "short-lived" });
    expect(await found(agent.onboarding.runId, "&include_system=1")).toEqual([agent.onboarding.runId]);
    const deleted = await call("DELETE", `/v1/agents/${agent.agentId}`, { key: publisher.user.key });
    expect(deleted.status).toBe(200);
    expect(await found(agent.onboarding.runId, "&include_system=1")).toEqual([]);
    const db = new Database(join(hub.dir, "data", "hub.db"), { readonly: true });
    try {
      const count = (sql: string) => (db.query(sql).get() as { n: number }).n;
      expect(count("SELECT count(*) AS n FROM run_search_text")).toBe(count("SELECT count(*) AS n FROM runs"));
    } finally {
      db.close();
    }
  });

  test("the public search needs no key, and a bad key on it is ignored rather than refused", async () => {
    expect((await call("GET", "/v1/runs?q=nebula", { key: "ahu_not-a-key" })).status).toBe(200);
    expectError(await call("GET", "/v1/runs/not-a-run"), 400, "invalid run id");
  });
});

describe("the search migration", () => {
  test("indexes the runs, tags and latest artifacts a database already held", async () => {
    const dir = tempDir();
    try {
      const db = databaseBefore(join(dir.path, "hub.db"), "runs_search");
      const user = "00000000-0000-4000-8000-000000000001";
      const run = "00000000-0000-4000-8000-0000000000aa";
      db.run("INSERT INTO platform_users (id, created_at) VALUES (?, 1)", [user]);
      db.run(
        "INSERT INTO runs (id, public_ref, publisher_user_id, goal, constraints, status, kind, created_at, updated_at) VALUES (?, 'r_00000000000000aa', ?, 'an imported lighthouse run', 'terse', 'completed', 'user', 1, 1)",
        [run, user],
      );
      db.run("INSERT INTO run_required_tags (run_id, tag, created_at) VALUES (?, '旧标签', 1)", [run]);
      for (const [version, content] of [
        [1, "first draft about fog"],
        [2, "final words about lamps"],
      ] as const)
        db.run(
          "INSERT INTO artifacts (id, run_id, version, kind, content, persona, created_at) VALUES (?, ?, ?, 'final', ?, 'agent', 1)",
          [`a${version}`, run, version, content],
        );
      db.close();

      const stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
      try {
        const search = async (q: string) =>
          (await stores.platform.runs.listRuns({ terms: [q], limit: 10, offset: 0, includeSystem: false })).runs.map(
            (listed) => listed.id,
          );
        expect(await search("lighthouse")).toEqual([run]);
        expect(await search("旧标签")).toEqual([run]);
        expect(await search("lamps")).toEqual([run]);
        expect(await search("fog")).toEqual([]);
      } finally {
        await stores.close();
      }
    } finally {
      dir.remove();
    }
  });
});
