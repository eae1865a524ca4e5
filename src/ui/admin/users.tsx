/** @jsxImportSource preact */
/** @module Operator tab: find and create users, change roles, grant credits, and mint redeem codes. */
import { useState } from "preact/hooks";
import type { AdminUserView } from "../../shared/api";
import { call, query } from "../lib/api";
import { Button, type Column, CopyField, DataTable, ErrorText, Notice, Panel } from "../lib/components";
import { Form, SelectField, TextField } from "../lib/fields";
import { useAction, useLoad } from "../lib/hooks";
import { formatTime } from "../lib/i18n";
import { toast } from "../lib/toast";
import { ad } from "./text";

const ROLES = (): [string, string][] => [
  ["user", ad("role.user")],
  ["admin", ad("role.admin")],
];

function CreateUserForm(props: { onDone: () => void }) {
  const create = useAction();
  return (
    <Form
      label={ad("users.create")}
      onSubmit={(values, form) =>
        create.run(async () => {
          const { created } = await call<{ created: boolean }>("POST", "/api/admin/users", {
            email: values.email,
            name: values.name || undefined,
            password: values.password,
            role: values.role,
          });
          form.reset();
          toast(ad(created ? "users.created" : "users.updated", { email: values.email ?? "" }));
          props.onDone();
        })
      }
    >
      <TextField label={ad("users.email")} name="email" type="email" required autocomplete="off" />
      <TextField label={ad("users.name")} name="name" autocomplete="off" />
      <TextField
        label={ad("users.password")}
        name="password"
        type="password"
        required
        autocomplete="new-password"
        hint={ad("users.passwordHint")}
      />
      <SelectField label={ad("users.role")} name="role" options={ROLES()} defaultValue="user" />
      <ErrorText error={create.error} />
      <Button type="submit" kind="primary" busy={create.busy}>
        {ad("users.create")}
      </Button>
    </Form>
  );
}

function GrantForm(props: { user: AdminUserView; onDone: () => void }) {
  const grant = useAction();
  return (
    <details class="limits">
      <summary>
        {ad("grant.open")}
        <span class="visually-hidden"> — {props.user.email}</span>
      </summary>
      <Form
        label={ad("grant.named", { email: props.user.email })}
        onSubmit={(values) =>
          grant.run(async () => {
            await call("POST", "/api/admin/credits/grant", {
              email: props.user.email,
              amount: values.amount,
              note: values.note || undefined,
            });
            toast(ad("grant.done", { amount: values.amount ?? "", email: props.user.email }));
            props.onDone();
          })
        }
      >
        <TextField label={ad("grant.amount")} name="amount" required hint={ad("grant.amountHint")} />
        <TextField label={ad("grant.note")} name="note" />
        <ErrorText error={grant.error} />
        <Button type="submit" kind="primary" busy={grant.busy}>
          {ad("grant.submit")}
        </Button>
      </Form>
    </details>
  );
}

function RoleSelect(props: { user: AdminUserView; onDone: () => void }) {
  const change = useAction();
  return (
    <>
      <SelectField
        label={ad("users.roleOf", { email: props.user.email })}
        hideLabel
        name="role"
        value={props.user.role}
        options={ROLES()}
        disabled={change.busy}
        onChange={(role) =>
          change.run(async () => {
            await call("POST", "/api/admin/users", { email: props.user.email, role });
            toast(ad("users.roleSet", { email: props.user.email, role: ad(`role.${role as "user" | "admin"}`) }));
            props.onDone();
          })
        }
      />
      <ErrorText error={change.error} />
    </>
  );
}

function RedeemCodesPanel() {
  const mint = useAction();
  const [codes, setCodes] = useState<string[]>([]);
  return (
    <Panel title={ad("codes.title")}>
      <p class="muted">{ad("codes.intro")}</p>
      <Form
        inline
        label={ad("codes.title")}
        onSubmit={(values) =>
          mint.run(async () => {
            const result = await call<{ codes: string[] }>("POST", "/api/admin/redeem-codes", {
              amount: values.amount,
              count: Number(values.count) || 1,
              note: values.note || undefined,
            });
            setCodes(result.codes);
          })
        }
      >
        <TextField label={ad("codes.amount")} name="amount" required />
        <TextField label={ad("codes.count")} name="count" type="number" min={1} step="1" defaultValue="1" />
        <Button type="submit" busy={mint.busy}>
          {ad("codes.create")}
        </Button>
      </Form>
      <ErrorText error={mint.error} />
      {codes.length > 0 && (
        <div class="secret">
          <Notice kind="warning">{ad("codes.once")}</Notice>
          {codes.map((code, i) => (
            <CopyField key={code} label={ad("codes.code", { n: i + 1 })} value={code} />
          ))}
        </div>
      )}
    </Panel>
  );
}

/** The users tab: search, the user list with role and grant controls, creating users and redeem codes. */
export function UsersTab() {
  const [search, setSearch] = useState("");
  const users = useLoad(
    () => call<{ users: AdminUserView[] }>("GET", `/api/admin/users${query({ q: search, limit: 200 })}`),
    [search],
  );
  const columns: Column<AdminUserView>[] = [
    { label: ad("users.email"), cell: (u) => <span class="wrap">{u.email}</span> },
    { label: ad("users.name"), cell: (u) => u.name || "—" },
    { label: ad("users.role"), cell: (u) => <RoleSelect user={u} onDone={users.reload} /> },
    { label: ad("users.balance"), numeric: true, cell: (u) => u.credits.balance },
    { label: ad("users.joined"), cell: (u) => formatTime(u.createdAt) },
    { label: ad("actions"), cell: (u) => <GrantForm user={u} onDone={users.reload} /> },
  ];
  return (
    <div class="grid">
      <Panel title={ad("users.title")} wide>
        <Form inline label={ad("users.search")} onSubmit={(values) => setSearch(values.q ?? "")}>
          <TextField label={ad("users.search")} name="q" type="search" defaultValue={search} />
          <Button type="submit">{ad("users.searchButton")}</Button>
        </Form>
        <ErrorText error={users.error} />
        {users.data && (
          <DataTable
            caption={ad("users.title")}
            columns={columns}
            rows={users.data.users}
            rowKey={(u) => u.id}
            empty={ad("users.none")}
          />
        )}
      </Panel>
      <Panel title={ad("users.create")}>
        <CreateUserForm onDone={users.reload} />
      </Panel>
      <RedeemCodesPanel />
    </div>
  );
}
