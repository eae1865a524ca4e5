/** @module Opens the SQLite file: pragmas first, then the embedded migrations under a write lock. */
import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { CommandError } from "../../shared/errors";
import * as schema from "./schema";

/** The drizzle handle every SQLite store uses. */
export type SqliteDb = BunSQLiteDatabase<typeof schema>;

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
