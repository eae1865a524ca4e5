/** @module Turns SQLite constraint failures into the hub's conflict error, as PostgreSQL's 23505 will be. */
import { SQLiteError } from "bun:sqlite";
import { conflict } from "../../shared/errors";

/** Runs a write and maps a constraint violation to `conflict(message)`; other errors pass through. */
export function mapConstraint<T>(write: () => T, message: string): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof SQLiteError && String(error.code ?? "").startsWith("SQLITE_CONSTRAINT")) {
      throw conflict(message);
    }
    throw error;
  }
}
