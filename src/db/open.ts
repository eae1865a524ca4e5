/** @module Opens the stores for a data dir: SQLite today, chosen by AIGNE_HUB_DATABASE_URL. */
import { join } from "node:path";
import { MIGRATIONS_DIR } from "../assets";
import type { ServerConfig } from "../config";
import { CommandError } from "../shared/errors";
import { createSqliteAccessKeyStore } from "./sqlite/access-keys";
import { createSqliteAccountStore } from "./sqlite/accounts";
import { createSqliteCallStore } from "./sqlite/calls";
import { createSqliteCatalogStore } from "./sqlite/catalog";
import { openSqlite } from "./sqlite/client";
import { createSqliteKeyStore } from "./sqlite/keys";
import { createSqliteLedgerStore } from "./sqlite/ledger";
import { createSqlitePlatformStores } from "./sqlite/platform-stores";
import type { Stores } from "./stores";

/** Where the SQLite file lives for this configuration, or a clear failure for an unsupported URL. */
export function sqlitePath(config: Pick<ServerConfig, "dataDir" | "databaseUrl">): string {
  const url = config.databaseUrl;
  if (!url) return join(config.dataDir, "hub.db");
  if (url.startsWith("sqlite:")) return url.replace(/^sqlite:(\/\/)?/, "");
  const scheme = url.split(":")[0] || url;
  throw new CommandError(
    `AIGNE_HUB_DATABASE_URL: "${scheme}:" databases are not supported yet; unset it to use SQLite`,
  );
}

/** Opens and migrates the database, returning the stores; never at import time. */
export async function openStores(config: Pick<ServerConfig, "dataDir" | "databaseUrl">): Promise<Stores> {
  const { sqlite, db } = openSqlite(sqlitePath(config), MIGRATIONS_DIR);
  let closed = false;
  return {
    accounts: createSqliteAccountStore(db),
    keys: createSqliteKeyStore(db, sqlite),
    catalog: createSqliteCatalogStore(db, sqlite),
    calls: createSqliteCallStore(db, sqlite),
    ledger: createSqliteLedgerStore(db, sqlite),
    accessKeys: createSqliteAccessKeyStore(db),
    platform: createSqlitePlatformStores(db),
    async ping() {
      sqlite.query("SELECT 1").get();
    },
    async checkpoint() {
      sqlite.run("PRAGMA wal_checkpoint(PASSIVE)");
    },
    async close() {
      if (closed) return;
      closed = true;
      sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      sqlite.close();
    },
  };
}
