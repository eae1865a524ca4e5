/** @module `aigne-hub hub status|st [url] [--json]`: who the key belongs to on a hub, and the credit balance. */
import { loadClientConfig } from "../../config";
import type { UserInfo } from "../../shared/api";
import { type FlagSpec, formatFlags } from "../../shared/args";
import { CommandError, UsageError } from "../../shared/errors";
import { formatCredits, parseCredits } from "../../shared/money";
import { fetchUserInfo } from "../api-client";
import { type DescribedCommand, parseOrHelp } from "../command-line";
import { connectionStoreFor, originOf, resolveTarget } from "../connections";

const flags: Record<string, FlagSpec> = {
  json: { type: "boolean", help: "print one JSON document instead of text" },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const HELP = `Usage: aigne-hub hub status [url] [flags]

Shows the hub (the active one unless <url> names another), the user its key belongs to and, when the hub bills
credits, the total, used and available credits with the payment and profile links. AIGNE_HUB_API_URL and
AIGNE_HUB_API_KEY override the stored active hub.

Flags:
${formatFlags(flags)}

Examples:
  aigne-hub hub status
  aigne-hub hub st --json | jq .credits.available
`;

/** What `status --json` prints. */
export interface HubStatusReport {
  hub: string;
  active: boolean;
  source: "argument" | "environment" | "store";
  user: { name: string; did: string; email: string };
  enableCredit: boolean;
  credits: { total: string; used: string | null; available: string } | null;
  links: { payment: string | null; profile: string | null };
}

/** Used = total − available, exactly; null when the hub sends amounts this client cannot read exactly. */
function usedCredits(total: string, available: string): string | null {
  try {
    return formatCredits(parseCredits(total, "total", true) - parseCredits(available, "available", true));
  } catch {
    return null;
  }
}

/** Builds the report from `/api/user/info`. */
export function statusReport(
  hub: { url: string; active: boolean; source: HubStatusReport["source"] },
  info: UserInfo,
): HubStatusReport {
  const balance = info.enableCredit ? info.creditBalance : null;
  return {
    hub: hub.url,
    active: hub.active,
    source: hub.source,
    user: { name: info.user.fullName ?? "", did: info.user.did ?? "", email: info.user.email ?? "" },
    enableCredit: Boolean(info.enableCredit),
    credits: balance
      ? { total: balance.total, used: usedCredits(balance.total, balance.balance), available: balance.balance }
      : null,
    links: { payment: info.paymentLink ?? null, profile: info.profileLink ?? null },
  };
}

/** Renders the report as aligned `Label: value` lines. */
export function formatStatus(report: HubStatusReport): string {
  const rows: [string, string][] = [
    ["Hub", `${report.hub}${report.active ? " (active)" : ""}`],
    ["User", report.user.name],
    ["DID", report.user.did],
    ["Email", report.user.email],
  ];
  if (report.credits) {
    rows.push(
      ["Total", report.credits.total],
      ["Used", report.credits.used ?? "unknown"],
      ["Available", report.credits.available],
    );
  } else {
    rows.push(["Credits", "not billed on this hub"]);
  }
  if (report.links.payment) rows.push(["Payment", report.links.payment]);
  if (report.links.profile) rows.push(["Profile", report.links.profile]);
  return rows.map(([label, value]) => `${`${label}:`.padEnd(11)}${value}\n`).join("");
}

/** `hub status`. */
export const hubStatus: DescribedCommand = {
  summary: "show the user and credits of the active (or a named) hub",
  async run(argv) {
    const parsed = parseOrHelp(argv, flags, HELP);
    if (!parsed) return 0;
    if (parsed.positionals.length > 1) throw new UsageError("status takes at most one <url>");
    const config = loadClientConfig();
    const store = connectionStoreFor(config);
    const target = resolveTarget(config, store, parsed.positionals[0]);
    if (!target.apiKey) {
      throw new CommandError(`no API key for ${target.url}`, `Run \`aigne-hub hub connect ${target.url}\`.`);
    }
    const info = await fetchUserInfo(target.url, target.apiKey);
    const active = target.source === "environment" || originOf(store.active()?.url ?? "") === originOf(target.url);
    const report = statusReport({ url: target.url, active, source: target.source }, info);
    process.stdout.write(parsed.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return 0;
  },
};
