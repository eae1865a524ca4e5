/** @module `aigne-hub hub use [url]`: make a stored hub the active one. */
import { loadClientConfig } from "../../config";
import { type FlagSpec, formatFlags } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { type ConnectionStore, connectionStoreFor } from "../connections";
import { choose } from "../prompts";

const flags: Record<string, FlagSpec> = { help: { type: "boolean", short: "h", help: "show this help" } };

const HELP = `Usage: aigne-hub hub use [url]

Makes <url> (as \`hub list\` prints it) the active hub. Without <url> on a terminal it asks which one.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub hub use https://hub.example.com
`;

/** Asks for one of the stored hubs, or fails naming `<url>` off a terminal; fails when none is stored. */
export async function pickStoredHub(store: ConnectionStore, isTTY: boolean, message: string): Promise<string> {
  const hubs = store.list();
  if (!hubs.length) throw new CommandError("no hub is connected", "Run `aigne-hub hub connect <url>` first.");
  return choose({
    isTTY,
    missing: "<url> (see `aigne-hub hub list`)",
    message,
    options: hubs.map((hub) => ({ value: hub.url, label: hub.url, hint: hub.active ? "active" : undefined })),
  });
}

/** `hub use`. */
export const hubUse: DescribedCommand = {
  summary: "make a connected hub the active one",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    if (parsed.positionals.length > 1) throw new UsageError("use takes one <url>");
    const config = loadClientConfig();
    const store = connectionStoreFor(config);
    const url = parsed.positionals[0] ?? (await pickStoredHub(store, config.isTTY, "Which hub should be active?"));
    process.stdout.write(`Active hub: ${store.use(url).url}\n`);
    return 0;
  },
};
