/** @jsxImportSource preact */
/**
 * @module Who the "my agents" and "publish" pages act as: the signed-in hub account (no key needed), else a platform
 * user key the visitor pastes or creates, kept for this tab only.
 */
import { useState } from "preact/hooks";
import type { PublicUser } from "../../../shared/api";
import { Button, CopyField, ErrorText, Panel } from "../components";
import { Form, TextField } from "../fields";
import { useAction } from "../hooks";
import { actAs, type Credentials, platform } from "./api";
import { keepTabKey, tabKey } from "./key-store";
import { rt } from "./text";

/** The identity of a page: its credentials (undefined until the visitor has one) and how to change the key. */
export interface Identity {
  credentials: Credentials | undefined;
  /** Identifies the credentials, so content keyed by it reloads when they change. */
  id: string;
  user: PublicUser | undefined;
  setKey(key: string | null): void;
}

/** Picks the credentials for user calls: the session when signed in, else the tab's key; applies them to the client. */
export function useIdentity(user: PublicUser | undefined): Identity {
  const [key, setKeyState] = useState(tabKey);
  const credentials: Credentials | undefined = user ? { kind: "session" } : key ? { kind: "key", key } : undefined;
  // Set while rendering, so the calls children make in their effects already carry them.
  actAs(credentials);
  return {
    credentials,
    id: user ? `session:${user.id}` : key ? `key:${key.slice(0, 12)}` : "none",
    user,
    setKey(next) {
      keepTabKey(next);
      setKeyState(next);
    },
  };
}

/** Says whom the page acts as; without a sign-in or a key, offers to sign in, paste a key or create a user. */
export function IdentityPanel(props: { identity: Identity }) {
  const { identity } = props;
  const [created, setCreated] = useState<string>();
  const create = useAction();
  if (identity.user)
    return (
      <Panel title={rt("who.title")}>
        <p>{rt("who.session", { email: identity.user.email })}</p>
      </Panel>
    );
  if (identity.credentials)
    return (
      <Panel
        title={rt("who.title")}
        actions={<Button onClick={() => identity.setKey(null)}>{rt("who.forget")}</Button>}
      >
        <p>{rt("who.key")}</p>
        {created && <CopyField label={rt("who.created")} value={created} hint={rt("who.createdHint")} />}
      </Panel>
    );
  return (
    <Panel title={rt("who.title")}>
      <div class="identity-choices">
        <p>
          {rt("who.none")}{" "}
          <a class="button-link" href="/ui/account">
            {rt("who.signIn")}
          </a>
        </p>
        <Form onSubmit={(values) => values.key && identity.setKey(values.key)}>
          <TextField
            label={rt("who.paste")}
            name="key"
            type="password"
            autocomplete="off"
            hint={rt("who.pasteHint")}
            required
          />
          <Button type="submit" kind="primary">
            {rt("who.use")}
          </Button>
        </Form>
        <div class="stack">
          <Button
            busy={create.busy}
            onClick={() =>
              create.run(async () => {
                const made = await platform<{ api_key: string }>("POST", "/v1/users");
                setCreated(made.api_key);
                identity.setKey(made.api_key);
              })
            }
          >
            {rt("who.create")}
          </Button>
          <small class="muted">{rt("who.createHint")}</small>
        </div>
        <ErrorText error={create.error} />
      </div>
    </Panel>
  );
}
