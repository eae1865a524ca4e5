/** @module `aigne-hub serve`: the server's lifecycle, migrations before routes, shutdown in reverse. */
import { existsSync, readFileSync } from "node:fs";
import { VERSION } from "../build-info";
import { loadServerConfig, type ServerConfig, serveFlags } from "../config";
import { openStores } from "../db/open";
import { formatFlags } from "../shared/args";
import { CommandError } from "../shared/errors";
import { createApp } from "./app";
import { startBackgroundWorker } from "./background-worker";
import { prepareDataDir } from "./data-dir";
import { buildServices } from "./deps";
import { createLogger, type Logger, writeOut } from "./log";

/** How often the WAL is checkpointed while serving; shutdown truncates it. */
const CHECKPOINT_MS = 100;

const HELP = `Usage: aigne-hub serve [flags]

Runs the hub: the model gateway, the AIGNE endpoints, the agent platform and the web UI.

Flags:
${formatFlags(serveFlags)}

Examples:
  aigne-hub serve
  aigne-hub serve --port 0 --data-dir /var/lib/aigne-hub
  AIGNE_HUB_PORT=9000 aigne-hub serve --tls-cert cert.pem --tls-key key.pem
`;

function readTls(config: ServerConfig) {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const read = (path: string, flag: string) => {
    if (!existsSync(path)) throw new CommandError(`${flag} ${path} does not exist`);
    try {
      return readFileSync(path, "utf8");
    } catch {
      throw new CommandError(`${flag} ${path} cannot be read`);
    }
  };
  return { cert: read(config.tlsCert, "--tls-cert"), key: read(config.tlsKey, "--tls-key") };
}

function listenFailure(error: unknown, config: ServerConfig): CommandError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === "EADDRINUSE" || /in use/i.test(String((error as Error).message))) {
    return new CommandError(`cannot listen on ${where}: the port is already in use`);
  }
  if (code === "EACCES") return new CommandError(`cannot listen on ${where}: permission denied`);
  return new CommandError(`cannot listen on ${where}: ${(error as Error).message ?? error}`);
}

/** Fails fast, before the data dir is touched, when the port is taken; listen() still reports a later race. */
function assertPortFree(config: ServerConfig): void {
  if (config.port === 0) return;
  try {
    Bun.listen({ hostname: config.host, port: config.port, socket: { data() {} } }).stop(true);
  } catch (error) {
    throw listenFailure(error, config);
  }
}

/** Resolves when the process receives SIGINT or SIGTERM. */
function signalled(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      log.info("shutting down", { signal });
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}

/** Runs the server until SIGINT/SIGTERM; resolves with the exit code once everything is closed. */
export async function run(argv: string[]): Promise<number> {
  const { config, flags } = loadServerConfig(argv.slice(1));
  if (flags.values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = createLogger({ level: config.logLevel });
  const tls = readTls(config);
  assertPortFree(config);
  const material = prepareDataDir(config);
  const stores = await openStores(config);
  const deps = buildServices({ stores, config, material, log });
  // Holds a crashed process left open are released before this one takes calls.
  const released = await deps.credits.reconcile();
  if (released) log.warn("released credit holds left by a stopped process", { holds: released });
  const app = createApp(deps);
  // Async plugins (the static files) must be registered before the server starts routing.
  await app.modules;
  try {
    app.listen({
      hostname: config.host,
      port: config.port,
      reusePort: false,
      development: config.development,
      // Bun's own cap answers an empty 413 before the app runs; request-log enforces the limit in the hub shape.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      ...(tls ? { tls } : {}),
    });
  } catch (error) {
    await stores.close();
    throw listenFailure(error, config);
  }
  const server = app.server!;
  // Handlers go in before the listening line: a supervisor may send SIGTERM as soon as it reads it.
  const stopRequested = signalled(log);
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  writeOut(1, `aigne-hub listening on ${config.scheme}://${host}:${server.port}\n`);
  log.info("started", { version: VERSION, dataDir: config.dataDir, port: server.port, scheme: config.scheme });

  const worker = startBackgroundWorker({ tasks: deps.backgroundTasks, intervalMs: config.workerTickMs, log });
  const checkpoints = startBackgroundWorker({ tasks: [deps.checkpointTask], intervalMs: CHECKPOINT_MS, log });
  // The binary starts with a reluctant JIT (scripts/build.ts) so run-once start-up code stays in the interpreter;
  // from here on the code that runs often is request handling, which the JIT should compile as usual.
  Bun.unsafe.setJITPolicy(1);

  await stopRequested;
  // Live streams and long polls would hold the drain open until its deadline; end them first.
  deps.agentPlatform.close();
  await worker.stop();
  await checkpoints.stop();
  await drain(server, config.shutdownGraceMs, log);
  await deps.gateway.quiesce();
  // Streams cut by the drain settle through the engine; commit every queued settlement and record before closing.
  await deps.flushWrites();
  await deps.credits.retire();
  await stores.close();
  log.info("stopped");
  return 0;
}

/** Stops accepting, lets in-flight requests finish up to the deadline, then closes what is left. */
async function drain(server: NonNullable<ReturnType<typeof createApp>["server"]>, graceMs: number, log: Logger) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  const outcome = await Promise.race([server.stop(false).then(() => "drained" as const), deadline]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    log.warn("drain deadline passed; closing open connections", { graceMs });
    await server.stop(true);
  }
  // Elysia runs after-response hooks (the access log) in a setImmediate; let the last ones run before closing.
  await new Promise((resolve) => setImmediate(resolve));
}
