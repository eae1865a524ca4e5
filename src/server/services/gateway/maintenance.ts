/** @module The gateway's background tasks: flush credential health, probe invalid credentials, prune call records. */
import type { Stores } from "../../../db/stores";
import type { BackgroundTask } from "../../background-worker";
import type { Provider, ProviderType } from "../../providers/types";
import type { Catalog } from "../catalog";
import type { CallRecorder } from "./call-recorder";
import type { CredentialHealth } from "./credential-health";

const PRUNE_BATCH = 500;
const PROBE_TIMEOUT_MS = 10_000;

/** Builds the gateway's task list for the background worker. */
export function gatewayTasks(deps: {
  stores: Stores;
  catalog: Catalog;
  health: CredentialHealth;
  recorder: CallRecorder;
  providerFor: (type: ProviderType) => Provider;
  probeEveryMs: number;
  retentionMs: number;
  retentionRows: number;
  now?: () => number;
}): BackgroundTask[] {
  const { stores, catalog, health, recorder, providerFor, now = Date.now } = deps;
  return [
    { name: "flush call records", everyMs: 0, run: () => recorder.flush() },
    { name: "flush credential health", everyMs: 0, run: () => health.flush() },
    {
      name: "probe invalid credentials",
      everyMs: deps.probeEveryMs,
      async run() {
        const view = await catalog.view();
        for (const provider of view.providers) {
          for (const credential of view.credentialsByProvider.get(provider.id) ?? []) {
            if (!credential.enabled || !health.isInvalid(credential)) continue;
            try {
              await providerFor(provider.type).probe(
                { baseUrl: provider.baseUrl, apiKey: credential.apiKey, timeoutMs: PROBE_TIMEOUT_MS },
                AbortSignal.timeout(PROBE_TIMEOUT_MS),
              );
              health.restore(credential);
            } catch {
              // Still failing: it stays invalid until a later probe succeeds.
            }
          }
        }
      },
    },
    {
      name: "prune call records",
      everyMs: 60_000,
      async run() {
        // Small batches keep each write transaction short while the gateway keeps writing.
        for (let round = 0; round < 20; round++) {
          const removed = await stores.calls.prune({
            olderThan: now() - deps.retentionMs,
            maxRows: deps.retentionRows,
            batch: PRUNE_BATCH,
          });
          if (removed < PRUNE_BATCH) break;
        }
      },
    },
  ];
}
