/** @module The agent work platform's services, wired over the stores: identity, owners, runs, gateway, guard, hub. */
import type { PlatformStores } from "../../../db/platform-stores";
import type { HubCaller } from "../accounts";
import type { Secrets } from "../secrets";
import type { PlatformContext } from "./context";
import { createEventHub } from "./event-hub";
import { createPlatformGuard } from "./guard";
import { createPlatformIdentity } from "./identity";
import { createOwnerOperations } from "./owners";
import { createRunOperations } from "./runs";
import type { PlatformSettings } from "./settings";
import { createWorkOperations } from "./work";

/** Builds the platform over its stores; `close()` ends live streams and long polls (for shutdown). */
export function createAgentPlatform(deps: {
  stores: PlatformStores;
  settings: PlatformSettings;
  secrets: Secrets;
  authenticateHubKey: (key: string) => Promise<HubCaller>;
  now: () => number;
  random?: () => number;
  onError?: (error: unknown) => void;
}) {
  const { stores, settings, now, random = Math.random } = deps;
  const hub = createEventHub({
    readAfter: (runId, afterSeq, limit) => stores.runs.eventsAfter(runId, afterSeq, limit),
    pollMs: settings.streamPollMs,
    bufferEvents: settings.subscriberBufferEvents,
    onError: deps.onError,
  });
  const ctx: PlatformContext = { stores, settings, hub, now, random };
  const identity = createPlatformIdentity({
    stores,
    secrets: deps.secrets,
    authenticateHubKey: deps.authenticateHubKey,
    now,
  });
  const runs = createRunOperations(ctx);
  return {
    settings,
    hub,
    identity,
    owners: createOwnerOperations(ctx, identity),
    runs,
    work: createWorkOperations(ctx, runs),
    guard: createPlatformGuard(settings, now),
    /** The context the lease worker's tasks run in. */
    context: ctx,
    close: () => hub.close(),
  };
}

/** The platform's type, as routes and the lease worker receive it. */
export type AgentPlatform = ReturnType<typeof createAgentPlatform>;
