/** @module An in-process hub for integration tests: real SQLite file in a temp dir, real HTTP on a free port. */
import { join } from "node:path";
import { resolveServerConfig } from "../../src/config";
import { openStores } from "../../src/db/open";
import { createApp } from "../../src/server/app";
import { prepareDataDir } from "../../src/server/data-dir";
import { type AppDeps, buildServices } from "../../src/server/deps";
import { createLogger } from "../../src/server/log";
import { tempDir } from "./temp-dir";

/** A running in-process hub. */
export interface InProcessHub {
  url: string;
  deps: AppDeps;
  dir: string;
  /** The log lines written so far. */
  logLines: string[];
  stop(): Promise<void>;
}

/** Starts createApp on 127.0.0.1:0 over a fresh data dir; `env` is the environment config resolution sees. */
export async function startInProcessHub(
  options: { env?: Record<string, string>; now?: () => number } = {},
): Promise<InProcessHub> {
  const dir = tempDir();
  const config = resolveServerConfig(
    { values: { "data-dir": join(dir.path, "data"), host: "127.0.0.1", port: "0" }, positionals: [] },
    options.env ?? {},
    dir.path,
  );
  const material = prepareDataDir(config);
  const stores = await openStores(config);
  const logLines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => logLines.push(line) });
  const deps = buildServices({ stores, config, material, log, now: options.now });
  const app = createApp(deps);
  await app.modules;
  app.listen({ hostname: "127.0.0.1", port: 0, reusePort: false, development: false });
  return {
    url: `http://127.0.0.1:${app.server!.port}`,
    deps,
    dir: dir.path,
    logLines,
    async stop() {
      await app.stop(true);
      await stores.close();
      dir.remove();
    },
  };
}
