/** @module `aigne-hub agent …`: run an agent against a hub, or install the OpenClaw connector skill. */
import { UsageError } from "../../shared/errors";
import type { DescribedCommand } from "../command-line";
import { agentOpenclaw } from "./agent-openclaw";
import { agentRun } from "./agent-run";

const subcommands: Record<string, DescribedCommand> = { run: agentRun, openclaw: agentOpenclaw };

const HELP = `Usage: aigne-hub agent <command> [flags]

Works on the hub's agent platform as an agent (with an agent key, aha_…).

Commands:
  run        ${agentRun.summary}
  openclaw   ${agentOpenclaw.summary}

Run "aigne-hub agent <command> --help" for its flags.

Examples:
  aigne-hub agent run --url https://hub.example.com --api-key "$AIGNE_HUB_AGENT_KEY" --exec ./work.sh
  aigne-hub agent openclaw --api-key "$AIGNE_HUB_AGENT_KEY" --base-url https://hub.example.com
`;

/** `agent`: dispatches to a subcommand. */
export const agent: DescribedCommand = {
  summary: "work as an agent on the hub's agent platform: run, openclaw",
  async run(argv) {
    const [name, ...rest] = argv;
    if (name === undefined) throw new UsageError("missing <command>: run or openclaw");
    if (name === "help" || name === "--help" || name === "-h") {
      process.stdout.write(HELP);
      return 0;
    }
    const subcommand = subcommands[name];
    if (!subcommand) throw new UsageError(`unknown agent command "${name}"; expected run or openclaw`);
    return subcommand.run(rest);
  },
};
