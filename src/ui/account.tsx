/** @jsxImportSource preact */
/** @module The signed-in user's page (/ui/account, and /ui/credits for top-ups): credits, usage, keys and calls. */
import { useState } from "preact/hooks";
import type { CallView, CreditsOverview } from "../shared/api";
import { CreditsPanel, TopUpPanel } from "./account/credits";
import { KeysPanel } from "./account/keys";
import { at } from "./account/text";
import { UsagePanel } from "./account/usage";
import { call } from "./lib/api";
import { CallsTable } from "./lib/calls-table";
import { Button, ErrorText, Panel } from "./lib/components";
import { useLoad } from "./lib/hooks";
import { mountPage } from "./lib/shell";
import { t } from "./lib/text";

const RECENT_CALLS = 20;

function AccountPage() {
  // Bumped by Refresh and by anything that moves credits, so balance, usage and calls reload together.
  const [round, setRound] = useState(0);
  const refresh = () => setRound((n) => n + 1);
  const credits = useLoad(() => call<CreditsOverview>("GET", "/api/credits"), [round]);
  const calls = useLoad(() => call<{ calls: CallView[] }>("GET", `/api/calls?limit=${RECENT_CALLS}`), [round]);
  return (
    <div class="page">
      <div class="page-head">
        <h1>{at("heading")}</h1>
        <Button onClick={refresh} busy={credits.loading || calls.loading}>
          {t("refresh")}
        </Button>
      </div>
      <div class="grid">
        <CreditsPanel credits={credits} onChange={refresh} />
        <TopUpPanel credits={credits} />
        <UsagePanel round={round} />
        <KeysPanel round={round} />
        <Panel title={at("calls.title")} wide id="calls">
          <ErrorText error={calls.error} />
          {calls.data && <CallsTable calls={calls.data.calls} />}
        </Panel>
      </div>
    </div>
  );
}

mountPage({ page: "account", title: () => at("title"), render: () => <AccountPage /> });
