/** @module `aigne-hub hub list|ls`: one stored hub per line, the active one marked ACTIVE. */
import { loadClientConfig } from "../../config";
import { type FlagSpec, formatFlags } from "../../shared/args";
import { UsageError } from "../../shared/errors";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { connectionStoreFor } from "../connections";

const flags: Record<string, FlagSpec> = { help: { type: "boolean", short: "h", help: "show this help" } };

const HELP = `Usage: aigne-hub hub list

Prints each connected hub's URL on its own line; the active hub's line ends with ACTIVE. Reads the store shared
with the aigne CLI (~/.aigne/aigne-hub-connected.yaml); makes no request.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub hub list
  aigne-hub hub ls | grep ACTIVE
`;

/** `hub list`. */
export const hubList: DescribedCommand = {
  summary: "list connected hubs; the active one is marked ACTIVE",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    if (parsed.positionals.length) throw new UsageError("list takes no arguments");
    const config = loadClientConfig();
    const hubs = connectionStoreFor(config).list();
    if (config.hubUrl) process.stderr.write(`AIGNE_HUB_API_URL is set: commands use ${config.hubUrl}.\n`);
    if (!hubs.length) {
      process.stderr.write("No hub connected. Run `aigne-hub hub connect <url>`.\n");
      return 0;
    }
    const width = Math.max(...hubs.map((hub) => hub.url.length));
    for (const hub of hubs) process.stdout.write(`${hub.active ? `${hub.url.padEnd(width)}  ACTIVE` : hub.url}\n`);
    return 0;
  },
};
