/** @jsxImportSource preact */
/** @module Operator tab: priced models (rates in credits per token, output cap, on/off) and model aliases. */
import { useState } from "preact/hooks";
import type { ModelCatalogView, ModelView } from "../../shared/api";
import { call } from "../lib/api";
import { Badge, Button, type Column, ConfirmButton, DataTable, ErrorText, Panel } from "../lib/components";
import { Form, SelectField, TextField } from "../lib/fields";
import { useAction, useLoad } from "../lib/hooks";
import { formatCount } from "../lib/i18n";
import { toast } from "../lib/toast";
import { ad } from "./text";

/** Adds a model or, for an existing id, changes it; "Edit" in the table fills it in. */
function ModelForm(props: { editing: ModelView | undefined; onDone: () => void; onCancel: () => void }) {
  const save = useAction();
  const model = props.editing;
  return (
    <Form
      grid
      label={ad("models.form")}
      onSubmit={(values, form) =>
        save.run(async () => {
          await call("POST", "/api/admin/models", {
            model: values.model,
            type: values.type,
            inputRate: values.inputRate || undefined,
            outputRate: values.outputRate || undefined,
            maxOutputTokens: values.maxOutputTokens ? Number(values.maxOutputTokens) : null,
          });
          form.reset();
          toast(ad("models.saved", { model: values.model ?? "" }));
          props.onDone();
        })
      }
    >
      <TextField
        label={ad("models.id")}
        name="model"
        required
        placeholder="openai/gpt-4o-mini"
        hint={ad("models.idHint")}
        defaultValue={model?.id}
      />
      <SelectField
        label={ad("models.type")}
        name="type"
        defaultValue={model?.type ?? "chat"}
        options={[
          ["chat", "chat"],
          ["embedding", "embedding"],
          ["image", "image"],
        ]}
      />
      <TextField
        label={ad("models.inputRate")}
        name="inputRate"
        placeholder="0.000002"
        hint={ad("models.rateHint")}
        defaultValue={model?.inputRate}
      />
      <TextField
        label={ad("models.outputRate")}
        name="outputRate"
        placeholder="0.000008"
        defaultValue={model?.outputRate}
      />
      <TextField
        label={ad("models.maxOutput")}
        name="maxOutputTokens"
        type="number"
        min={1}
        step="1"
        hint={ad("models.maxOutputHint")}
        defaultValue={model?.maxOutputTokens?.toString()}
      />
      <ErrorText error={save.error} />
      <div class="actions">
        <Button type="submit" kind="primary" busy={save.busy}>
          {model ? ad("models.update") : ad("models.add")}
        </Button>
        {model && <Button onClick={props.onCancel}>{ad("models.cancelEdit")}</Button>}
      </div>
    </Form>
  );
}

function AliasesPanel(props: { catalog: ModelCatalogView; onChange: () => void }) {
  const act = useAction();
  const setAlias = (alias: string, model: string | null, done: string) =>
    act.run(async () => {
      await call("POST", "/api/admin/aliases", { alias, model });
      toast(done);
      props.onChange();
    });
  const columns: Column<{ alias: string; target: string }>[] = [
    { label: ad("aliases.alias"), cell: (a) => <code>{a.alias}</code> },
    { label: ad("aliases.target"), cell: (a) => <code>{a.target}</code> },
    {
      label: ad("actions"),
      cell: (a) => (
        <ConfirmButton
          label={ad("aliases.removeNamed", { alias: a.alias })}
          onConfirm={() => setAlias(a.alias, null, ad("aliases.removed", { alias: a.alias }))}
        >
          {ad("remove")}
        </ConfirmButton>
      ),
    },
  ];
  return (
    <Panel title={ad("aliases.title")} wide>
      <p class="muted">{ad("aliases.intro")}</p>
      <DataTable
        caption={ad("aliases.title")}
        columns={columns}
        rows={props.catalog.aliases}
        rowKey={(a) => a.alias}
        empty={ad("aliases.none")}
      />
      <Form
        inline
        label={ad("aliases.add")}
        onSubmit={(values, form) => {
          void setAlias(
            values.alias ?? "",
            values.target ?? "",
            ad("aliases.saved", { alias: values.alias ?? "" }),
          ).then((ok) => ok && form.reset());
        }}
      >
        <TextField label={ad("aliases.alias")} name="alias" required placeholder="gpt-4o-mini" />
        <TextField label={ad("aliases.target")} name="target" required placeholder="openai/gpt-4o-mini" />
        <Button type="submit" busy={act.busy}>
          {ad("aliases.add")}
        </Button>
      </Form>
      <ErrorText error={act.error} />
    </Panel>
  );
}

/** The models tab: the add/edit form, the price list, and the aliases. */
export function ModelsTab() {
  const catalog = useLoad(() => call<ModelCatalogView>("GET", "/api/admin/models"));
  const [editing, setEditing] = useState<ModelView>();
  const toggle = useAction();
  const columns: Column<ModelView>[] = [
    { label: ad("models.id"), cell: (m) => <span class="mono">{m.id}</span> },
    { label: ad("models.type"), cell: (m) => m.type },
    { label: ad("models.inputRate"), numeric: true, cell: (m) => m.inputRate },
    { label: ad("models.outputRate"), numeric: true, cell: (m) => m.outputRate },
    {
      label: ad("models.maxOutput"),
      numeric: true,
      cell: (m) => (m.maxOutputTokens === null ? "—" : formatCount(m.maxOutputTokens)),
    },
    {
      label: ad("status"),
      cell: (m) => <Badge tone={m.enabled ? "ok" : "muted"}>{m.enabled ? ad("enabled") : ad("disabled")}</Badge>,
    },
    {
      label: ad("actions"),
      cell: (m) => (
        <span class="row-actions">
          <Button
            label={ad("models.editNamed", { model: m.id })}
            onClick={() => {
              setEditing(m);
              document.getElementById("model-form")?.querySelector("h2")?.focus();
            }}
          >
            {ad("edit")}
          </Button>
          <Button
            busy={toggle.busy}
            label={ad(m.enabled ? "models.disableNamed" : "models.enableNamed", { model: m.id })}
            onClick={() =>
              toggle.run(async () => {
                await call("POST", "/api/admin/models", { model: m.id, enabled: !m.enabled });
                catalog.reload();
              })
            }
          >
            {m.enabled ? ad("disable") : ad("enable")}
          </Button>
        </span>
      ),
    },
  ];
  return (
    <div class="grid">
      <Panel title={ad("models.title")} wide>
        <p class="muted">{ad("models.intro")}</p>
        <ErrorText error={catalog.error ?? toggle.error} />
        {catalog.data && (
          <DataTable
            caption={ad("models.title")}
            columns={columns}
            rows={catalog.data.models}
            rowKey={(m) => m.id}
            empty={ad("models.none")}
          />
        )}
      </Panel>
      <Panel id="model-form" wide title={editing ? ad("models.editTitle", { model: editing.id }) : ad("models.form")}>
        <ModelForm
          key={editing?.id ?? "new"}
          editing={editing}
          onDone={() => {
            setEditing(undefined);
            catalog.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      </Panel>
      {catalog.data && <AliasesPanel catalog={catalog.data} onChange={catalog.reload} />}
    </div>
  );
}
