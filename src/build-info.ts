/** @module The version baked in by the build with --define; "dev" when run from source. */
declare const AIGNE_HUB_VERSION: string | undefined;

/** The running aigne-hub version. */
export const VERSION: string = typeof AIGNE_HUB_VERSION === "string" ? AIGNE_HUB_VERSION : "dev";
