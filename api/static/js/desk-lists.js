// The desk's side panel: the day's bookings (filters; refused rows hidden by default) with a booking's
// detail and its cancellation, the shared call-back list, and a vehicle's manifest.
import { api, patch, post } from "./api.js";
import { t, both, pair, escapeHtml as esc } from "./i18n.js";
import { stateOf, statusBadge, vehicleLabel } from "./format.js";
import { $, hhmm } from "./shell.js";

export const CANCEL_REASONS = ["rider", "illness", "weather", "operator", "no_show"];
const ACTIVE = new Set(["requested", "offered", "confirmed", "assigned", "onboard", "completed"]);
const CANCELLED = new Set(["cancelled", "declined", "lapsed", "no_show"]);
const RIDES = new Set(["offered", "confirmed", "assigned", "onboard", "completed"]);
let ctx = { day: () => "", changed: () => {} };
let selected = null;

function shown(b) {
  const s = stateOf(b), filter = $("#bookings-filter").value;
  if (s === "rejected" && !$("#show-refused").checked) return false;
  if (filter === "active") return ACTIVE.has(s);
  if (filter === "cancelled") return CANCELLED.has(s);
  return true;
}

export async function loadBookings() {
  const { data } = await api("GET", `/bookings?day=${ctx.day()}`);
  const rows = data.filter(shown);
  $("#bookings-table tbody").innerHTML = rows.map((b) => {
    const window = b.offer && RIDES.has(stateOf(b))
      ? `${hhmm(b.offer.pickup_window.start)}–${hhmm(b.offer.pickup_window.end)}` : hhmm(b.time);
    const vehicle = RIDES.has(stateOf(b)) ? vehicleLabel(b.vehicle_id || (b.offer && b.offer.vehicle_id)) : "";
    const reason = b.cancellation ? `<br><small>${esc(b.cancellation.label_ja)}</small>` : "";
    return `<tr data-id="${esc(b.id)}" data-state="${esc(stateOf(b))}" class="${selected === b.id ? "selected" : ""}">` +
      `<td>${window}</td><td>${esc(b.rider_name || "")} ${b.rider_name ? "<br>" : ""}${esc(b.pickup.name)} → ${esc(b.dropoff.name)}</td>` +
      `<td>${statusBadge(b)}${reason}</td><td>${esc(vehicle)}</td></tr>`;
  }).join("") || `<tr><td colspan="4">${both("desk.bookings.empty")}</td></tr>`;
}

export async function showDetail(id) {
  selected = id;
  const { data: b } = await api("GET", `/bookings/${id}`);
  ctx.focus && ctx.focus(b);
  const box = $("#booking-detail");
  const cancellable = ["requested", "offered", "confirmed", "assigned"].includes(b.status) && stateOf(b) !== "lapsed";
  let html = `<div><b>${esc(b.rider_name || b.rider_id || "")}</b> ${statusBadge(b)} <small>${esc(b.id)}</small></div>` +
    `<div>${esc(b.pickup.name)} → ${esc(b.dropoff.name)} · ${hhmm(b.time)}</div>`;
  if (b.cancellation) {
    html += `<div>${both("desk.cancel.reason")}: ${esc(b.cancellation.label_ja)}` +
      `${b.cancellation.note ? ` — ${esc(b.cancellation.note)}` : ""}${b.cancellation.late ? ` <small>(${esc(t("desk.cancel.late"))})</small>` : ""}</div>`;
  }
  const changeable = ["offered", "confirmed", "assigned"].includes(stateOf(b));
  if (changeable) {
    html += `<h3>${both("desk.change.title")}</h3><div class="row">` +
      `<input id="change-time" type="time" step="300" value="${hhmm(b.time)}" aria-label="時刻 / Time">` +
      `<label>${both("desk.party.seats")}<input id="change-seats" type="number" min="0" max="8" value="${b.seats}"></label>` +
      `<label>${both("desk.party.wheelchairs")}<input id="change-wheelchairs" type="number" min="0" max="4" value="${b.wheelchairs}"></label>` +
      `<button type="button" id="change-button">${both("desk.change.submit")}</button></div><p id="change-msg"></p>`;
  }
  if (cancellable) {
    const deadline = b.cancel_deadline ? hhmm(b.cancel_deadline) : "";
    html += `<h3>${both("desk.cancel.title")}</h3>` +
      (deadline ? `<div id="cancel-deadline">${both("desk.cancel.deadline", { time: deadline })}` +
        `${b.cancel_late ? ` <b class="error">${esc(pair("desk.cancel.late"))}</b>` : ""}</div>` : "") +
      `<div class="row"><select id="cancel-reason">${CANCEL_REASONS.map((r) =>
        `<option value="${r}">${esc(t(`desk.cancel.reason.${r}`))}</option>`).join("")}</select></div>` +
      `<textarea id="cancel-note" rows="2" maxlength="300" placeholder="${esc(pair("desk.cancel.note"))}"></textarea>` +
      `<div class="row"><button type="button" id="cancel-button" class="danger">${both("desk.cancel.submit")}</button>` +
      `<button type="button" id="detail-close">${both("common.close")}</button></div><p id="cancel-error" class="error"></p>`;
  } else html += `<div class="row"><button type="button" id="detail-close">${both("common.close")}</button></div>`;
  box.innerHTML = html;
  box.hidden = false;
  $("#detail-close").onclick = () => { box.hidden = true; selected = null; loadBookings(); };
  const change = $("#change-button");
  if (change) change.onclick = async () => {
    const body = { time: `${b.service_day}T${$("#change-time").value}:00+09:00`,
      seats: Number($("#change-seats").value), wheelchairs: Number($("#change-wheelchairs").value) };
    try {
      const { data } = await patch(`/bookings/${id}`, body);
      const w = data.offer ? `${hhmm(data.offer.pickup_window.start)}〜${hhmm(data.offer.pickup_window.end)}` : hhmm(data.time);
      $("#change-msg").className = "status-msg";
      $("#change-msg").innerHTML = both("desk.change.done", { window: w });
      ctx.changed();
    } catch (e) {
      $("#change-msg").className = "error";
      $("#change-msg").textContent = `${pair("desk.change.kept")} — ${e.message}`;
    }
  };
  const button = $("#cancel-button");
  if (button) button.onclick = async () => {
    const reason = $("#cancel-reason").value;
    try {
      const { data } = await post(`/bookings/${id}/cancel`, { reason, note: $("#cancel-note").value });
      box.innerHTML = `<p class="status-msg">${both("desk.cancel.done", { reason: data.cancellation.label_ja })}</p>`;
      ctx.changed();
    } catch (e) { $("#cancel-error").textContent = e.message; }
  };
  loadBookings();
}

export async function loadCallbacks() {
  const { data } = await api("GET", "/callbacks");
  $("#callback-list").innerHTML = data.map((c) =>
    `<li data-id="${esc(c.id)}"><span><b>${esc(c.rider_name || "")}</b> ${esc(c.phone || "")}<br>` +
    `<small>${esc(c.summary || "")} ${esc(c.reason_ja || "")}</small></span>` +
    `<button type="button" class="callback-done">${both("desk.callbacks.done")}</button></li>`).join("")
    || `<li class="empty">${both("desk.callbacks.empty")}</li>`;
}

export async function loadManifest() {
  const id = $("#vehicle-select").value;
  if (!id) return;
  const { data } = await api("GET", `/vehicles/${encodeURIComponent(id)}/manifest?day=${ctx.day()}`);
  $("#manifest-table tbody").innerHTML = data.stops.map((s) => {
    const leg = s.booking_id.includes("/") ? ` <small>(${esc(t("desk.manifest.leg", { n: Number(s.booking_id.split("/")[1]) + 1 }))})</small>` : "";
    return `<tr data-booking="${esc(s.booking_id)}"><td>${hhmm(s.arrival)}<br><small>${hhmm(s.window.start)}–${hhmm(s.window.end)}</small></td>` +
      `<td>${both(s.kind === "pickup" ? "desk.manifest.pickup" : "desk.manifest.dropoff")}</td>` +
      `<td>${esc(s.location.name)}</td><td>${esc(s.rider_name || s.booking_id.split("/")[0])}${leg}` +
      `${s.wheelchairs ? ` <small>${esc(t("desk.rider.wheelchair"))}</small>` : ""}${s.notes ? `<br><small>${esc(s.notes)}</small>` : ""}</td></tr>`;
  }).join("") || `<tr><td colspan="4">${both("desk.manifest.empty")}</td></tr>`;
}

export function wireLists(options) {
  ctx = { ...ctx, ...options };
  $("#bookings-filter").onchange = () => loadBookings();
  $("#show-refused").onchange = () => loadBookings();
  $("#vehicle-select").onchange = () => loadManifest().catch(() => {});
  $("#bookings-table").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (row) showDetail(row.dataset.id).catch((err) => { $("#form-error").textContent = err.message; });
  });
  $("#callback-list").addEventListener("click", async (e) => {
    const li = e.target.closest("li[data-id]");
    if (!li || !e.target.closest(".callback-done")) return;
    await post(`/callbacks/${li.dataset.id}/done`).catch((err) => { $("#form-error").textContent = err.message; });
    loadCallbacks().catch(() => {});
  });
}
