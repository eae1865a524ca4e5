/** @jsxImportSource preact */
/** @module Operator tab: the call audit log with filters, and the same selection as a CSV download. */
import { useState } from "preact/hooks";
import type { AdminUserView, CallView } from "../../shared/api";
import { call, query } from "../lib/api";
import { CallsTable } from "../lib/calls-table";
import { Button, ErrorText, Panel } from "../lib/components";
import { Form, SelectField, TextField } from "../lib/fields";
import { useLoad } from "../lib/hooks";
import { ad } from "./text";

interface Filters {
  email?: string;
  model?: string;
  status?: string;
  since?: string;
  until?: string;
  limit: string;
}

/** A `datetime-local` value is local time without a zone; the API wants an absolute instant. */
function instant(local: string | undefined): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

/** The audit log: filters, a CSV link for the same filters, and the matching calls. */
export function CallsTab() {
  const [filters, setFilters] = useState<Filters>({ limit: "100" });
  const params = {
    email: filters.email,
    model: filters.model,
    status: filters.status,
    since: instant(filters.since),
    until: instant(filters.until),
  };
  const calls = useLoad(
    () => call<{ calls: CallView[] }>("GET", `/api/admin/calls${query({ ...params, limit: filters.limit })}`),
    [filters],
  );
  // Emails read better than ids; the first page of users covers small hubs, others fall back to the id.
  const users = useLoad(() => call<{ users: AdminUserView[] }>("GET", "/api/admin/users?limit=200"));
  const emails = new Map(users.data?.users.map((u) => [u.id, u.email]));
  return (
    <div class="grid">
      <Panel title={ad("calls.filters")} wide>
        <Form grid label={ad("calls.filters")} onSubmit={(values) => setFilters(values as unknown as Filters)}>
          <TextField label={ad("calls.email")} name="email" type="email" defaultValue={filters.email} />
          <TextField
            label={ad("calls.model")}
            name="model"
            placeholder="openai/gpt-4o-mini"
            defaultValue={filters.model}
          />
          <SelectField
            label={ad("calls.status")}
            name="status"
            defaultValue={filters.status ?? ""}
            options={[
              ["", ad("calls.anyStatus")],
              ["success", ad("calls.success")],
              ["failed", ad("calls.failed")],
              ["cancelled", ad("calls.cancelled")],
            ]}
          />
          <TextField label={ad("calls.since")} name="since" type="datetime-local" defaultValue={filters.since} />
          <TextField label={ad("calls.until")} name="until" type="datetime-local" defaultValue={filters.until} />
          <SelectField
            label={ad("calls.limit")}
            name="limit"
            defaultValue={filters.limit}
            options={["50", "100", "500", "1000"].map((n): [string, string] => [n, n])}
          />
          <Button type="submit" kind="primary" busy={calls.loading}>
            {ad("calls.apply")}
          </Button>
        </Form>
        <p>
          <a
            class="button-link"
            href={`/api/admin/calls${query({ ...params, limit: 10_000, format: "csv" })}`}
            download
          >
            {ad("calls.csv")}
          </a>{" "}
          <span class="muted small">{ad("calls.csvHint")}</span>
        </p>
      </Panel>
      <Panel title={ad("calls.title")} wide>
        <ErrorText error={calls.error} />
        {calls.data && <CallsTable calls={calls.data.calls} userName={(id) => emails.get(id) ?? id} />}
      </Panel>
    </div>
  );
}
