// What every console page shares: the catalogue loaded and applied, the staff key dialog (unless a session
// token is stored), the service-day picker and the live-events dot. A page calls startPage({ start }).
import * as i18n from "./i18n.js";
import { api, forgetCredentials, hasCredentials, setApiKey, whenUnauthorised, listen } from "./api.js";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Today (or ``offsetDays`` from today) as YYYY-MM-DD in Asia/Tokyo. */
export function tokyoToday(offsetDays = 0) {
  return new Date(Date.now() + 9 * 3600e3 + offsetDays * 86400e3).toISOString().slice(0, 10);
}

/** "HH:MM" of an ISO time the API gave (already in Tokyo time). */
export const hhmm = (iso) => (iso ? iso.slice(11, 16) : "");

function askKey(message) {
  const dialog = $("#key-dialog");
  if (!dialog) return;
  $("#key-error").textContent = message || "";
  if (!dialog.open) dialog.showModal();
}

/**
 * Start a page: load messages, ask for a key when there are no credentials, then ``start()``.
 * ``probe`` is a GET path the page's role can read (checks the key before the dialog closes).
 */
export async function startPage({ start, probe = "/vehicles" }) {
  await i18n.load();
  i18n.apply();
  whenUnauthorised(() => askKey(i18n.pair("common.key.invalid")));
  const form = $("#key-form");
  let started = false;
  const go = async () => {
    if (started) return;
    started = true;
    try { await start(); } catch (err) { console.error("page start failed", err); throw err; }
  };
  if (form) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      setApiKey($("#api-key-input").value.trim());
      try {
        await api("GET", probe);
        $("#key-dialog").close();
        await go();
      } catch (err) { $("#key-error").textContent = err.message; }
    });
  }
  const change = $("#logout-button");
  if (change) change.onclick = () => { forgetCredentials(); askKey(); };
  if (hasCredentials()) {
    try { await api("GET", probe); await go(); } catch { askKey(); }
  } else askKey();
}

/** Keep the live dot in the top bar green while the event stream is open; ``onEvent(type, data)``. */
export function liveEvents(onEvent) {
  listen(onEvent, (open) => { const dot = $("#live-dot"); if (dot) dot.classList.toggle("on", open); });
}
