/** @module `aigne-hub health`: exits 0 when a hub answers /healthz; the container HEALTHCHECK needs no curl. */
import { loadClientConfig } from "../../config";
import { type FlagSpec, formatFlags, parseFlags, stringFlag } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";

const flags: Record<string, FlagSpec> = {
  url: { type: "string", value: "URL", help: "hub to probe (default http://127.0.0.1:$AIGNE_HUB_PORT or :8090)" },
  timeout: { type: "string", value: "MS", help: "give up after this many milliseconds (default 3000)" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

/** Probes `<url>/healthz` and prints `ok` on success. */
export const health = {
  async run(argv: string[]): Promise<number> {
    const parsed = parseFlags(argv, flags, false);
    if (parsed.values.help) {
      process.stdout.write(
        `Usage: aigne-hub health [flags]\n\nExits 0 when the hub answers GET /healthz with 200.\n\nFlags:\n${formatFlags(flags)}\n\nExamples:\n  aigne-hub health\n  aigne-hub health --url https://hub.example.com\n`,
      );
      return 0;
    }
    const timeout = Number(stringFlag(parsed, "timeout") ?? 3000);
    if (!Number.isInteger(timeout) || timeout <= 0) throw new UsageError("--timeout must be a positive whole number");
    const base = stringFlag(parsed, "url") ?? `http://127.0.0.1:${loadClientConfig().port}`;
    let url: URL;
    try {
      url = new URL("/healthz", base);
    } catch {
      throw new UsageError(`--url "${base}" is not a URL`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeout) });
      if (!response.ok) throw new CommandError(`${url} answered ${response.status}`);
    } catch (error) {
      if (error instanceof CommandError) throw error;
      throw new CommandError(`${url} did not answer: ${error instanceof Error ? error.message : error}`);
    }
    process.stdout.write("ok\n");
    return 0;
  },
};
