// The one way console pages talk to the API. A staff session token (sessionStorage "kanraSession") goes as
// "Authorization: Bearer <token>"; otherwise the API key (sessionStorage "kanraApiKey") as X-API-Key.
// Errors become ApiError with a Japanese message from the catalogue and the server's reason second.
import { t, en } from "./i18n.js";

export const SESSION_KEY = "kanraSession";
export const API_KEY = "kanraApiKey";

export function authHeaders() {
  const token = sessionStorage.getItem(SESSION_KEY);
  if (token) return { Authorization: `Bearer ${token}` };
  const key = sessionStorage.getItem(API_KEY);
  return key ? { "X-API-Key": key } : {};
}

export function hasCredentials() { return Object.keys(authHeaders()).length > 0; }
export function setApiKey(key) { sessionStorage.setItem(API_KEY, key); }
export function forgetCredentials() { sessionStorage.removeItem(SESSION_KEY); sessionStorage.removeItem(API_KEY); }

const STATUS_MESSAGE = { 401: "common.error.unauthorised", 403: "common.error.forbidden", 404: "common.error.not_found",
  409: "common.error.conflict", 422: "common.error.invalid", 429: "common.error.too_many", 503: "common.error.busy" };

/** An API refusal: ``status``, ``field`` and ``reason`` of the first error item, ``message`` in Japanese. */
export class ApiError extends Error {
  constructor(status, detail) {
    const first = (detail && detail[0]) || {};
    const key = STATUS_MESSAGE[status] || "common.error.http";
    const params = { field: first.field || "", status };
    const ja = first.reason_ja || t(key, params);  // the server's Japanese reason where it gave one
    super(`${ja}${first.reason ? ` — ${first.reason}` : ""}`);
    this.status = status;
    this.field = first.field || null;
    this.reason = first.reason || null;
    this.detail = detail || [];
    this.ja = ja;
    this.en = first.reason || en(key, params);
  }
}

let onUnauthorised = null;
/** Called (once per 401) so the page can ask for a key or a login again. */
export function whenUnauthorised(handler) { onUnauthorised = handler; }

/**
 * Call the API. ``options.body`` is sent as JSON, ``options.headers`` are added.
 * @returns {Promise<{status: number, data: any, headers: Headers}>}
 */
export async function api(method, path, options = {}) {
  const headers = { ...authHeaders(), ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch (err) {
    const e = new ApiError(0, [{ field: "network", reason: String(err.message || err) }]);
    e.message = `${t("common.error.network")} — ${err.message || err}`;
    throw e;
  }
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (!res.ok) {
    const error = new ApiError(res.status, data && data.detail);
    if (res.status === 401 && onUnauthorised) onUnauthorised(error);
    throw error;
  }
  return { status: res.status, data, headers: res.headers };
}

export const get = (path) => api("GET", path);
export const post = (path, body, headers) => api("POST", path, { body, headers });
export const patch = (path, body) => api("PATCH", path, { body });

/** A fresh idempotency key for a booking request. */
export function idempotencyKey(prefix = "console") {
  const random = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  return `${prefix}-${random}`;
}

// A request whose answer never came (a dropped line, a 503 during a failover) is sent again with the same
// key, so the server answers with the booking it may already have taken instead of taking it twice.
const pendingKeys = new Map();

/** The idempotency key of ``body`` under ``scope``: the same until :func:`settledKey` or a changed body. */
export function keyFor(scope, body) {
  const signature = JSON.stringify(body);
  let entry = pendingKeys.get(scope);
  if (!entry || entry.signature !== signature) {
    entry = { signature, key: idempotencyKey(scope) };
    pendingKeys.set(scope, entry);
  }
  return entry.key;
}

/** The request under ``scope`` got its answer: the next one gets a new key. */
export function settledKey(scope) { pendingKeys.delete(scope); }

/** Server-sent events over fetch (so credentials stay in headers); ``onEvent(type, data)`` per event. */
export async function listen(onEvent, onState) {
  for (;;) {
    try {
      const res = await fetch("/events", { headers: { ...authHeaders(), Accept: "text/event-stream" } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      onState && onState(true);
      const reader = res.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const parts = buffer.split("\n\n");
        buffer = parts.pop();
        for (const part of parts) {
          let type = "message", data = "";
          for (const line of part.split("\n")) {
            if (line.startsWith("event:")) type = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (data) {
            let parsed = data;
            try { parsed = JSON.parse(data); } catch { /* plain text */ }
            onEvent(type, parsed);
          }
        }
      }
    } catch { /* reconnect below */ }
    onState && onState(false);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
