// Administration: add, disable, enable and reset staff accounts; search the audit log (who, what, when).
import { api } from "./api.js";
import { escapeHtml as esc, load, t } from "./i18n.js";
import { $, startPage } from "./shell.js";
import { wireLogin } from "./staff-login.js";

const when = (epoch) => new Date(epoch * 1000 + 9 * 3600e3).toISOString().slice(0, 16).replace("T", " ");
const done = (key, params) => { $("#admin-status").textContent = t(key, params); $("#admin-error").textContent = ""; };
const failed = (err) => { $("#admin-error").textContent = err.message; };

async function loadAccounts() {
  const { data } = await api("GET", "/admin/accounts");
  $("#accounts").innerHTML = data.map((a) => `<tr class="${a.disabled ? "disabled" : ""}" data-name="${esc(a.name)}">
    <td>${esc(a.name)}</td><td>${esc(a.role)}</td><td>${esc(a.municipality || "")}</td><td>${esc(a.vehicle_id || "")}</td>
    <td>${esc(t(a.disabled ? "admin.disabled" : "admin.enabled"))}</td>
    <td><button type="button" data-act="${a.disabled ? "enable" : "disable"}">${esc(t(a.disabled ? "admin.enable" : "admin.disable"))}</button>
      <button type="button" data-act="reset">${esc(t("admin.reset"))}</button></td></tr>`).join("");
  for (const button of document.querySelectorAll("#accounts button")) {
    const name = button.closest("tr").dataset.name;
    button.onclick = () => act(name, button.dataset.act).catch(failed);
  }
}

async function act(name, what) {
  if (what === "reset") {
    const password = prompt(t("admin.reset_prompt", { name }));
    if (!password) return;
    await api("POST", `/admin/accounts/${encodeURIComponent(name)}/reset`, { body: { password } });
    done("admin.reset_done", { name });
  } else {
    await api("PATCH", `/admin/accounts/${encodeURIComponent(name)}`, { body: { disabled: what === "disable" } });
    done(what === "disable" ? "admin.disabled_done" : "admin.enabled_done", { name });
  }
  await Promise.all([loadAccounts(), loadAudit()]);
}

async function add(e) {
  e.preventDefault();
  const body = { name: $("#add-name").value.trim(), password: $("#add-password").value, role: $("#add-role").value };
  if ($("#add-municipality").value.trim()) body.municipality = $("#add-municipality").value.trim();
  if ($("#add-vehicle").value.trim()) body.vehicle_id = $("#add-vehicle").value.trim();
  try {
    await api("POST", "/admin/accounts", { body });
    $("#add-password").value = "";
    done("admin.added", { name: body.name });
    await Promise.all([loadAccounts(), loadAudit()]);
  } catch (err) { failed(err); }
}

async function loadAudit(e) {
  if (e) e.preventDefault();
  const q = new URLSearchParams({ limit: "200" });
  for (const [field, id] of [["who", "audit-who"], ["action", "audit-action"], ["target", "audit-target"]]) {
    if ($(`#${id}`).value.trim()) q.set(field, $(`#${id}`).value.trim());
  }
  const { data } = await api("GET", `/audit?${q}`);
  $("#audit").innerHTML = data.entries.map((x) => `<tr><td>${esc(when(x.at))}</td><td>${esc(x.who)}</td>
    <td>${esc(x.action)}${x.ok ? "" : " ✗"}</td><td>${esc(x.target)}</td>
    <td class="change">${esc(JSON.stringify(x.before))} → ${esc(JSON.stringify(x.after))}</td></tr>`).join("");
}

async function start() { await Promise.all([loadAccounts(), loadAudit()]); }

function wire() {
  $("#add-form").addEventListener("submit", add);
  $("#audit-form").addEventListener("submit", (e) => loadAudit(e).catch(failed));
  wireLogin();
  startPage({ start, probe: "/admin/accounts" });
}

load().then(wire);
