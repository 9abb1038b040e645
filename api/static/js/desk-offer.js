// The trip of the call: places, time, party; the offer read-out (window, ready-by time, vehicle label, fare,
// legs) or the refusal in Japanese with the times that could be offered; confirm or decline.
import { api, keyFor, post, settledKey } from "./api.js";
import { call, isCurrent, onNewCall, onRider } from "./call.js";
import { t, both, pair, escapeHtml as esc } from "./i18n.js";
import { kindLabel, vehicleLabel, fareClass } from "./format.js";
import { $, hhmm } from "./shell.js";

const DEFAULT_TIME = "10:00";
let hooks = { changed: () => {}, day: () => "", focus: () => {}, showVehicle: () => {} };

// ---------------------------------------------------------------- places
export function setPlace(which, place) {
  call[which] = place;
  $(`#${which}-input`).value = `${place.name_ja}${place.name_en ? " / " + place.name_en : ""}`;
  $(`#${which}-list`).innerHTML = "";
}

function autocomplete(which) {
  const input = $(`#${which}-input`), list = $(`#${which}-list`);
  let timer = null, asked = 0;
  input.addEventListener("input", () => {
    call[which] = null;
    clearTimeout(timer);
    const token = call.token;
    timer = setTimeout(async () => {
      const q = input.value.trim(), mine = ++asked;
      if (!q) { list.innerHTML = ""; return; }
      const { data } = await api("GET", `/places?q=${encodeURIComponent(q)}&limit=8`);
      if (mine !== asked || !isCurrent(token)) return;  // stale: a later keystroke or a new call
      list.innerHTML = "";
      for (const p of data) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.key = p.key;
        li.innerHTML = `${esc(p.name_ja)} <small>${esc(p.name_en)}</small><span class="kind">${esc(kindLabel(p.kind))}</span>`;
        li.onclick = () => setPlace(which, p);
        list.appendChild(li);
      }
    }, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && list.firstChild && list.firstChild.dataset.key) { e.preventDefault(); list.firstChild.click(); }
    if (e.key === "Escape") list.innerHTML = "";
  });
  input.addEventListener("blur", () => setTimeout(() => { list.innerHTML = ""; }, 200));
}

// ---------------------------------------------------------------- panels
function clearAnswer() {
  $("#offer-return").innerHTML = "";
  $("#offer-panel").hidden = true;
  $("#rejection-panel").hidden = true;
  $("#rejection-panel").innerHTML = "";
  $("#form-error").textContent = "";
  $("#booking-status-msg").textContent = "";
}

function resetForm() {
  for (const which of ["pickup", "dropoff"]) { $(`#${which}-input`).value = ""; $(`#${which}-list`).innerHTML = ""; }
  $("#date-input").value = hooks.day();
  $("#time-input").value = DEFAULT_TIME;
  document.querySelector("input[name=time-kind][value=depart_after]").checked = true;
  $("#seats-input").value = 1;
  $("#wheelchairs-input").value = 0;
  $("#notes-input").value = "";
  $("#return-kind").value = "none";
  $("#return-time").value = "12:30";
  $("#return-time").disabled = true;
  call.trip = null;
  clearAnswer();
}

function riderGate(rider) {
  $("#offer-button").disabled = !rider;
  $("#offer-hint").innerHTML = rider ? "" : both("desk.offer.need_rider");
}

/** The first time the rider must be ready: the first leg's departure (a feeder's pickup window start). */
function readyTime(offer) {
  const first = (offer.legs || [])[0];
  if (first && first.pickup_window) return first.pickup_window.start;
  if (first) return first.depart;
  return offer.pickup_window.start;
}

function showOffer(b) {
  const o = b.offer, who = call.rider;
  $("#offer-for").innerHTML = both("desk.offer.for", { name: who ? who.name : "" });
  $("#offer-window").textContent = `${hhmm(o.pickup_window.start)} 〜 ${hhmm(o.pickup_window.end)}`;
  const legs = o.legs || [];
  $("#offer-ready").innerHTML = legs.length > 1 ? both("desk.offer.ready_by", { time: hhmm(readyTime(o)) }) : "";
  const vehicle = o.vehicle_label || vehicleLabel(o.vehicle_id);
  $("#offer-detail").innerHTML =
    `${both("desk.offer.arrival")} <b>${hhmm(o.expected_dropoff)}</b><br>` +
    `${both("desk.offer.vehicle")} <b id="offer-vehicle">${esc(vehicle)}</b> · ` +
    `${both("desk.offer.fare")} <b id="offer-fare">${esc(t("common.yen", { yen: o.fare_yen }))}</b>` +
    ` <small>(${esc(fareClass(b.fare_class))})</small>` +
    (o.hold_until ? `<br><small>${esc(pair("desk.offer.held_until", { time: hhmm(o.hold_until) }))}</small>` : "");
  $("#offer-legs").innerHTML = legs.length > 1 ? legs.map((l) =>
    `<li><span class="mode ${esc(l.mode)}">${esc(t(`common.mode.${l.mode}`))}</span> ` +
    `${esc(l.origin)} <b>${hhmm(l.pickup_window ? l.pickup_window.start : l.depart)}</b> → ${esc(l.destination)} <b>${hhmm(l.arrive)}</b>` +
    `${l.vehicle_id ? ` <small>${esc(l.vehicle_label || vehicleLabel(l.vehicle_id))}</small>` : ""}` +
    `${l.fare_yen ? ` <small>${esc(t("common.yen", { yen: l.fare_yen }))}</small>` : ""}</li>`).join("") : "";
  $("#offer-panel").hidden = false;
  $("#offer-panel").scrollIntoView({ block: "nearest" });
  hooks.showVehicle(o.vehicle_id);
}

function showRefusal(b) {
  const r = b.rejection, panel = $("#rejection-panel");
  const ja = r.message_ja || t(`refusal.${r.reason}`);
  panel.innerHTML = `<div class="why">${both("refusal.title")}: ${esc(ja)}</div>` +
    `<div class="why-en">${esc(r.message)}</div>`;
  if (r.alternatives.length) {
    const label = document.createElement("div");
    label.innerHTML = both(r.reason === "outside_service_hours" ? "refusal.first_last" : "refusal.alternatives");
    panel.appendChild(label);
    for (const alt of r.alternatives) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "alternative";
      btn.textContent = hhmm(alt);
      btn.onclick = () => { $("#time-input").value = hhmm(alt); requestOffer(); };
      panel.appendChild(btn);
    }
  }
  if (r.split && r.split.length > 1) {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.id = "split-button";
    btn.innerHTML = both("refusal.split_offer", { n: r.split.map((p) => p.seats + p.wheelchairs).join("+") });
    btn.onclick = () => requestSplit(r.split);
    panel.appendChild(document.createElement("br"));
    panel.appendChild(btn);
  }
  const back = document.createElement("button");
  back.type = "button";
  back.id = "callback-button";
  back.innerHTML = both("refusal.add_callback");
  back.onclick = () => addCallback(b);
  panel.appendChild(document.createElement("br"));
  panel.appendChild(back);
  panel.hidden = false;
  panel.scrollIntoView({ block: "nearest" });
}

async function addCallback(b) {
  try {
    await post("/callbacks", { booking_id: b.id, rider_id: b.rider_id, note: $("#notes-input").value });
    $("#booking-status-msg").innerHTML = both("desk.callbacks.added");
    hooks.changed();
  } catch (e) { $("#form-error").textContent = e.message; }
}

function showAnswer(b) {
  call.booking = b;
  clearAnswer();
  hooks.focus(b);
  if (b.offer && b.status === "offered") showOffer(b);
  else if (b.rejection) showRefusal(b);
  else if (b.status === "requested") $("#booking-status-msg").innerHTML = both("desk.offer.waiting");
}

// ---------------------------------------------------------------- requests
function requestBody(party) {
  return {
    rider_id: call.rider.id,
    pickup: { place: call.pickup.key }, dropoff: { place: call.dropoff.key },
    time: `${$("#date-input").value}T${$("#time-input").value}:00+09:00`,
    time_kind: document.querySelector("input[name=time-kind]:checked").value,
    seats: party ? party.seats : Number($("#seats-input").value),
    wheelchairs: party ? party.wheelchairs : Number($("#wheelchairs-input").value),
    notes: $("#notes-input").value,
  };
}

function ready() {
  clearAnswer();
  if (!call.rider) { $("#form-error").textContent = pair("desk.offer.need_rider"); return false; }
  if (!call.pickup || !call.dropoff) { $("#form-error").textContent = pair("desk.place.choose"); return false; }
  return true;
}

function showTrip(trip) {
  call.trip = trip;
  const out = trip.outbound, back = trip.return;
  const refused = [out, back].find((b) => b && b.state === "rejected");
  if (refused) { showAnswer(refused); return; }
  showAnswer(out);
  if (back && back.offer) {
    const w = `${hhmm(back.offer.pickup_window.start)}〜${hhmm(back.offer.pickup_window.end)}`;
    $("#offer-return").innerHTML = both("desk.return.offer", { window: w, vehicle: back.offer.vehicle_label || vehicleLabel(back.offer.vehicle_id) });
  } else if (trip.open_return) $("#offer-return").innerHTML = both("desk.return.open_note");
}

/** An open return placed on the rider's call: the offer, with the wait to read out. */
export function showPlaced(b) {
  call.trip = null;
  showAnswer(b);
  if (b.wait_min != null) $("#offer-return").innerHTML = both("desk.return.wait", { minutes: b.wait_min });
}

export async function requestOffer() {
  if (!ready()) return;
  const token = call.token;
  $("#offer-button").disabled = true;
  const kind = $("#return-kind").value;
  try {
    if (kind !== "none") {
      const body = { ...requestBody(), open_return: kind === "open" };
      if (kind === "timed") body.return_time = `${$("#date-input").value}T${$("#return-time").value}:00+09:00`;
      const { data } = await post("/round-trips", body, { "Idempotency-Key": keyFor("console-rt", body) });
      settledKey("console-rt");
      if (!isCurrent(token)) return;
      showTrip(data);
      hooks.changed();
      return;
    }
    call.trip = null;
    const body = requestBody();
    const { data } = await post("/bookings", body, { "Idempotency-Key": keyFor("console", body) });
    settledKey("console");
    if (!isCurrent(token)) return;
    showAnswer(data);
    hooks.changed();
  } catch (e) { if (isCurrent(token)) $("#form-error").textContent = e.message; }
  finally { $("#offer-button").disabled = !call.rider; }
}

async function requestSplit(parts) {
  if (!ready()) return;
  call.trip = null;
  const token = call.token, offers = [];
  for (const [i, part] of parts.entries()) {
    const body = requestBody(part);
    const { data } = await post("/bookings", body, { "Idempotency-Key": keyFor(`console-split-${i}`, body) });
    settledKey(`console-split-${i}`);
    if (!isCurrent(token)) return;
    offers.push(data);
  }
  call.split = offers;
  const good = offers.filter((b) => b.status === "offered");
  if (good.length !== offers.length) { showAnswer(offers.find((b) => b.status !== "offered")); return; }
  showAnswer(good[0]);
  $("#offer-legs").innerHTML = good.map((b) =>
    `<li>${esc(t("desk.split.offer", { n: b.seats + b.wheelchairs }))}: ${hhmm(b.offer.pickup_window.start)}〜${hhmm(b.offer.pickup_window.end)} ` +
    `${esc(b.offer.vehicle_label || vehicleLabel(b.offer.vehicle_id))}</li>`).join("");
  hooks.changed();
}

async function decideTrip(op, token) {
  try {
    const { data } = await post(`/round-trips/${call.trip.id}/${op}`);
    if (!isCurrent(token)) return;
    $("#offer-panel").hidden = true;
    call.trip = null;
    call.booking = data.outbound;
    if (op === "confirm") {
      const parts = [data.outbound, data.return].filter((b) => b && b.offer)
        .map((b) => `${hhmm(b.offer.pickup_window.start)}〜${hhmm(b.offer.pickup_window.end)}`);
      $("#booking-status-msg").innerHTML = both("desk.offer.confirmed", { window: parts.join(" / "), id: data.id });
    } else $("#booking-status-msg").innerHTML = both("desk.offer.declined");
    hooks.changed();
  } catch (e) { if (isCurrent(token)) $("#form-error").textContent = e.message; hooks.changed(); }
}

async function decide(op) {
  const token = call.token;
  if (call.trip) { await decideTrip(op, token); return; }
  const targets = call.split && call.split.length ? call.split : (call.booking ? [call.booking] : []);
  if (!targets.length) return;
  try {
    const done = [];
    for (const b of targets) done.push((await post(`/bookings/${b.id}/${op}`)).data);
    if (!isCurrent(token)) return;
    const last = done[done.length - 1];
    $("#offer-panel").hidden = true;
    call.booking = last;
    call.split = null;
    if (op === "confirm") {  // a split party: both vehicles and windows
      const w = done.map((b) => `${hhmm(b.offer.pickup_window.start)}〜${hhmm(b.offer.pickup_window.end)}` +
        (done.length > 1 ? ` ${b.offer.vehicle_label || vehicleLabel(b.offer.vehicle_id)}` : "")).join(" / ");
      $("#booking-status-msg").innerHTML = both("desk.offer.confirmed", { window: w, id: done.map((b) => b.id).join(", ") });
      hooks.showVehicle(last.vehicle_id || last.offer.vehicle_id);
    } else $("#booking-status-msg").innerHTML = both("desk.offer.declined");
    hooks.changed();
  } catch (e) {
    if (!isCurrent(token)) return;
    const { data } = await api("GET", `/bookings/${targets[0].id}`).catch(() => ({ data: null }));
    $("#offer-panel").hidden = true;
    $("#form-error").textContent = data && data.state === "lapsed" ? pair("desk.offer.lapsed") : e.message;
    hooks.changed();
  }
}

export function wireOffer(options) {
  hooks = { ...hooks, ...options };
  autocomplete("pickup");
  autocomplete("dropoff");
  $("#offer-button").onclick = requestOffer;
  $("#confirm-button").onclick = () => decide("confirm");
  $("#decline-button").onclick = () => decide("decline");
  $("#return-kind").onchange = () => { $("#return-time").disabled = $("#return-kind").value !== "timed"; };
  onNewCall(() => { call.split = null; resetForm(); });
  onRider(riderGate);
  riderGate(null);
}
