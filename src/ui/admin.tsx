/** @jsxImportSource preact */
/** @module The operator console (/ui/admin): providers, models, users, the call log and settings, one tab each. */
import { useEffect, useState } from "preact/hooks";
import { CallsTab } from "./admin/calls";
import { ModelsTab } from "./admin/models";
import { ProvidersTab } from "./admin/providers";
import { SettingsTab } from "./admin/settings";
import { ad } from "./admin/text";
import { UsersTab } from "./admin/users";
import { mountPage } from "./lib/shell";

const TABS = {
  providers: ProvidersTab,
  models: ModelsTab,
  users: UsersTab,
  calls: CallsTab,
  settings: SettingsTab,
};
type Tab = keyof typeof TABS;
const ORDER = Object.keys(TABS) as Tab[];

/** The tab the URL names (`#users`), so a tab can be linked to and survives a reload. */
function tabFromHash(): Tab {
  const name = location.hash.slice(1);
  return name in TABS ? (name as Tab) : "providers";
}

function AdminPage() {
  const [tab, setTab] = useState(tabFromHash);
  useEffect(() => {
    const follow = () => setTab(tabFromHash());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const select = (next: Tab, focus = false) => {
    history.replaceState(null, "", `#${next}`);
    setTab(next);
    if (focus) document.getElementById(`tab-${next}`)?.focus();
  };
  // Arrow keys move between tabs, as the ARIA tabs pattern expects; Tab then goes into the panel.
  const onKeyDown = (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      select(event.key === "Home" ? ORDER[0]! : ORDER[ORDER.length - 1]!, true);
    } else if (step) {
      event.preventDefault();
      select(ORDER[(ORDER.indexOf(tab) + step + ORDER.length) % ORDER.length]!, true);
    }
  };
  const Body = TABS[tab];
  return (
    <div class="page">
      <div class="page-head">
        <h1>{ad("heading")}</h1>
      </div>
      <div class="tabs" role="tablist" aria-label={ad("sections")} onKeyDown={onKeyDown}>
        {ORDER.map((id) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-selected={id === tab}
            aria-controls={`panel-${id}`}
            tabIndex={id === tab ? 0 : -1}
            onClick={() => select(id)}
          >
            {ad(`tab.${id}`)}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        <Body />
      </div>
    </div>
  );
}

mountPage({ page: "admin", adminOnly: true, title: () => ad("title"), render: () => <AdminPage /> });
