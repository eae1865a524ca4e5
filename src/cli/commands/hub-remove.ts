/** @module `aigne-hub hub remove|rm [url]`: forget a hub; on a terminal, offer to revoke its key on the hub too. */
import { loadClientConfig } from "../../config";
import { type FlagSpec, formatFlags } from "../../shared/args";
import { UsageError } from "../../shared/errors";
import { revokeHubKey } from "../api-client";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { connectionStoreFor, originOf } from "../connections";
import { confirm } from "../prompts";
import { pickStoredHub } from "./hub-use";

const flags: Record<string, FlagSpec> = { help: { type: "boolean", short: "h", help: "show this help" } };

const HELP = `Usage: aigne-hub hub remove [url]

Deletes <url> (as \`hub list\` prints it) from the store. If it was active, another connected hub becomes active.
On a terminal it asks before removing and offers to revoke the key on the hub; otherwise it removes at once and
leaves the key on the hub (revoke it in the hub's web UI).

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub hub remove https://hub.example.com
  aigne-hub hub rm http://127.0.0.1:8090 < /dev/null
`;

/** `hub remove`. */
export const hubRemove: DescribedCommand = {
  summary: "forget a connected hub (optionally revoking its key)",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    if (parsed.positionals.length > 1) throw new UsageError("remove takes one <url>");
    const config = loadClientConfig();
    const store = connectionStoreFor(config);
    const url = parsed.positionals[0] ?? (await pickStoredHub(store, config.isTTY, "Which hub should be removed?"));
    const hub = store.get(url);
    if (!(await confirm({ isTTY: config.isTTY, message: `Remove ${hub.url}?`, fallback: true }))) {
      process.stderr.write("Nothing removed.\n");
      return 0;
    }
    const revoke =
      hub.apiKey !== undefined &&
      (await confirm({ isTTY: config.isTTY, message: "Also revoke its API key on the hub?", fallback: false }));
    if (revoke && hub.apiKey) {
      await revokeHubKey(originOf(hub.url), hub.apiKey).then(
        () => process.stderr.write("Revoked the key on the hub.\n"),
        (error: unknown) =>
          process.stderr.write(
            `warning: could not revoke the key (${error instanceof Error ? error.message : error}); revoke it in the hub's web UI.\n`,
          ),
      );
    }
    const { removed, active } = store.remove(hub.url);
    const next = active ? ` Active hub: ${active.url}.` : removed.active ? " No hub is active now." : "";
    process.stdout.write(`Removed ${removed.url}.${next}\n`);
    return 0;
  },
};
