/** @module The SQLite implementation of the agent platform's stores, over the hub's one database handle. */
import type { PlatformStores } from "../platform-stores";
import type { SqliteDb } from "./client";
import { createSqliteAgentStore } from "./platform-agents";
import { createSqliteRunStore } from "./platform-runs";
import { createSqlitePlatformUserStore } from "./platform-users";
import { createSqliteWorkStore } from "./platform-work";

/** Builds every platform store over a drizzle handle. */
export function createSqlitePlatformStores(db: SqliteDb): PlatformStores {
  return {
    users: createSqlitePlatformUserStore(db),
    agents: createSqliteAgentStore(db),
    runs: createSqliteRunStore(db),
    work: createSqliteWorkStore(db),
  };
}
