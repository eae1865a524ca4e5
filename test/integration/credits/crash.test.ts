/** @module A hub killed between hold and settle: the next `serve` on the same data dir releases the orphaned hold. */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type MockUpstream, startMockUpstream } from "../../mocks/upstream";
import { runBinary } from "../../support/binary";
import { startBinaryHub, type TestHub } from "../../support/hub";
import { type TempDir, tempDir } from "../../support/temp-dir";
import { HI, MODEL, waitFor } from "./helpers";

const EMAIL = "ann@example.com";

let dir: TempDir;
let mock: MockUpstream;
let key: string;
const hubs: TestHub[] = [];

/** Runs an admin command on the test's data dir and returns its stdout; fails the test on a non-zero exit. */
async function admin(...args: string[]): Promise<string> {
  const result = await runBinary(["admin", ...args, "--data-dir", join(dir.path, "data")], { cwd: dir.path });
  if (result.code !== 0) throw new Error(`admin ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Reads the hub database read-only, the way an operator would inspect it. */
function inspect<T>(query: string, ...params: string[]): T[] {
  const db = new Database(join(dir.path, "data", "hub.db"), { readonly: true });
  try {
    return db.query(query).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function credits(hub: TestHub) {
  const response = await fetch(`${hub.url}/api/credits`, { headers: { authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as { account: { balance: string; pendingCredit: string; total: string } };
}

beforeAll(async () => {
  dir = tempDir();
  mock = await startMockUpstream({ script: { hang: true } });
  await admin("user", "upsert", "--email", EMAIL, "--password", "correct-horse-battery", "--role", "user");
  key = await admin("key", "create", "--email", EMAIL);
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
    "sk-test-crash-0001",
  );
  await admin(
    "model",
    "set",
    "--model",
    MODEL,
    "--input-rate",
    "0.000001",
    "--output-rate",
    "0.000002",
    "--max-output-tokens",
    "100",
  );
  await admin("credits", "grant", "--email", EMAIL, "--amount", "1");
}, 120_000);

afterAll(async () => {
  for (const hub of hubs) if (hub.proc.exitCode === null && hub.proc.signalCode === null) await hub.stop("SIGKILL");
  await mock.stop();
  dir.remove();
});

describe("serve after a hub was killed with SIGKILL between hold and settle", () => {
  test("releases the orphaned hold at start, so nothing stays held and the ledger still sums to the balance", async () => {
    const first = await startBinaryHub({ cwd: dir.path });
    hubs.push(first);
    const pending = fetch(`${first.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: HI }),
    }).catch((error: Error) => error);
    await mock.waitForRequest(0, 5000);
    // The hold is placed before the upstream call; the API and the database both show it open.
    expect((await credits(first)).account).toMatchObject({ balance: "0.999791", pendingCredit: "0.000209" });
    expect(inspect<{ n: number }>("SELECT count(*) AS n FROM credit_holds")).toEqual([{ n: 1 }]);

    expect(await first.stop("SIGKILL")).not.toBe(0);
    expect(await pending).toBeInstanceOf(Error);
    await mock.waitForAbort(0, 5000);
    expect(inspect<{ n: number }>("SELECT count(*) AS n FROM credit_holds")).toEqual([{ n: 1 }]);

    const second = await startBinaryHub({ cwd: dir.path });
    hubs.push(second);
    expect((await credits(second)).account).toMatchObject({ balance: "1", pendingCredit: "0", total: "1" });
    expect(second.logs()).toContain("released credit holds left by a stopped process");
    // Released: the hold row is gone, its hold and release entries stay in the ledger (below).
    expect(inspect<{ n: number }>("SELECT count(*) AS n FROM credit_holds")).toEqual([{ n: 0 }]);
    const [account] = inspect<{ balance: number; held: number; user_id: string }>(
      "SELECT balance, held, user_id FROM credit_accounts",
    );
    expect(account).toMatchObject({ balance: 1_000_000, held: 0 });
    const [ledger] = inspect<{ sum: number }>(
      "SELECT sum(delta) AS sum FROM ledger_entries WHERE user_id = ?",
      account!.user_id,
    );
    expect(ledger!.sum).toBe(account!.balance);
    const kinds = inspect<{ kind: string; amount: number }>(
      "SELECT kind, amount FROM ledger_entries ORDER BY created_at, kind",
    );
    expect(kinds).toEqual([
      { kind: "grant", amount: 1_000_000 },
      { kind: "hold", amount: 209 },
      { kind: "release", amount: 209 },
    ]);

    // The restarted hub serves the user again with the whole balance available.
    mock.setScript({ text: "back again", usage: { input: 10, output: 20 } });
    const response = await fetch(`${second.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: HI }),
    });
    expect(response.status).toBe(200);
    const after = await waitFor("the call to settle", async () => {
      const { account } = await credits(second);
      return account.pendingCredit === "0" ? account : undefined;
    });
    expect(after.balance).toBe("0.99995");
    expect(await second.stop()).toBe(0);
  }, 60_000);
});
