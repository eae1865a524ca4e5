/** @jsxImportSource preact */
/** @module The model-call table both the account's recent calls and the operator's audit log show. */
import type { CallView } from "../../shared/api";
import { Badge, type Column, DataTable } from "./components";
import { formatCount, formatTime } from "./i18n";
import { t } from "./text";

const STATUS_TONE = { success: "ok", failed: "bad", cancelled: "muted" } as const;

/** Lists calls; `userName` adds a user column (the operator's view) that shows who made each call. */
export function CallsTable(props: { calls: CallView[]; userName?: (userId: string) => string }) {
  const columns: Column<CallView>[] = [
    { label: t("calls.time"), cell: (call) => <time dateTime={call.createdAt}>{formatTime(call.createdAt)}</time> },
    ...(props.userName ? [{ label: t("calls.user"), cell: (call: CallView) => props.userName!(call.userId) }] : []),
    {
      label: t("calls.model"),
      cell: (call) => (
        <span class="mono">
          {call.model ?? call.requestedModel}
          {call.model && call.model !== call.requestedModel && <span class="muted"> ← {call.requestedModel}</span>}
        </span>
      ),
    },
    {
      label: t("calls.status"),
      cell: (call) => <Badge tone={STATUS_TONE[call.status]}>{t(`status.${call.status}`)}</Badge>,
    },
    {
      label: t("calls.tokens"),
      numeric: true,
      cell: (call) => `${formatCount(call.inputTokens)} / ${formatCount(call.outputTokens)}`,
    },
    { label: t("calls.cost"), numeric: true, cell: (call) => call.cost },
    { label: t("calls.latency"), numeric: true, cell: (call) => `${formatCount(call.latencyMs)} ms` },
    {
      label: t("calls.error"),
      cell: (call) => (call.errorMessage ? <span class="wrap">{call.errorMessage}</span> : "—"),
    },
  ];
  return (
    <DataTable
      caption={t("calls.caption")}
      columns={columns}
      rows={props.calls}
      rowKey={(call) => call.id}
      empty={t("calls.none")}
    />
  );
}
