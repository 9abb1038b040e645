// The driver's phone page: today's manifest of the driver's own vehicle, the next stop on top, and the stop's
// buttons in the order it allows (pickup: 到着 then 乗車 or 不在; drop-off: 到着 then 降車; a break (休憩): 休憩開始
// then 休憩終了, no rider buttons). Every tap is kept in
// an outbox (localStorage) with its own Idempotency-Key and sent until the server answers, so a tap is never
// lost when the network drops and never applied twice when it comes back.
import { api, idempotencyKey } from "./api.js";
import { escapeHtml as esc, load, t, both } from "./i18n.js";
import { $, hhmm, startPage, tokyoToday } from "./shell.js";
import { wireLogin } from "./staff-login.js";

const state = { vehicle: null, day: null, stops: [], sending: false };
const OUTBOX = "kanraDriverOutbox";
const arrivedKey = () => `kanraArrived:${state.vehicle}:${state.day}`;

const arrivedSet = () => new Set(JSON.parse(localStorage.getItem(arrivedKey()) || "[]"));
function markArrived(stopId) {
  const set = arrivedSet(); set.add(stopId);
  localStorage.setItem(arrivedKey(), JSON.stringify([...set]));
}
const outbox = () => JSON.parse(localStorage.getItem(OUTBOX) || "[]");
const saveOutbox = (items) => localStorage.setItem(OUTBOX, JSON.stringify(items));
const stopId = (s) => `${s.booking_id}|${s.kind}`;

function tokyoIso(ms) {
  return new Date(ms + 9 * 3600e3).toISOString().slice(0, 19) + "+09:00";
}

const minutesOf = (s) => Math.round((new Date(s.departure) - new Date(s.arrival)) / 60000);
const breakTimes = (s) => t("driver.break_times", { start: hhmm(s.arrival), end: hhmm(s.departure), min: minutesOf(s) });
const kindText = (s) => t(s.kind === "break" ? "driver.kind.break" : s.kind === "pickup" ? "driver.kind.pickup"
  : "driver.kind.dropoff");

function renderBreak(next, box, buttons) {
  const started = arrivedSet().has(stopId(next));
  box.className = "next-stop break";
  box.innerHTML = `<div class="kind break">${both(started ? "driver.break_on" : "driver.kind.break")}</div>` +
    `<div class="time">${esc(breakTimes(next))}</div>` +
    `<div class="place">${esc(next.anywhere ? t("driver.break_anywhere") : next.location.name || "")}</div>` +
    `<div class="window"><small>${esc(t("dispatch.break.window", { start: hhmm(next.window.start),
      end: hhmm(next.window.end) }))}</small></div>`;
  (started ? buttons.break_end : buttons.break_start).hidden = false;
}

function render() {
  const next = state.stops[0];
  const box = $("#next-stop");
  const buttons = { arrived: $("#arrived-button"), boarded: $("#boarded-button"), dropped: $("#dropped-button"),
    no_show: $("#no-show-button"), break_start: $("#break-start-button"), break_end: $("#break-end-button") };
  for (const b of Object.values(buttons)) b.hidden = true;
  if (!next) {
    box.className = "next-stop none";
    box.innerHTML = both("driver.no_stops");
  } else if (next.kind === "break") {
    renderBreak(next, box, buttons);
  } else {
    const pickup = next.kind === "pickup";
    const arrived = arrivedSet().has(stopId(next));
    const party = t("dispatch.party", { seats: next.seats ?? 0, chairs: next.wheelchairs ?? 0 });
    box.className = "next-stop";
    box.innerHTML = `<div class="kind ${pickup ? "pickup" : "dropoff"}">${both(pickup ? "driver.kind.pickup" : "driver.kind.dropoff")}</div>` +
      `<div class="place">${esc(next.location.name || next.location.place || "")}</div>` +
      `<div class="time">${esc(t("dispatch.planned"))} ${hhmm(next.arrival)} <small>(${esc(t("dispatch.window"))} ${hhmm(next.window.start)}–${hhmm(next.window.end)})</small></div>` +
      `<div class="rider">${esc(next.rider_name || next.booking_id)} · ${esc(party)}${next.wheelchairs ? " ♿" : ""}</div>` +
      (next.notes ? `<div class="notes">${esc(next.notes)}</div>` : "") +
      (next.rider_phone ? `<a class="tel" href="tel:${esc(next.rider_phone.replace(/[^0-9+]/g, ""))}"> ☎ ${esc(next.rider_phone)}</a>` : "");
    if (!arrived) buttons.arrived.hidden = false;
    else if (pickup) { buttons.boarded.hidden = false; buttons.no_show.hidden = false; }
    else buttons.dropped.hidden = false;
  }
  $("#later-stops").innerHTML = state.stops.slice(1).map((s) => s.kind === "break"
    ? `<li class="break">${hhmm(s.arrival)} ${esc(kindText(s))} · ${esc(breakTimes(s))}` +
      `${s.anywhere ? "" : ` · ${esc(s.location.name || "")}`}</li>`
    : `<li>${hhmm(s.arrival)} ${esc(kindText(s))} · ` +
      `${esc(s.location.name || "")} · ${esc(s.rider_name || s.booking_id)}</li>`).join("");
  const pending = outbox().length;
  $("#sending").textContent = pending ? t("driver.sending", { n: pending }) : "";
}

async function loadManifest() {
  const { data } = await api("GET", `/vehicles/${state.vehicle}/manifest?day=${state.day}`);
  state.stops = data.stops;
  $("#vehicle-name").textContent = `${data.label || state.vehicle} · ${state.day}`;
  render();
}

/** Send what the outbox holds, oldest first; a network failure or a busy server keeps the tap for a retry. */
async function flush() {
  if (state.sending) return;
  state.sending = true;
  try {
    for (;;) {
      const [item] = outbox();
      if (!item) break;
      try {
        const res = await api("POST", `/vehicles/${state.vehicle}/events`,
          { body: item.body, headers: { "Idempotency-Key": item.key } });
        if (res.status === 202) throw Object.assign(new Error("pending"), { status: 202 });
        if (item.body.type === "arrived" || item.body.type === "break_start") markArrived(item.stop);
        $("#driver-error").textContent = "";
      } catch (err) {
        if (err.status === 0 || err.status === 202 || err.status === 503 || err.status === 429) {
          render();
          setTimeout(() => { state.sending = false; flush(); }, 2000);
          return;
        }
        $("#driver-error").textContent = err.message;  // refused (409/422): the tap is dropped, the reason shown
      }
      saveOutbox(outbox().slice(1));
      await loadManifest().catch(() => {});
    }
  } finally { state.sending = false; }
  render();
}

function tap(type) {
  const next = state.stops[0];
  const body = { type, at: tokyoIso(Date.now()) };
  let id = "shift";
  if (next && (type === "break_start" || type === "break_end")) {
    body.break_id = next.break_id;
    id = stopId(next);
  } else if (next && type !== "shift_start" && type !== "shift_end") {
    body.booking_id = next.booking_id;
    if (type === "arrived") body.stop = next.kind;
    id = stopId(next);
  }
  saveOutbox([...outbox(), { key: idempotencyKey(`drv-${state.vehicle}`), body, stop: id }]);
  render();
  flush();
}

async function start() {
  const me = (await api("GET", "/auth/me")).data;
  const params = new URLSearchParams(location.search);
  state.vehicle = me.vehicle_id || params.get("vehicle");
  if (!state.vehicle) { $("#driver-error").textContent = t("driver.no_vehicle"); return; }
  $("#runsheet-link").href = `/runsheet?vehicle=${state.vehicle}&day=${state.day}`;
  await loadManifest();
  flush();
  setInterval(() => loadManifest().catch(() => {}), 20000);
}

function wire() {
  state.day = new URLSearchParams(location.search).get("day") || tokyoToday(0);
  $("#arrived-button").onclick = () => tap("arrived");
  $("#boarded-button").onclick = () => tap("boarded");
  $("#dropped-button").onclick = () => tap("dropped");
  $("#no-show-button").onclick = () => tap("no_show");
  $("#break-start-button").onclick = () => tap("break_start");
  $("#break-end-button").onclick = () => tap("break_end");
  $("#shift-start-button").onclick = () => tap("shift_start");
  $("#shift-end-button").onclick = () => tap("shift_end");
  wireLogin();
  startPage({ start, probe: "/auth/me" });
}

load().then(wire);
