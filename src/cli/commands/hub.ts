/** @module `aigne-hub hub …`: the hub client's subcommands, sharing the aigne CLI's credential store. */
import { UsageError } from "../../shared/errors";
import type { DescribedCommand } from "../command-line";
import { hubConnect } from "./hub-connect";
import { hubList } from "./hub-list";
import { hubRemove } from "./hub-remove";
import { hubStatus } from "./hub-status";
import { hubUse } from "./hub-use";

const subcommands: Record<string, DescribedCommand> = {
  connect: hubConnect,
  list: hubList,
  ls: hubList,
  use: hubUse,
  status: hubStatus,
  st: hubStatus,
  remove: hubRemove,
  rm: hubRemove,
};

const HELP = `Usage: aigne-hub hub <command> [flags]

Connects this machine to AIGNE Hubs. Connections live in ~/.aigne/aigne-hub-connected.yaml, the same store the
aigne CLI uses, so either tool sees hubs the other connected.

Commands:
  connect [url]     ${hubConnect.summary}
  list, ls          ${hubList.summary}
  use [url]         ${hubUse.summary}
  status, st [url]  ${hubStatus.summary}
  remove, rm [url]  ${hubRemove.summary}

Run "aigne-hub hub <command> --help" for its flags.

Examples:
  aigne-hub hub connect https://hub.example.com
  aigne-hub hub list
  aigne-hub hub status --json
`;

/** `hub`: dispatches to a subcommand. */
export const hub: DescribedCommand = {
  summary: "connect to hubs and manage the stored connections",
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined) throw new UsageError("missing <command>: connect, list, use, status or remove");
    if (name === "help" || name === "--help" || name === "-h") {
      process.stdout.write(HELP);
      return 0;
    }
    const subcommand = subcommands[name];
    if (!subcommand)
      throw new UsageError(`unknown hub command "${name}"; expected connect, list, use, status or remove`);
    return subcommand.run(rest);
  },
};
