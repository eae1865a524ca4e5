/** @jsxImportSource preact */
/** @module Operator tab: providers and their credentials, with health and cooldowns at a glance, test, weight, on/off. */
import type { CredentialTestResult, CredentialView, ProviderView } from "../../shared/api";
import { call } from "../lib/api";
import { Badge, Button, type Column, ConfirmButton, DataTable, ErrorText, Panel } from "../lib/components";
import { CheckField, Form, SelectField, TextField } from "../lib/fields";
import { useAction, useLoad } from "../lib/hooks";
import { formatCount, formatTime } from "../lib/i18n";
import { t } from "../lib/text";
import { toast } from "../lib/toast";
import { ad } from "./text";

const TYPES: ProviderView["type"][] = ["openai", "openai-compatible", "anthropic", "gemini"];
const HEALTH_TONE = { active: "ok", cooling: "warn", invalid: "bad", disabled: "muted" } as const;

function AddProviderForm(props: { onDone: () => void }) {
  const add = useAction();
  return (
    <Form
      label={ad("providers.add")}
      onSubmit={(values, form) =>
        add.run(async () => {
          await call("POST", "/api/admin/providers", {
            name: values.name,
            type: values.type,
            baseUrl: values.baseUrl || undefined,
            apiKey: values.apiKey,
            weight: values.weight ? Number(values.weight) : undefined,
            default: values.default === "on",
          });
          form.reset();
          toast(ad("providers.added", { name: values.name ?? "" }));
          props.onDone();
        })
      }
    >
      <TextField label={ad("providers.name")} name="name" required hint={ad("providers.nameHint")} />
      <SelectField
        label={ad("providers.type")}
        name="type"
        options={TYPES.map((type): [string, string] => [type, type])}
      />
      <TextField label={ad("providers.baseUrl")} name="baseUrl" type="url" hint={ad("providers.baseUrlHint")} />
      <TextField label={ad("providers.apiKey")} name="apiKey" type="password" autocomplete="off" required />
      <TextField label={ad("providers.weight")} name="weight" type="number" min={1} step="1" defaultValue="1" />
      <CheckField label={ad("providers.default")} name="default" />
      <ErrorText error={add.error} />
      <Button type="submit" kind="primary" busy={add.busy}>
        {ad("providers.addButton")}
      </Button>
    </Form>
  );
}

/** Health in words: the status, and why or until when. */
function Health(props: { credential: CredentialView }) {
  const { credential } = props;
  const detail =
    credential.status === "cooling"
      ? ad("health.until", { time: formatTime(credential.cooldownUntil) })
      : credential.status === "invalid"
        ? credential.invalidReason
        : credential.lastError && ad("health.lastError", { error: credential.lastError });
  return (
    <span class="stack">
      <Badge tone={HEALTH_TONE[credential.status]}>{ad(`health.${credential.status}`)}</Badge>
      {detail && <small class="muted wrap">{detail}</small>}
    </span>
  );
}

function CredentialActions(props: { credential: CredentialView; onChange: () => void }) {
  const { credential } = props;
  const act = useAction();
  const path = `/api/admin/credentials/${encodeURIComponent(credential.id)}`;
  const test = () =>
    act.run(async () => {
      const result = await call<CredentialTestResult>("POST", `${path}/test`);
      if (result.ok) toast(ad("credentials.passed", { key: credential.hint, ms: result.latencyMs }));
      else toast(ad("credentials.failed", { key: credential.hint, reason: result.message ?? "" }), "error");
      props.onChange();
    });
  const toggle = () =>
    act.run(async () => {
      await call("PATCH", path, { enabled: !credential.enabled });
      props.onChange();
    });
  const remove = () =>
    act.run(async () => {
      await call("DELETE", path);
      toast(ad("credentials.removed", { key: credential.hint }));
      props.onChange();
    });
  return (
    <span class="row-actions">
      <Button busy={act.busy} onClick={test} label={ad("credentials.testNamed", { key: credential.hint })}>
        {ad("credentials.test")}
      </Button>
      <Button
        busy={act.busy}
        onClick={toggle}
        label={ad(credential.enabled ? "credentials.disableNamed" : "credentials.enableNamed", {
          key: credential.hint,
        })}
      >
        {credential.enabled ? ad("disable") : ad("enable")}
      </Button>
      <ConfirmButton label={ad("credentials.removeNamed", { key: credential.hint })} onConfirm={remove}>
        {ad("remove")}
      </ConfirmButton>
      <ErrorText error={act.error} />
    </span>
  );
}

function WeightForm(props: { credential: CredentialView; onChange: () => void }) {
  const save = useAction();
  return (
    <Form
      inline
      label={ad("credentials.weightNamed", { key: props.credential.hint })}
      onSubmit={(values) =>
        save.run(async () => {
          await call("PATCH", `/api/admin/credentials/${encodeURIComponent(props.credential.id)}`, {
            weight: Number(values.weight),
          });
          toast(ad("credentials.weightSaved", { key: props.credential.hint }));
          props.onChange();
        })
      }
    >
      <TextField
        label={ad("credentials.weightNamed", { key: props.credential.hint })}
        hideLabel
        name="weight"
        type="number"
        min={1}
        step="1"
        defaultValue={String(props.credential.weight)}
        required
      />
      <Button type="submit" busy={save.busy}>
        {t("save")}
      </Button>
      <ErrorText error={save.error} />
    </Form>
  );
}

function ProviderCard(props: { provider: ProviderView; onChange: () => void }) {
  const { provider } = props;
  const act = useAction();
  const set = (body: Record<string, unknown>, done: string) =>
    act.run(async () => {
      // The base URL goes along: the hub resets an omitted one to the type's default.
      await call("POST", "/api/admin/providers", {
        name: provider.name,
        type: provider.type,
        baseUrl: provider.baseUrl,
        ...body,
      });
      toast(done);
      props.onChange();
    });
  const columns: Column<CredentialView>[] = [
    { label: ad("credentials.key"), cell: (c) => <code>{c.hint}</code> },
    { label: ad("credentials.health"), cell: (c) => <Health credential={c} /> },
    { label: ad("credentials.weight"), cell: (c) => <WeightForm credential={c} onChange={props.onChange} /> },
    {
      label: ad("credentials.traffic"),
      numeric: true,
      cell: (c) => ad("credentials.trafficValue", { requests: formatCount(c.requests), errors: formatCount(c.errors) }),
    },
    { label: ad("credentials.lastUsed"), cell: (c) => formatTime(c.lastUsedAt) },
    { label: ad("actions"), cell: (c) => <CredentialActions credential={c} onChange={props.onChange} /> },
  ];
  return (
    <Panel
      title={provider.name}
      wide
      actions={
        <>
          <Badge tone={provider.enabled ? "ok" : "muted"}>{provider.enabled ? ad("enabled") : ad("disabled")}</Badge>
          <Button
            busy={act.busy}
            label={ad(provider.enabled ? "providers.disableNamed" : "providers.enableNamed", { name: provider.name })}
            onClick={() =>
              set(
                { enabled: !provider.enabled },
                ad(provider.enabled ? "providers.disabled" : "providers.enabled", { name: provider.name }),
              )
            }
          >
            {provider.enabled ? ad("disable") : ad("enable")}
          </Button>
        </>
      }
    >
      <dl class="facts">
        <dt>{ad("providers.type")}</dt>
        <dd>{provider.type}</dd>
        <dt>{ad("providers.baseUrl")}</dt>
        <dd class="mono">{provider.baseUrl}</dd>
      </dl>
      <ErrorText error={act.error} />
      <DataTable
        caption={ad("credentials.caption", { name: provider.name })}
        columns={columns}
        rows={provider.credentials}
        rowKey={(c) => c.id}
        empty={ad("credentials.none")}
      />
      <Form
        inline
        label={ad("credentials.addNamed", { name: provider.name })}
        onSubmit={(values, form) => {
          void set({ apiKey: values.apiKey, weight: Number(values.weight) || undefined }, ad("credentials.added")).then(
            (ok) => ok && form.reset(),
          );
        }}
      >
        <TextField label={ad("credentials.newKey")} name="apiKey" type="password" autocomplete="off" required />
        <TextField label={ad("credentials.weight")} name="weight" type="number" min={1} step="1" defaultValue="1" />
        <Button type="submit" busy={act.busy}>
          {ad("credentials.add")}
        </Button>
      </Form>
    </Panel>
  );
}

/** The providers tab: a health summary, the add form, then one card per provider. */
export function ProvidersTab() {
  const providers = useLoad(() => call<{ providers: ProviderView[] }>("GET", "/api/admin/providers"));
  const credentials = providers.data?.providers.flatMap((p) => p.credentials) ?? [];
  const count = (status: CredentialView["status"]) => credentials.filter((c) => c.status === status).length;
  return (
    <div class="grid">
      <Panel
        title={ad("providers.health")}
        actions={
          <Button onClick={providers.reload} busy={providers.loading}>
            {t("refresh")}
          </Button>
        }
      >
        <ErrorText error={providers.error} />
        {providers.data && (
          <ul class="summary">
            {(["active", "cooling", "invalid", "disabled"] as const).map((status) => (
              <li key={status}>
                <Badge tone={HEALTH_TONE[status]}>{ad(`health.${status}`)}</Badge>{" "}
                {count(status) === 1 ? ad("health.one") : ad("health.count", { count: count(status) })}
              </li>
            ))}
          </ul>
        )}
        {providers.data?.providers.length === 0 && <p class="muted">{ad("providers.none")}</p>}
      </Panel>
      <Panel title={ad("providers.add")}>
        <AddProviderForm onDone={providers.reload} />
      </Panel>
      {providers.data?.providers.map((provider) => (
        <ProviderCard key={provider.id} provider={provider} onChange={providers.reload} />
      ))}
    </div>
  );
}
