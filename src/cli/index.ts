/** @module The client half: commands that talk to a hub over HTTP only. */
import { UsageError } from "../shared/errors";
import { health } from "./commands/health";

/** One client command. */
export interface ClientCommand {
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, ClientCommand> = { health };

/** Runs a client command; errors propagate to main, which prints them and picks the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [name = "", ...rest] = argv;
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  return command.run(rest);
}
