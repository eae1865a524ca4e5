/** @module What every agent-platform service shares: stores, settings, the event hub and the clock. */
import type { Appended, PlatformStores } from "../../../db/platform-stores";
import type { EventHub } from "./event-hub";
import type { PlatformSettings } from "./settings";

/** The shared dependencies of the platform's services. */
export interface PlatformContext {
  stores: PlatformStores;
  settings: PlatformSettings;
  hub: EventHub;
  now: () => number;
  random: () => number;
}

/** Fans out what a committed write appended and, when items may have become claimable, wakes long polls. */
export function announce(ctx: PlatformContext, written: Appended, offersMayHaveChanged = false): void {
  if (written.events.length) ctx.hub.publish(written.events);
  if (offersMayHaveChanged) ctx.hub.offersChanged();
}
