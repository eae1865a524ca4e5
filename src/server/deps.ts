/** @module The one place that wires concrete parts into the services and routes use. */
import type { Server } from "bun";
import type { ServerConfig } from "../config";
import type { Stores } from "../db/stores";
import { createAuth } from "./auth";
import type { Logger } from "./log";
import { createRequestLog } from "./request-log";
import { createAccounts } from "./services/accounts";
import { createSecrets, type SecretMaterial } from "./services/secrets";

/** Builds every service over the opened stores. */
export function buildServices(input: {
  stores: Stores;
  config: ServerConfig;
  material: SecretMaterial;
  log: Logger;
  now?: () => number;
}) {
  const { stores, config, material, log, now = Date.now } = input;
  const secrets = createSecrets(material);
  const accounts = createAccounts({ stores, secrets, now });
  return {
    config,
    stores,
    log,
    secrets,
    accounts,
    auth: createAuth(accounts),
    requests: createRequestLog({ log, maxBodyBytes: config.maxBodyBytes }),
    /** The socket address of the client (forwarded headers are not trusted). */
    clientAddress: (request: Request, server: Server<unknown> | null) =>
      server?.requestIP(request)?.address ?? "unknown",
    /** The URL the hub is reached at: --public-url, else the request's own origin. */
    publicBaseUrl: (request: Request) => config.publicUrl ?? new URL(request.url).origin,
  };
}

/** What createApp and the route plugins receive. */
export type AppDeps = ReturnType<typeof buildServices>;
