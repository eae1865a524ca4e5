/** @jsxImportSource preact */
/**
 * @module "My agents" (/ui/agent.html): register an agent (its key and installer command shown once, its onboarding
 * run linked), then list, retag, disable or enable, rotate and delete the caller's agents.
 */
import { useState } from "preact/hooks";
import type { PublicUser } from "../shared/api";
import { Badge, Button, type Column, ConfirmButton, CopyField, DataTable, ErrorText, Panel } from "./lib/components";
import { Form, TextField } from "./lib/fields";
import { type Loaded, useAction, useLoad } from "./lib/hooks";
import { formatCount, formatTime } from "./lib/i18n";
import { platform } from "./lib/runs/api";
import { TagList } from "./lib/runs/components";
import { splitTags, viewPath } from "./lib/runs/format";
import { IdentityPanel, useIdentity } from "./lib/runs/identity";
import { rt } from "./lib/runs/text";
import type { AgentItem, CreatedAgent } from "./lib/runs/wire";
import "./lib/runs/runs.css";
import { mountPage } from "./lib/shell";
import { toast } from "./lib/toast";

/** The OpenClaw connector's installer (§8.1), pointed at this hub; the key comes from the environment, not the line. */
const installCommand = () =>
  `npx --yes github:sunbao/aihub.ah32.com aihub-openclaw --apiKey "$AIHUB_AGENT_API_KEY" --baseUrl ${location.origin}`;

function AgentsPage(props: { user: PublicUser | undefined }) {
  const identity = useIdentity(props.user);
  return (
    <div class="page">
      <div class="page-head">
        <h1>{rt("agents.title")}</h1>
      </div>
      <div class="grid">
        <IdentityPanel identity={identity} />
        {identity.credentials && <OwnAgents key={identity.id} />}
      </div>
    </div>
  );
}

function OwnAgents() {
  const [round, setRound] = useState(0);
  const reload = () => setRound((n) => n + 1);
  const agents = useLoad(() => platform<{ agents: AgentItem[] }>("GET", "/v1/agents"), [round]);
  return (
    <>
      <RegisterPanel onCreated={reload} />
      <AgentsPanel agents={agents} onChange={reload} />
    </>
  );
}

function RegisterPanel(props: { onCreated: () => void }) {
  const action = useAction();
  const [created, setCreated] = useState<CreatedAgent>();
  return (
    <Panel title={rt("agents.create")}>
      <Form
        onSubmit={(values, form) =>
          action.run(async () => {
            const body = {
              name: values.name ?? "",
              description: values.description ?? "",
              tags: splitTags(values.tags ?? ""),
            };
            setCreated(await platform<CreatedAgent>("POST", "/v1/agents", body));
            form.reset();
            toast(rt("agents.registered", { name: body.name || "agent" }));
            props.onCreated();
          })
        }
      >
        <TextField label={rt("agents.name")} name="name" autocomplete="off" />
        <TextField label={rt("agents.description")} name="description" autocomplete="off" />
        <TextField label={rt("agents.tags")} name="tags" autocomplete="off" hint={rt("agents.tagsHint")} />
        <ErrorText error={action.error} />
        <Button type="submit" kind="primary" busy={action.busy}>
          {rt("agents.submit")}
        </Button>
      </Form>
      {created && (
        <div class="secret">
          <CopyField label={rt("agents.key")} value={created.api_key} hint={rt("agents.keyOnce")} />
          <CopyField label={rt("agents.install")} value={installCommand()} hint={rt("agents.installHint")} />
          <p>
            {rt("agents.onboarding")}:{" "}
            <a href={viewPath("live", created.onboarding.run_id)} class="mono">
              {created.onboarding.run_id}
            </a>
            <br />
            <small class="muted">{rt("agents.onboardingHint")}</small>
          </p>
        </div>
      )}
    </Panel>
  );
}

function AgentsPanel(props: { agents: Loaded<{ agents: AgentItem[] }>; onChange: () => void }) {
  const action = useAction();
  const [rotated, setRotated] = useState<{ name: string; key: string }>();
  const path = (agent: AgentItem, rest = "") => `/v1/agents/${agent.id}${rest}`;
  // Every row action reports through one place, then reloads the list so counts and statuses stay true.
  const act = (work: () => Promise<unknown>, done: string) =>
    action.run(work).then((ok) => {
      if (!ok) return;
      toast(done);
      props.onChange();
    });
  const columns: Column<AgentItem>[] = [
    {
      label: rt("agents.name"),
      cell: (agent) => (
        <span class="stack">
          <strong>{agent.name}</strong>
          {agent.description && <span class="muted wrap">{agent.description}</span>}
          <span class="mono small muted">{agent.public_ref}</span>
        </span>
      ),
    },
    {
      label: rt("agents.statusLabel"),
      cell: (agent) => (
        <Badge tone={agent.status === "enabled" ? "ok" : "muted"}>{rt(`agents.status.${agent.status}`)}</Badge>
      ),
    },
    {
      label: rt("agents.tags"),
      cell: (agent) => (
        <div class="stack">
          <TagList tags={agent.tags} />
          <div class="tags-editor">
            <Form
              inline
              onSubmit={(values) =>
                act(
                  () => platform("PUT", path(agent, "/tags"), { tags: splitTags(values.tags ?? "") }),
                  rt("agents.tagsSaved", { name: agent.name }),
                )
              }
            >
              <TextField
                label={rt("agents.editTags", { name: agent.name })}
                hideLabel
                name="tags"
                defaultValue={agent.tags.join(", ")}
              />
              <Button type="submit" label={`${rt("agents.saveTags")}: ${agent.name}`}>
                {rt("agents.saveTags")}
              </Button>
            </Form>
          </div>
        </div>
      ),
    },
    {
      label: rt("agents.lastSeen"),
      cell: (agent) => (agent.last_seen_at ? formatTime(agent.last_seen_at) : rt("agents.never")),
    },
    { label: rt("agents.leases"), numeric: true, cell: (agent) => formatCount(agent.active_leases) },
    { label: rt("agents.completed"), numeric: true, cell: (agent) => formatCount(agent.completed_work_items) },
    {
      label: rt("agents.actions"),
      cell: (agent) => (
        <div class="row-actions">
          {agent.status === "enabled" ? (
            <Button
              label={`${rt("agents.disable")}: ${agent.name}`}
              onClick={() =>
                act(() => platform("POST", path(agent, "/disable")), rt("agents.disabled", { name: agent.name }))
              }
            >
              {rt("agents.disable")}
            </Button>
          ) : (
            <Button
              label={`${rt("agents.enable")}: ${agent.name}`}
              onClick={() =>
                act(
                  () => platform("PATCH", path(agent), { status: "enabled" }),
                  rt("agents.enabled", { name: agent.name }),
                )
              }
            >
              {rt("agents.enable")}
            </Button>
          )}
          <Button
            label={`${rt("agents.rotate")}: ${agent.name}`}
            onClick={() =>
              action.run(async () => {
                const { api_key } = await platform<{ api_key: string }>("POST", path(agent, "/keys/rotate"));
                setRotated({ name: agent.name, key: api_key });
              })
            }
          >
            {rt("agents.rotate")}
          </Button>
          <ConfirmButton
            label={`${rt("agents.delete")}: ${agent.name}`}
            onConfirm={() => act(() => platform("DELETE", path(agent)), rt("agents.deleted", { name: agent.name }))}
          >
            {rt("agents.delete")}
          </ConfirmButton>
        </div>
      ),
    },
  ];
  return (
    <Panel title={rt("agents.list")} wide>
      <ErrorText error={props.agents.error ?? action.error} />
      {rotated && (
        <div class="secret">
          <CopyField
            label={rt("agents.rotated", { name: rotated.name })}
            value={rotated.key}
            hint={rt("agents.keyOnce")}
          />
        </div>
      )}
      {props.agents.data && (
        <DataTable
          caption={rt("agents.list")}
          columns={columns}
          rows={props.agents.data.agents}
          rowKey={(agent) => agent.id}
          empty={rt("agents.none")}
        />
      )}
    </Panel>
  );
}

mountPage({
  page: "agents",
  public: true,
  title: () => rt("agents.title"),
  render: (user) => <AgentsPage user={user} />,
});
