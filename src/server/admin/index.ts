/** @module `aigne-hub admin …`: operator commands straight on the data dir, like PocketBase's `superuser upsert`. */
import { dataDirFlags, loadServerConfig, type ServerConfig } from "../../config";
import { openStores } from "../../db/open";
import { type FlagSpec, formatFlags, type ParsedFlags } from "../../shared/args";
import { AppError, CommandError, UsageError } from "../../shared/errors";
import { prepareDataDir } from "../data-dir";
import { buildServices } from "../deps";
import { createLogger } from "../log";
import { modelAlias, modelSet, providerSet } from "./catalog";
import { creditsCodes, creditsGrant, keyLimits, settingsSet } from "./credits";
import { keyCreate, keyList, keyRevoke } from "./keys";
import { userUpsert } from "./user-upsert";

/** What an admin command gets: its flags and the services over the opened data dir. */
export interface AdminContext {
  flags: ParsedFlags;
  services: ReturnType<typeof buildServices>;
  /** Writes the command's result to stdout. */
  print(text: string): void;
}

/** One admin command: words, summary, flags, and the action. */
export interface AdminCommand {
  words: [string, string];
  summary: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
  run(context: AdminContext): Promise<void>;
}

const commands: AdminCommand[] = [
  userUpsert,
  keyCreate,
  keyList,
  keyRevoke,
  keyLimits,
  creditsGrant,
  creditsCodes,
  providerSet,
  modelSet,
  modelAlias,
  settingsSet,
];

function overview(): string {
  const rows = commands.map((c) => `  ${c.words.join(" ").padEnd(14)}${c.summary}`).join("\n");
  return `Usage: aigne-hub admin <command> [flags]

Operator commands on the data dir; they work whether or not a server runs on it.
Results go to stdout, messages to stderr. Exit codes: 0 done, 1 failed, 2 usage error.

Commands:
${rows}

Run "aigne-hub admin <command> --help" for a command's flags.
`;
}

function commandHelp(command: AdminCommand): string {
  const flags = { ...command.flags, ...dataDirFlags };
  return `Usage: aigne-hub admin ${command.words.join(" ")} [flags]

${command.summary}

Flags:
${formatFlags(flags)}

Examples:
${command.examples.map((e) => `  ${e}`).join("\n")}
`;
}

/** Runs `admin <noun> <verb> …`; the services are opened exactly as `serve` opens them and closed before returning. */
export async function run(argv: string[]): Promise<number> {
  const [, noun, verb, ...rest] = argv;
  if (!noun || noun === "help" || noun === "--help" || noun === "-h") {
    process.stdout.write(overview());
    return noun ? 0 : 2;
  }
  const command = commands.find((c) => c.words[0] === noun && c.words[1] === verb);
  if (!command) throw new UsageError(`unknown admin command "${[noun, verb].filter(Boolean).join(" ")}"`);
  const specs = { ...command.flags, ...dataDirFlags, help: { type: "boolean", short: "h", help: "show this help" } };
  const { config, flags } = loadServerConfig(rest, specs as Record<string, FlagSpec>);
  if (flags.values.help) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  if (flags.positionals.length) throw new UsageError(`unexpected argument "${flags.positionals[0]}"`);
  try {
    await withServices(config, (services) =>
      command.run({ flags, services, print: (text) => process.stdout.write(`${text}\n`) }),
    );
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    // A value the service rejects is a usage error; anything else the service refuses is a failure.
    throw error.type === "invalid_request" ? new UsageError(error.message) : new CommandError(error.message);
  }
  return 0;
}

async function withServices(config: ServerConfig, action: (services: AdminContext["services"]) => Promise<void>) {
  const material = prepareDataDir(config);
  const stores = await openStores(config);
  try {
    await action(buildServices({ stores, config, material, log: createLogger({ level: "warn" }) }));
  } finally {
    await stores.close();
  }
}
