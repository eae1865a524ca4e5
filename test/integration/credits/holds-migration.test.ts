/**
 * @module The lean-holds migration on a database written by the previous schema: closed holds go (the ledger keeps
 * their entries), open holds stay and still release, and idempotency keys stay unique.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openStores } from "../../../src/db/open";
import { databaseBefore } from "../../support/migrations";
import { tempDir } from "../../support/temp-dir";

test("keeps open holds, drops closed ones, and idempotency keys stay unique", async () => {
  const dir = tempDir();
  try {
    const db = databaseBefore(join(dir.path, "hub.db"), "DROP COLUMN `status`");
    db.run(
      `INSERT INTO users (id, did, email, email_normalized, name, role, password_hash, created_at, updated_at)
       VALUES ('u1', 'zdid', 'a@example.com', 'a@example.com', 'A', 'user', '!', 1, 1)`,
    );
    db.run("INSERT INTO credit_accounts VALUES ('u1', 1000, 300, 1000, 0, 1, 1)");
    const hold = (id: string, status: string, owner: string) =>
      db.run(
        `INSERT INTO credit_holds (id, user_id, key_id, call_id, amount, status, captured, owner, created_at, expires_at)
         VALUES (?, 'u1', NULL, ?, ?, ?, 0, ?, 1, 9999999999999)`,
        [id, `call-${id}`, status === "open" ? 300 : 100, status, owner],
      );
    hold("h-settled", "settled", "gone");
    hold("h-released", "released", "gone");
    hold("h-open", "open", "crashed-process");
    const entry = (id: string, kind: string, delta: number, idempotencyKey: string | null) =>
      db.run(
        `INSERT INTO ledger_entries (id, user_id, kind, delta, amount, balance_after, reference, key_id, idempotency_key,
           note, created_at) VALUES (?, 'u1', ?, ?, ?, 1000, NULL, NULL, ?, NULL, 1)`,
        [id, kind, delta, Math.abs(delta), idempotencyKey],
      );
    entry("e1", "grant", 1000, "grant-1");
    entry("e2", "hold", 0, null);
    entry("e3", "hold", 0, null);
    db.close();

    const stores = await openStores({ dataDir: dir.path, databaseUrl: undefined });
    try {
      const inspect = new Database(join(dir.path, "hub.db"), { readonly: true });
      expect(inspect.query("SELECT id FROM credit_holds").all()).toEqual([{ id: "h-open" }]);
      inspect.close();
      // The open hold of a process that is gone is still released, with its entries (its hold entry again: a hold
      // placed before the migration already had one; a second hold entry changes no balance).
      let next = 0;
      const newEntryId = () => `e-new-${next++}`;
      expect(await stores.ledger.releaseStale({ liveOwners: [], at: 2, newEntryId })).toBe(1);
      expect(await stores.ledger.account("u1")).toMatchObject({ balance: 1000, held: 0 });
      expect((await stores.ledger.entries("u1", 10)).map((e) => e.kind).sort()).toEqual([
        "grant",
        "hold",
        "hold",
        "hold",
        "release",
      ]);
      // The same idempotency key still applies once.
      const again = await stores.ledger.grant({
        entryId: "e-again",
        userId: "u1",
        amount: 1000,
        note: null,
        reference: null,
        idempotencyKey: "grant-1",
        at: 3,
      });
      expect(again.applied).toBe(false);
      expect(await stores.ledger.ledgerBalance("u1")).toBe(1000);
    } finally {
      await stores.close();
    }
  } finally {
    dir.remove();
  }
});
