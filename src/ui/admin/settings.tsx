/** @jsxImportSource preact */
/**
 * @module Operator tab: billing on/off, lenient admission, the payment link and storing call contents; call retention,
 * read-only.
 */
import type { HubSettingsView } from "../../shared/api";
import { call } from "../lib/api";
import { Button, ErrorText, Notice, Panel } from "../lib/components";
import { CheckField, Form, TextField } from "../lib/fields";
import { useAction, useLoad } from "../lib/hooks";
import { formatCount } from "../lib/i18n";
import { t } from "../lib/text";
import { toast } from "../lib/toast";
import { ad } from "./text";

function SettingsForm(props: { settings: HubSettingsView; onSaved: () => void }) {
  const save = useAction();
  const { settings } = props;
  const pinned = settings.creditsOverride !== null;
  const contentPinned = settings.storeContentOverride !== null;
  return (
    <Form
      label={ad("settings.billing")}
      onSubmit={(values) =>
        save.run(async () => {
          await call("PATCH", "/api/admin/settings", {
            // A pinned switch is left out: the environment decides it and the setting would be ignored.
            ...(pinned ? {} : { creditsEnabled: values.creditsEnabled === "on" }),
            lenient: values.lenient === "on",
            paymentLink: values.paymentLink || null,
            ...(contentPinned ? {} : { storeContent: values.storeContent === "on" }),
          });
          toast(ad("settings.saved"));
          props.onSaved();
        })
      }
    >
      <CheckField
        label={ad("settings.credits")}
        name="creditsEnabled"
        defaultChecked={settings.enabled}
        disabled={pinned}
        hint={pinned ? ad("settings.pinned") : ad("settings.creditsHint")}
      />
      <CheckField
        label={ad("settings.lenient")}
        name="lenient"
        defaultChecked={settings.lenient}
        hint={ad("settings.lenientHint")}
      />
      <TextField
        label={ad("settings.paymentLink")}
        name="paymentLink"
        type="url"
        defaultValue={settings.paymentLink ?? ""}
        hint={ad("settings.paymentLinkHint")}
      />
      <CheckField
        label={ad("settings.storeContent")}
        name="storeContent"
        defaultChecked={settings.storeContent}
        disabled={contentPinned}
        hint={contentPinned ? ad("settings.storeContentPinned") : ad("settings.storeContentHint")}
      />
      <ErrorText error={save.error} />
      <Button type="submit" kind="primary" busy={save.busy}>
        {t("save")}
      </Button>
    </Form>
  );
}

/** The settings tab. */
export function SettingsTab() {
  const settings = useLoad(() => call<HubSettingsView>("GET", "/api/admin/settings"));
  const data = settings.data;
  return (
    <div class="grid">
      <Panel title={ad("settings.billing")}>
        <ErrorText error={settings.error} />
        {/* Keyed by the saved values, so the form shows what the hub stored after each save. */}
        {data && <SettingsForm key={JSON.stringify(data)} settings={data} onSaved={settings.reload} />}
      </Panel>
      <Panel title={ad("settings.retention")}>
        {data && (
          <>
            <dl class="facts">
              <dt>{ad("settings.retentionDays")}</dt>
              <dd>{formatCount(data.retention.days)}</dd>
              <dt>{ad("settings.retentionRows")}</dt>
              <dd>{formatCount(data.retention.rows)}</dd>
            </dl>
            <Notice kind="info">{ad("settings.retentionHint")}</Notice>
          </>
        )}
      </Panel>
    </div>
  );
}
