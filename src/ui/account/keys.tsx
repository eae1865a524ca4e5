/** @jsxImportSource preact */
/** @module The account's hub API keys: create (the key is shown once, with Copy), set limits, revoke. */
import { useState } from "preact/hooks";
import type { HubKeyLimits, HubKeyView, IssuedHubKey } from "../../shared/api";
import { call } from "../lib/api";
import {
  Badge,
  Button,
  type Column,
  ConfirmButton,
  CopyField,
  DataTable,
  ErrorText,
  Notice,
  Panel,
} from "../lib/components";
import { Form, TextField } from "../lib/fields";
import { useAction, useLoad } from "../lib/hooks";
import { formatCount, formatTime } from "../lib/i18n";
import { t } from "../lib/text";
import { toast } from "../lib/toast";
import { at } from "./text";

function limitsText(limits: HubKeyLimits): string {
  const parts = [
    limits.rpm !== null && at("limits.rpmShort", { value: formatCount(limits.rpm) }),
    limits.tpm !== null && at("limits.tpmShort", { value: formatCount(limits.tpm) }),
    limits.dailyBudget !== null && at("limits.perDay", { value: limits.dailyBudget }),
    limits.monthlyBudget !== null && at("limits.perMonth", { value: limits.monthlyBudget }),
  ].filter(Boolean);
  return parts.length ? parts.join(" · ") : at("limits.none");
}

/** Empty means "no limit" (null); a count must be a whole number, which the hub checks again. */
function limitsBody(values: Record<string, string>): HubKeyLimits {
  const count = (text: string | undefined) => (text ? Number(text) : null);
  return {
    rpm: count(values.rpm),
    tpm: count(values.tpm),
    dailyBudget: values.dailyBudget || null,
    monthlyBudget: values.monthlyBudget || null,
  };
}

function LimitsEditor(props: { hubKey: HubKeyView; onSaved: () => void }) {
  const save = useAction();
  const { limits } = props.hubKey;
  const name = props.hubKey.name || props.hubKey.hint;
  return (
    <details class="limits">
      <summary>
        {limitsText(limits)}
        <span class="visually-hidden"> — {at("limits.editNamed", { name })}</span>
      </summary>
      <Form
        label={at("limits.editNamed", { name })}
        onSubmit={(values) =>
          save.run(async () => {
            await call("PATCH", `/api/keys/${encodeURIComponent(props.hubKey.id)}/limits`, limitsBody(values));
            toast(at("limits.saved", { name }));
            props.onSaved();
          })
        }
      >
        <TextField
          label={at("limits.rpm")}
          name="rpm"
          type="number"
          min={1}
          step="1"
          defaultValue={limits.rpm?.toString() ?? ""}
        />
        <TextField
          label={at("limits.tpm")}
          name="tpm"
          type="number"
          min={1}
          step="1"
          defaultValue={limits.tpm?.toString() ?? ""}
        />
        <TextField label={at("limits.daily")} name="dailyBudget" defaultValue={limits.dailyBudget ?? ""} />
        <TextField label={at("limits.monthly")} name="monthlyBudget" defaultValue={limits.monthlyBudget ?? ""} />
        <p class="muted">{at("limits.hint")}</p>
        <ErrorText error={save.error} />
        <Button type="submit" busy={save.busy}>
          {t("save")}
        </Button>
      </Form>
    </details>
  );
}

/** The keys section; a created key stays on screen until the visitor says it is copied. */
export function KeysPanel(props: { round: number }) {
  const keys = useLoad(() => call<{ keys: HubKeyView[] }>("GET", "/api/keys"), [props.round]);
  const create = useAction();
  const revoke = useAction();
  const [issued, setIssued] = useState<IssuedHubKey>();
  const rows = [...(keys.data?.keys ?? [])].sort((a, b) => Number(Boolean(a.revokedAt)) - Number(Boolean(b.revokedAt)));
  const nameOf = (key: HubKeyView) => key.name || at("keys.unnamed");
  const columns: Column<HubKeyView>[] = [
    { label: at("keys.colName"), cell: nameOf },
    { label: at("keys.colKey"), cell: (key) => <code>{key.hint}</code> },
    { label: at("keys.colCreated"), cell: (key) => formatTime(key.createdAt) },
    { label: at("keys.colUsed"), cell: (key) => formatTime(key.lastUsedAt) },
    {
      label: at("keys.colLimits"),
      cell: (key) => (key.revokedAt ? "—" : <LimitsEditor hubKey={key} onSaved={keys.reload} />),
    },
    {
      label: at("keys.colStatus"),
      cell: (key) =>
        key.revokedAt ? (
          <Badge tone="muted">{at("keys.revokedBadge")}</Badge>
        ) : (
          <Badge tone="ok">{at("keys.active")}</Badge>
        ),
    },
    {
      label: at("keys.colActions"),
      cell: (key) =>
        key.revokedAt ? null : (
          <ConfirmButton
            label={at("keys.revokeNamed", { name: nameOf(key) })}
            onConfirm={() =>
              revoke.run(async () => {
                await call("DELETE", `/api/keys/${encodeURIComponent(key.id)}`);
                toast(at("keys.revoked", { name: nameOf(key) }));
                keys.reload();
              })
            }
          >
            {at("keys.revoke")}
          </ConfirmButton>
        ),
    },
  ];
  return (
    <Panel title={at("keys.title")} wide id="keys">
      <p class="muted">{at("keys.intro")}</p>
      <Form
        inline
        label={at("keys.create")}
        onSubmit={(values, form) =>
          create.run(async () => {
            const result = await call<IssuedHubKey>("POST", "/api/keys", { name: values.name || undefined });
            form.reset();
            setIssued(result);
            toast(at("keys.created", { name: nameOf(result.record) }));
            keys.reload();
          })
        }
      >
        <TextField label={at("keys.name")} name="name" autocomplete="off" />
        <Button type="submit" kind="primary" busy={create.busy}>
          {at("keys.create")}
        </Button>
      </Form>
      <ErrorText error={create.error} />
      {issued && (
        <div class="secret">
          <Notice kind="warning">{at("keys.once")}</Notice>
          <CopyField label={at("keys.new")} value={issued.key} />
          <Button onClick={() => setIssued(undefined)}>{at("keys.done")}</Button>
        </div>
      )}
      <ErrorText error={keys.error ?? revoke.error} />
      {keys.data && (
        <DataTable
          caption={at("keys.caption")}
          columns={columns}
          rows={rows}
          rowKey={(key) => key.id}
          empty={at("keys.none")}
        />
      )}
    </Panel>
  );
}
