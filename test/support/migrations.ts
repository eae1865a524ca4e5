/** @module A SQLite database at the schema just before a given migration, for tests of that migration's upgrade. */
import { Database } from "bun:sqlite";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATIONS_DIR } from "../../src/assets";

/**
 * Creates `path` with every migration before the first one whose SQL contains `marker` applied and recorded as the
 * hub's migrator records them; returns the open database (close it before the hub opens the file).
 */
export function databaseBefore(path: string, marker: string): Database {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  const at = migrations.findIndex((m) => m.sql.some((statement) => statement.includes(marker)));
  if (at <= 0) throw new Error(`no migration after the first mentions ${marker}`);
  const db = new Database(path, { create: true });
  db.run("PRAGMA foreign_keys = ON");
  db.run(
    "CREATE TABLE __drizzle_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, hash text NOT NULL, created_at numeric)",
  );
  for (const migration of migrations.slice(0, at)) {
    for (const statement of migration.sql) if (statement.trim()) db.run(statement);
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)", [
      migration.hash,
      migration.folderMillis,
    ]);
  }
  db.run(`PRAGMA user_version = ${at}`);
  return db;
}
