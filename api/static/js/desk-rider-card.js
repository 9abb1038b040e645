// The rider card of the present call: edit the registry entry (PATCH, kept in the edit history), see the
// rider's upcoming and past bookings and open one to cancel it.
import { api, idempotencyKey, patch, post } from "./api.js";
import { call, chooseRider, onRider } from "./call.js";
import { t, both, escapeHtml as esc } from "./i18n.js";
import { fareClass, statusBadge } from "./format.js";
import { $, hhmm } from "./shell.js";

const FARE_CLASSES = ["resident", "senior", "disabled", "student", "visitor"];
let openBooking = () => {};
let placed = () => {};

function bookingLine(b, withOpen) {
  return `<li data-id="${esc(b.id)}">${esc(b.time.slice(0, 10))} ${hhmm(b.time)} ${esc(b.pickup.name)} → ` +
    `${esc(b.dropoff.name)} ${statusBadge(b)}` +
    `${b.cancellation ? ` <small>${esc(b.cancellation.label_ja)}</small>` : ""}` +
    `${withOpen ? ` <button type="button" class="open-booking">${both("desk.booking.open")}</button>` : ""}` +
    `${b.open_return && b.round_trip_leg === "outbound" && ["confirmed", "assigned", "onboard", "completed"].includes(b.state)
      ? ` <button type="button" class="book-return" data-trip="${esc(b.round_trip_id)}">${both("desk.return.book")}</button>` : ""}</li>`;
}

async function fill(rider) {
  $("#edit-name").value = rider.name;
  $("#edit-kana").value = rider.kana || "";
  $("#edit-phone").value = rider.phone;
  $("#edit-fare").value = rider.fare_class;
  const m = rider.mobility || {};
  $("#edit-wheelchair").checked = !!(m.wheelchair || rider.wheelchair);
  $("#edit-walker").checked = !!m.walker;
  $("#edit-door").checked = !!m.door_help;
  $("#edit-care").value = rider.care_notes || "";
  $("#edit-active").checked = rider.active !== false;
  const contact = rider.emergency_contact;
  $("#rider-facts").innerHTML = [
    rider.registered_on ? esc(t("desk.rider.registered_on", { day: rider.registered_on })) : "",
    esc(t("desk.rider.counts", { no_show: rider.no_show_count || 0, late: rider.late_cancel_count || 0 })),
    rider.home ? `${esc(t("desk.rider.home"))}: ${esc(rider.home.name)}` : "",
    contact ? `${esc(t("desk.rider.emergency"))}: ${esc(contact.name)} ${esc(contact.relation || "")} ${esc(contact.phone)}` : "",
  ].filter(Boolean).join(" · ");
  const [bookings, edits] = await Promise.all([api("GET", `/riders/${rider.id}/bookings`), api("GET", `/riders/${rider.id}/history`)]);
  const now = new Date().toISOString();
  // an open return is booked on the day of its outbound, which may already have begun: keep it in view
  const today = now.slice(0, 10);
  const upcoming = bookings.data.filter((b) => new Date(b.time).toISOString() >= now || (b.open_return && b.time >= today)).reverse();
  const past = bookings.data.filter((b) => !upcoming.includes(b));
  $("#rider-upcoming").innerHTML = upcoming.map((b) => bookingLine(b, true)).join("") || `<li>${both("desk.rider.no_bookings")}</li>`;
  $("#rider-past").innerHTML = past.map((b) => bookingLine(b, false)).join("") || `<li>${both("desk.rider.no_bookings")}</li>`;
  await loadStanding(rider);
  $("#rider-edits").innerHTML = edits.data.map((e) =>
    `<li>${esc(e.at.slice(0, 16).replace("T", " "))} <small>${esc(e.by)}</small> ${esc(Object.keys(e.changes).join(", "))}</li>`).join("");
}

function seriesLine(s) {
  const next = s.dates.filter((d) => d.state !== "skipped").slice(0, 3)
    .map((d) => `${d.date.slice(5)}（${d.weekday_ja}）${t(`desk.standing.state.${d.state}`)}`).join("、");
  const live = s.status !== "ended";
  return `<li data-series="${esc(s.id)}"><b>${esc(s.pattern_ja)} ${esc(s.time)}</b>${s.return_time ? ` / ${esc(s.return_time)}` : ""} ` +
    `${esc(t(`desk.standing.status.${s.status}`))} <small>${esc(s.start_date)}〜${esc(s.end_date || "")}</small><br>` +
    `<small>${esc(next)}</small>` + (live ? `<br>` +
    `<button type="button" data-op="${s.status === "paused" ? "resume" : "pause"}">${both(s.status === "paused" ? "desk.standing.resume" : "desk.standing.pause")}</button> ` +
    `<input type="date" class="skip-date" aria-label="skip"> <button type="button" data-op="skip">${both("desk.standing.skip")}</button> ` +
    `<button type="button" data-op="end">${both("desk.standing.end_now")}</button>` : "") + `</li>`;
}

async function loadStanding(rider) {
  const { data } = await api("GET", `/standing-bookings?rider_id=${encodeURIComponent(rider.id)}`);
  $("#rider-standing").innerHTML = data.map(seriesLine).join("") || `<li>${both("desk.standing.none")}</li>`;
}

async function seriesAction(li, op) {
  const body = op === "skip" ? { date: li.querySelector(".skip-date").value } : op === "end" ? {} : undefined;
  try {
    await post(`/standing-bookings/${li.dataset.series}/${op}`, body);
    await fill(call.rider);
  } catch (e) { $("#rider-edit-error").textContent = e.message; }
}

async function save() {
  const rider = call.rider;
  if (!rider) return;
  const body = {
    name: $("#edit-name").value.trim(), kana: $("#edit-kana").value.trim(), phone: $("#edit-phone").value.trim(),
    fare_class: $("#edit-fare").value, care_notes: $("#edit-care").value, active: $("#edit-active").checked,
    mobility: { wheelchair: $("#edit-wheelchair").checked, walker: $("#edit-walker").checked, door_help: $("#edit-door").checked },
  };
  $("#rider-edit-error").textContent = "";
  try {
    const { data } = await patch(`/riders/${rider.id}`, body);
    // the same rider, edited by the operator; a deactivated rider is no longer bookable on this call
    if (call.rider && call.rider.id === data.id) chooseRider(data.active === false ? null : data);
    $("#rider-dialog").close();
    $("#booking-status-msg").innerHTML = both("desk.rider.saved");
  } catch (e) { $("#rider-edit-error").textContent = e.message; }
}

function addButton(rider) {
  const box = $("#call-rider");
  if (!rider || box.querySelector(".card-button")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.id = "rider-open";
  button.className = "card-button";
  button.innerHTML = both("desk.rider.open");
  button.onclick = async () => { $("#rider-dialog").showModal(); await fill(call.rider); };
  box.prepend(button);
}

async function bookReturn(tripId) {
  try {
    const { data } = await post(`/round-trips/${tripId}/return`, {}, { "Idempotency-Key": idempotencyKey("console-ret") });
    $("#rider-dialog").close();
    placed(data);
  } catch (e) { $("#rider-edit-error").textContent = e.message; }
}

export function wireRiderCard(options) {
  openBooking = options.openBooking;
  placed = options.placed;
  $("#edit-fare").innerHTML = FARE_CLASSES.map((c) => `<option value="${c}">${esc(fareClass(c))}</option>`).join("");
  $("#rider-save").onclick = save;
  $("#rider-close").onclick = () => $("#rider-dialog").close();
  $("#rider-standing").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-op]"), li = e.target.closest("li[data-series]");
    if (button && li) seriesAction(li, button.dataset.op);
  });
  $("#rider-upcoming").addEventListener("click", (e) => {
    const li = e.target.closest("li[data-id]");
    const ret = e.target.closest(".book-return");
    if (ret) { bookReturn(ret.dataset.trip); return; }
    if (!li || !e.target.closest(".open-booking")) return;
    $("#rider-dialog").close();
    openBooking(li.dataset.id);
  });
  onRider(addButton);
}
