// Staff log-in for the dispatcher, driver and run-sheet pages: name and password (POST /auth/login) give a
// session token kept in sessionStorage (the shared api.js sends it); an API key still works in the same dialog.
import { api, SESSION_KEY } from "./api.js";
import { $ } from "./shell.js";

/** Wire #login-form (name, password); a successful log-in reloads the page with the session in place. */
export function wireLogin() {
  const form = $("#login-form");
  if (!form) return;
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
