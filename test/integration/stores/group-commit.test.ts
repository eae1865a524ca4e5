/**
 * @module groupCommit: writes queued in one turn share a transaction, the batch hooks run around it, and a failing
 * write rolls its batch back and fails alone while the others still commit.
 */
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { groupCommit } from "../../../src/db/sqlite/client";

/** A counter table and a write that adds to it through a batch cache written once at the end, like credit accounts. */
function counterStore() {
  const sqlite = new Database(":memory:", { strict: true });
  sqlite.run("CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)");
  sqlite.run("INSERT INTO counters VALUES ('total', 0)");
  const read = () =>
    sqlite.query<{ value: number }, []>("SELECT value FROM counters WHERE name = 'total'").get()!.value;
  let pending: number | undefined;
  let transactions = 0;
  const hooks = {
    begin() {
      pending = undefined;
      transactions++;
    },
    end() {
      if (pending !== undefined) sqlite.run("UPDATE counters SET value = ? WHERE name = 'total'", [pending]);
    },
  };
  const add = groupCommit(
    sqlite,
    (amount: number) => {
      if (amount < 0) throw new Error("negative amounts are refused");
      pending = (pending ?? read()) + amount;
      return pending;
    },
    0,
    hooks,
  );
  return { add, read, transactions: () => transactions };
}

test("writes queued in one turn commit in one transaction, each seeing the ones before it", async () => {
  const store = counterStore();
  expect(await Promise.all([store.add(1), store.add(2), store.add(3)])).toEqual([1, 3, 6]);
  expect(store.read()).toBe(6);
  expect(store.transactions()).toBe(1);
});

test("a failing write fails alone: the batch rolls back and the others commit one by one", async () => {
  const store = counterStore();
  const results = await Promise.allSettled([store.add(1), store.add(-5), store.add(3)]);
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
  // Nothing of the rolled-back batch (nor its cached total) survived: 1 + 3, not 1 + 1 + 3.
  expect(store.read()).toBe(4);
  expect(store.transactions()).toBe(4);
});
