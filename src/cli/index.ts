/** @module The client half: commands that talk to a hub over HTTP only. */
import { UsageError } from "../shared/errors";
import { agent } from "./commands/agent";
import { chat } from "./commands/chat";
import { health } from "./commands/health";
import { hub } from "./commands/hub";
import { PromptCancelled } from "./prompts";

/** One client command. */
export interface ClientCommand {
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, ClientCommand> = { health, hub, chat, agent };

/** Runs a client command; a cancelled prompt exits 130, other errors propagate to main, which picks the code. */
export async function run(argv: string[]): Promise<number> {
  const [name = "", ...rest] = argv;
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  try {
    return await command.run(rest);
  } catch (error) {
    if (!(error instanceof PromptCancelled)) throw error;
    process.stderr.write("Cancelled.\n");
    return 130;
  }
}
