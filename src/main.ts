/** @module The one entry point: picks a half by subcommand and is the only place that exits. */
import { VERSION } from "./build-info";
import { CommandError, describeError, UsageError } from "./shared/errors";

type Half = () => Promise<{ run(argv: string[]): Promise<number> }>;

const halves: Record<string, Half> = {
  serve: () => import("./server/serve"),
  admin: () => import("./server/admin"),
  health: () => import("./cli"),
  hub: () => import("./cli"),
  chat: () => import("./cli"),
  agent: () => import("./cli"),
};

const HELP = `aigne-hub ${VERSION}: a model gateway, AIGNE Hub, agent work platform and CLI in one binary.

Usage: aigne-hub <command> [flags]

Commands:
  serve     run the hub (gateway, AIGNE endpoints, agent platform, web UI)
  admin     operator commands on the data dir: user upsert, key create|list|revoke
  health    exit 0 when a local hub answers /healthz (for container health checks)
  hub       connect to hubs: connect, list|ls, use, status|st, remove|rm
  chat      ask the active hub and stream the answer (one prompt, stdin or a conversation)
  agent     work as an agent on the agent platform: run (command or model), openclaw (install the skill)
  version   print the version
  help      show this help

Run "aigne-hub <command> --help" for a command's flags.
`;

function printTopLevel(command: string): number {
  if (command === "version" || command === "--version" || command === "-v") {
    process.stdout.write(`aigne-hub ${VERSION}\n`);
    return 0;
  }
  if (command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return 0;
  }
  process.stderr.write(`aigne-hub: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  const half = halves[command];
  if (!half) return printTopLevel(command);
  try {
    return await (await half()).run([command, ...rest]);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`aigne-hub ${command}: ${error.message}\nRun "aigne-hub ${command} --help" for usage.\n`);
      return 2;
    }
    if (error instanceof CommandError) {
      process.stderr.write(`aigne-hub ${command}: ${error.message}\n${error.hint ? `${error.hint}\n` : ""}`);
      return 1;
    }
    process.stderr.write(`aigne-hub ${command}: unexpected error: ${describeError(error).message}\n`);
    return 1;
  }
}

// Exit explicitly: library timers must not keep the process alive after an orderly shutdown.
process.exit(await main(process.argv.slice(2)));
