// Staff log-in for the dispatcher, driver and run-sheet pages: name and password (POST /auth/login) give a
// session token kept in sessionStorage (the shared api.js sends it); an API key still works in the same dialog.
import { api, SESSION_KEY } from "./api.js";
import { $ } from "./shell.js";

// The one staff log-in dialog of these pages (a staff account, or an API key below it); startPage opens it.
const DIALOG = `
<dialog id="key-dialog">
  <form id="login-form">
    <h2 data-i18n="dispatch.login.title"></h2>
    <input id="login-name" autocomplete="username" data-i18n-placeholder="dispatch.login.name">
    <input id="login-password" type="password" autocomplete="current-password" data-i18n-placeholder="dispatch.login.password">
    <p id="login-error" class="error"></p>
    <button type="submit" id="login-button" class="primary" data-i18n="dispatch.login.submit"></button>
  </form>
  <form method="dialog" id="key-form">
    <p data-i18n="common.key.prompt"></p>
    <input id="api-key-input" type="password" autocomplete="off" required>
    <p id="key-error" class="error"></p>
    <button type="submit" id="api-key-save" data-i18n="common.key.start"></button>
  </form>
</dialog>`;

/** Add the log-in dialog to the page and wire #login-form (name, password); a successful log-in reloads
 * the page with the session in place. Call before startPage, which translates and opens it. */
export function wireLogin() {
  if (!$("#key-dialog")) document.body.insertAdjacentHTML("beforeend", DIALOG);
  const form = $("#login-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const { data } = await api("POST", "/auth/login",
        { body: { name: $("#login-name").value.trim(), password: $("#login-password").value } });
      sessionStorage.setItem(SESSION_KEY, data.token);
      location.reload();
    } catch (err) { $("#login-error").textContent = err.message; }
  });
}
