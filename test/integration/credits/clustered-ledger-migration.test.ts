/**
 * @module The clustered-ledger migration on a database written by the previous schema: every entry and open hold
 * survives the rebuild, both tables end up WITHOUT ROWID, and the ledger still balances, pages and releases.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../../src/db/open";
import { databaseBefore } from "../../support/migrations";
import { tempDir } from "../../support/temp-dir";

test("keeps every entry and open hold, clusters the ledger by user, and the balance still equals the ledger", async () => {
  const dir = tempDir();
  try {
    const db = databaseBefore(join(dir.path, "hub.db"), "__new_ledger_entries");
    for (const user of ["u1", "u2"]) {
      db.run(
        `INSERT INTO users (id, did, email, email_normalized, name, role, password_hash, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'A', 'user', '!', 1, 1)`,
        [user, `zdid-${user}`, `${user}@example.com`, `${user}@example.com`],
      );
    }
    db.run("INSERT INTO credit_accounts VALUES ('u1', 900, 300, 1000, 100, 1, 1)");
    db.run(
      `INSERT INTO credit_holds (id, user_id, key_id, call_id, amount, owner, created_at, expires_at)
       VALUES ('h-open', 'u1', 'k1', 'call-open', 300, 'crashed-process', 1, 9999999999999)`,
    );
    const entry = (id: string, user: string, kind: string, delta: number, after: number, key: string | null) =>
      db.run(
        `INSERT INTO ledger_entries (id, user_id, kind, delta, amount, balance_after, reference, key_id, idempotency_key,
           note, created_at) VALUES (?, ?, ?, ?, ?, ?, 'ref', 'k1', ?, NULL, 1)`,
        [id, user, kind, delta, Math.abs(delta), after, key],
      );
    entry("01A", "u1", "grant", 1000, 1000, "grant-1");
    entry("01B", "u2", "grant", 50, 50, "grant-2");
    entry("01C", "u1", "hold", 0, 1000, null);
    entry("01D", "u1", "capture", -100, 900, null);
    entry("01E", "u1", "release", 0, 900, null);
    db.close();

    const stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
    try {
      const inspect = new Database(join(dir.path, "hub.db"), { readonly: true });
      for (const table of ["ledger_entries", "credit_holds"]) {
        const ddl = inspect.query<{ sql: string }, [string]>("SELECT sql FROM sqlite_master WHERE name = ?").get(table);
        expect(ddl?.sql).toEndWith("WITHOUT ROWID");
      }
      expect(inspect.query("SELECT name FROM sqlite_master WHERE name = 'ledger_user_idx'").all()).toEqual([]);
      inspect.close();

      expect((await stores.ledger.entries("u1", 10)).map((e) => e.id)).toEqual(["01E", "01D", "01C", "01A"]);
      expect((await stores.ledger.entries("u1", 2, "01D")).map((e) => e.id)).toEqual(["01C", "01A"]);
      expect((await stores.ledger.entries("u2", 10)).map((e) => e.id)).toEqual(["01B"]);
      expect(await stores.ledger.ledgerBalance("u1")).toBe(900);

      // The open hold came through as a per-call hold (migration 0008) and is released once, with its hold entry.
      const ids = ["01F", "01G", "01H"];
      expect(await stores.ledger.releaseStale({ liveOwners: [], at: 2, newEntryId: () => ids.shift()! })).toBe(1);
      expect(await stores.ledger.releaseStale({ liveOwners: [], at: 3, newEntryId: () => ids.shift()! })).toBe(0);
      expect((await stores.ledger.entries("u1", 2)).map((e) => [e.id, e.kind, e.amount, e.reference])).toEqual([
        ["01G", "release", 300, "call-open"],
        ["01F", "hold", 300, "call-open"],
      ]);
      expect(await stores.ledger.account("u1")).toMatchObject({ balance: 900, held: 0 });
      expect(await stores.ledger.ledgerBalance("u1")).toBe(900);

      // The idempotency key index came through the rebuild: the same grant applies once.
      const again = await stores.ledger.grant({
        entryId: "01I",
        userId: "u1",
        amount: 1000,
        note: null,
        reference: null,
        idempotencyKey: "grant-1",
        at: 4,
      });
      expect(again.applied).toBe(false);
      expect(await stores.ledger.ledgerBalance("u1")).toBe(900);
    } finally {
      await stores.close();
    }
  } finally {
    dir.remove();
  }
});
