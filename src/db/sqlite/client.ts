/** @module Opens the SQLite file: pragmas first, then the embedded migrations under a write lock. */
import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { CommandError } from "../../shared/errors";
import * as schema from "./schema";

/** The drizzle handle every SQLite store uses. */
export type SqliteDb = BunSQLiteDatabase<typeof schema>;

/** An interface's fields as named statement parameters (bun:sqlite wants an index signature, interfaces have none). */
export type Bindings<T> = { [K in keyof T]: T[K] };

const MIGRATIONS_TABLE = "__drizzle_migrations";

/** Opens (creating if needed) the database file, sets the pragmas and applies pending migrations. */
export function openSqlite(path: string, migrationsFolder: string): { sqlite: Database; db: SqliteDb } {
  let sqlite: Database;
  try {
    sqlite = new Database(path, { create: true, strict: true });
    // The connection must block on a busy database before it switches to WAL, or a concurrent start fails.
    sqlite.run("PRAGMA busy_timeout = 5000");
    sqlite.run("PRAGMA journal_mode = WAL");
    sqlite.run("PRAGMA synchronous = NORMAL");
    sqlite.run("PRAGMA foreign_keys = ON");
    // Checkpoints are explicit (the server's background worker, and close()), so no commit ever pays for one.
    sqlite.run("PRAGMA wal_autocheckpoint = 0");
  } catch (error) {
    throw new CommandError(`cannot open database ${path}: ${sqliteReason(error)}`);
  }
  try {
    migrate(sqlite, path, migrationsFolder);
  } catch (error) {
    sqlite.close();
    throw error instanceof CommandError ? error : new CommandError(`cannot migrate ${path}: ${sqliteReason(error)}`);
  }
  return { sqlite, db: drizzle(sqlite, { schema }) };
}

function sqliteReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Applies drizzle-kit's migrations in one IMMEDIATE transaction, re-reading what is applied under the lock, so two
 * processes starting at once apply each migration once. A database migrated by a newer build is refused untouched.
 */
function migrate(sqlite: Database, path: string, migrationsFolder: string): void {
  const migrations = readMigrationFiles({ migrationsFolder });
  const newestKnown = Math.max(0, ...migrations.map((m) => m.folderMillis));
  const apply = sqlite.transaction(() => {
    const userVersion = (sqlite.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    const hasTable = sqlite
      .query("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(MIGRATIONS_TABLE);
    const lastApplied = hasTable
      ? Number(
          (sqlite.query(`SELECT max(created_at) AS last FROM ${MIGRATIONS_TABLE}`).get() as { last: number | null })
            .last ?? 0,
        )
      : 0;
    if (userVersion > migrations.length || lastApplied > newestKnown) {
      throw new CommandError(
        `database ${path} was written by a newer aigne-hub (schema ${Math.max(userVersion, migrations.length + 1)}, this build knows ${migrations.length}); refusing to start, nothing was changed`,
      );
    }
    if (!hasTable) {
      sqlite.run(
        `CREATE TABLE ${MIGRATIONS_TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)`,
      );
    }
    for (const migration of migrations) {
      if (migration.folderMillis <= lastApplied) continue;
      for (const statement of migration.sql) if (statement.trim()) sqlite.run(statement);
      sqlite.run(`INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES (?, ?)`, [
        migration.hash,
        migration.folderMillis,
      ]);
    }
    if (userVersion !== migrations.length) sqlite.run(`PRAGMA user_version = ${migrations.length}`);
  });
  apply.immediate();
}

/** What a group commit runs around each transaction's writes: `end` writes what they left for the end. */
export interface BatchHooks {
  begin(): void;
  end(): void;
}

/**
 * Makes a write whose calls share transactions: the calls queued within a window are applied together in one
 * IMMEDIATE transaction, and each promise settles once it committed. A write costs mostly its transaction, the WAL
 * pages it rewrites, so callers that meet pay for one between them. With `waitMs` 0 (a caller waits for the write)
 * the window is the current turn of the event loop; otherwise the first queued call waits `waitMs` for company.
 * Writes may run twice (a failure rolls the batch back and each is retried alone), so they act only on the database.
 */
export function groupCommit<I, R>(
  sqlite: Database,
  apply: (input: I) => R,
  waitMs = 0,
  hooks?: BatchHooks,
): (input: I) => Promise<R> {
  interface Queued {
    input: I;
    resolve(value: R): void;
    reject(error: unknown): void;
  }
  const applyOne = sqlite.transaction((input: I) => {
    hooks?.begin();
    const value = apply(input);
    hooks?.end();
    return value;
  });
  const applyAll = sqlite.transaction((queued: Queued[]) => {
    hooks?.begin();
    const values = queued.map((item) => apply(item.input));
    hooks?.end();
    return values;
  });
  let queue: Queued[] = [];

  function commit(): void {
    const batch = queue;
    queue = [];
    let values: R[];
    try {
      values = applyAll.immediate(batch);
    } catch {
      // Rare (a constraint, a full disk): the batch rolled back, so each write runs alone and only its own fails.
      for (const item of batch) {
        try {
          item.resolve(applyOne.immediate(item.input));
        } catch (error) {
          item.reject(error);
        }
      }
      return;
    }
    for (const [index, item] of batch.entries()) item.resolve(values[index]!);
  }

  return (input) =>
    new Promise<R>((resolve, reject) => {
      if (queue.push({ input, resolve, reject }) > 1) return;
      if (waitMs > 0) setTimeout(commit, waitMs);
      else setImmediate(commit);
    });
}
