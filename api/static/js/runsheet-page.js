// 運行表 (run sheet): per vehicle and day, stops in order with planned times, windows, riders, party, notes and
// empty columns for the driver's marks; without ?vehicle= the office's day sheet (one page per vehicle).
import { api } from "./api.js";
import { escapeHtml as esc, load, t } from "./i18n.js";
import { $, hhmm, startPage, tokyoToday } from "./shell.js";
import { wireLogin } from "./staff-login.js";

const params = new URLSearchParams(location.search);
const state = { day: params.get("day") || tokyoToday(0), vehicle: params.get("vehicle") };

function breakRow(s, i) {
  const min = Math.round((new Date(s.departure) - new Date(s.arrival)) / 60000);
  return `<tr class="break">
    <td>${i + 1}</td><td class="time">${hhmm(s.arrival)}</td><td class="time">${hhmm(s.window.start)}–${hhmm(s.window.end)}</td>
    <td>${esc(t("dispatch.sheet.kind.break"))}</td>
    <td>${esc(s.anywhere ? t("dispatch.break.anywhere") : s.location.name || "")}</td>
    <td colspan="4">${esc(t("dispatch.sheet.break_row", { min, end: hhmm(s.departure) }))}</td>
    <td class="mark"></td><td class="mark"></td></tr>`;
}

function sheet(vehicle, manifest) {
  const rows = manifest.stops.map((s, i) => s.kind === "break" ? breakRow(s, i) : `<tr>
    <td>${i + 1}</td><td class="time">${hhmm(s.arrival)}</td><td class="time">${hhmm(s.window.start)}–${hhmm(s.window.end)}</td>
    <td>${esc(t(s.kind === "pickup" ? "dispatch.sheet.kind.pickup" : "dispatch.sheet.kind.dropoff"))}</td>
    <td>${esc(s.location.name || "")}</td><td>${esc(s.rider_name || s.booking_id)}</td>
    <td>${esc(s.rider_phone || "")}</td><td>${s.seats ?? ""}${s.wheelchairs ? ` ♿${s.wheelchairs}` : ""}</td>
    <td>${esc(s.notes || "")}</td><td class="mark"></td><td class="mark"></td></tr>`).join("");
  return `<section class="sheet" data-vehicle="${esc(vehicle.id)}">
    <h1>${esc(t("dispatch.sheet.title"))} — ${esc(vehicle.label || vehicle.id)}</h1>
    <div class="meta"><span>${esc(t("common.day"))}: ${esc(state.day)}</span>
      <span>${esc(t("dispatch.sheet.shift"))}: ${esc(vehicle.shift_start || "08:00")}–${esc(vehicle.shift_end || "17:00")}</span>
      <span>${esc(t("dispatch.sheet.stops", { n: manifest.stops.length }))}</span></div>
    <table><thead><tr><th>#</th><th>${esc(t("dispatch.sheet.col.planned"))}</th><th>${esc(t("dispatch.sheet.col.window"))}</th>
      <th>${esc(t("dispatch.sheet.col.kind"))}</th><th>${esc(t("dispatch.sheet.col.place"))}</th><th>${esc(t("dispatch.sheet.col.rider"))}</th>
      <th>${esc(t("dispatch.sheet.col.phone"))}</th><th>${esc(t("dispatch.sheet.col.party"))}</th><th>${esc(t("dispatch.sheet.col.notes"))}</th>
      <th>${esc(t("dispatch.sheet.col.actual"))}</th><th>${esc(t("dispatch.sheet.col.check"))}</th></tr></thead>
      <tbody>${rows || `<tr><td colspan="11">${esc(t("dispatch.sheet.empty"))}</td></tr>`}</tbody></table>
    <div class="sign"><span>${esc(t("dispatch.sheet.driver_sign"))}</span><span>${esc(t("dispatch.sheet.office_sign"))}</span></div>
  </section>`;
}

async function start() {
  const vehicles = state.vehicle ? [(await api("GET", `/vehicles/${state.vehicle}`)).data]
    : (await api("GET", "/vehicles")).data;
  const manifests = await Promise.all(vehicles.map((v) => api("GET", `/vehicles/${v.id}/manifest?day=${state.day}`)));
  $("#sheets").innerHTML = vehicles.map((v, i) => sheet(v, manifests[i].data)).join("");
  document.body.dataset.ready = "1";
}

function wire() {
  $("#day-input").value = state.day;
  $("#day-input").onchange = () => { params.set("day", $("#day-input").value); location.search = params.toString(); };
  $("#print-button").onclick = () => window.print();
  wireLogin();
  startPage({ start, probe: "/auth/me" });
}

load().then(wire).catch((e) => { $("#sheet-error").textContent = e.message; });
