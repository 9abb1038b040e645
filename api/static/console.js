// Operator console: phone booking form, today's bookings, vehicle manifests, live map.
// Talks only to this API; the key is asked once and kept in sessionStorage (this tab only).
"use strict";

const $ = (sel) => document.querySelector(sel);
const esc = KanraMap.escapeHtml;
const STATUS_JA = {
  requested: "受付中", offered: "提示中", confirmed: "確定", assigned: "配車済", onboard: "乗車中",
  completed: "完了", cancelled: "取消", no_show: "不在", rejected: "お断り",
};
const REASON_JA = {
  outside_service_hours: "運行時間外", too_little_notice: "予約締切後", beyond_horizon: "受付期間外",
  party_too_large: "人数超過", outside_service_area: "区域外", no_vehicle_available: "空き車両なし",
  invalid_request: "入力不備",
};
const state = { rider: null, pickup: null, dropoff: null, booking: null, vehicles: [], plans: [], day: null };

// ---------------------------------------------------------------- API access
function apiKey() { return sessionStorage.getItem("kanraApiKey"); }

async function api(method, path, body, extraHeaders) {
  const headers = { "X-API-Key": apiKey(), ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) { askKey("キーが無効です / Invalid key"); throw new Error("unauthorised"); }
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (!res.ok) {
    const d = data && data.detail && data.detail[0];
    throw new Error(d ? `${d.reason} (${d.field})` : `HTTP ${res.status}`);
  }
  return { status: res.status, data };
}

function askKey(message) {
  $("#key-error").textContent = message || "";
  const dialog = $("#key-dialog");
  if (!dialog.open) dialog.showModal();
}

// ---------------------------------------------------------------- time helpers (Asia/Tokyo)
function tokyoToday(offsetDays) {
  const d = new Date(Date.now() + 9 * 3600e3 + (offsetDays || 0) * 86400e3);
  return d.toISOString().slice(0, 10);
}
const hhmm = (iso) => (iso ? iso.slice(11, 16) : "");

// ---------------------------------------------------------------- rider
async function searchRider() {
  const phone = $("#rider-phone").value.trim();
  const list = $("#rider-results");
  list.innerHTML = "";
  if (!phone) return;
  try {
    const { data } = await api("GET", `/riders?phone=${encodeURIComponent(phone)}`);
    if (!data.length) {
      list.innerHTML = `<li class="none">該当なし — 新規登録してください / Not found — register below</li>`;
      $("#rider-register").open = true;
      return;
    }
    for (const r of data) {
      const li = document.createElement("li");
      li.className = "rider-item";
      li.innerHTML = `${esc(r.name)} <small>${esc(r.phone)}${r.wheelchair ? " · 車いす" : ""}</small>`;
      li.onclick = () => chooseRider(r);
      list.appendChild(li);
    }
  } catch (e) { $("#form-error").textContent = e.message; }
}

function chooseRider(r) {
  state.rider = r;
  $("#rider-results").innerHTML = "";
  const box = $("#rider-selected");
  box.hidden = false;
  box.innerHTML = `${esc(r.name)} 様 <small>${esc(r.phone)} · ${esc(r.fare_class)}</small>`;
  if (r.wheelchair) { $("#wheelchairs-input").value = 1; $("#seats-input").value = 0; }
  if (r.home && r.home.place && !state.pickup) {
    setPlace("pickup", { key: r.home.place, name_ja: r.home.name, name_en: "" });
  }
}

async function registerRider() {
  const name = $("#new-rider-name").value.trim(), phone = $("#rider-phone").value.trim();
  try {
    const { data } = await api("POST", "/riders", { name, phone });
    chooseRider(data);
    $("#rider-register").open = false;
  } catch (e) { $("#form-error").textContent = e.message; }
}

// ---------------------------------------------------------------- place autocomplete
const KIND_JA = { station: "駅", hospital: "病院", clinic: "医院", municipal_office: "役場", school: "学校",
  supermarket: "スーパー", shopping: "買物", tourism: "観光", oaza: "大字" };

function setPlace(which, place) {
  state[which] = place;
  $(`#${which}-input`).value = `${place.name_ja}${place.name_en ? " / " + place.name_en : ""}`;
  $(`#${which}-list`).innerHTML = "";
}

function autocomplete(which) {
  const input = $(`#${which}-input`), list = $(`#${which}-list`);
  let timer = null, asked = 0;
  input.addEventListener("input", () => {
    state[which] = null;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim(), mine = ++asked;
      if (!q) { list.innerHTML = ""; return; }
      const { data } = await api("GET", `/places?q=${encodeURIComponent(q)}&limit=8`);
      if (mine !== asked) return;  // a later keystroke asked again: drop this stale answer
      list.innerHTML = "";
      for (const p of data) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.key = p.key;
        li.innerHTML = `${esc(p.name_ja)} <small>${esc(p.name_en)}</small><span class="kind">${KIND_JA[p.kind] || p.kind}</span>`;
        li.onclick = () => setPlace(which, p);
        list.appendChild(li);
      }
    }, 150);
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && list.firstChild && list.firstChild.dataset.key) { e.preventDefault(); list.firstChild.click(); }
  });
}

// ---------------------------------------------------------------- offer, confirm, decline
function focusBooking(b) {
  const pts = [b.pickup, b.dropoff].filter((p) => p && p.lat != null).map((p) => [p.lon, p.lat]);
  KanraMap.focus(pts);
}

function showOffer(b) {
  state.booking = b;
  focusBooking(b);
  $("#offer-panel").hidden = true;
  $("#rejection-panel").hidden = true;
  if (b.offer && b.status === "offered") {
    const o = b.offer;
    $("#offer-window").textContent = `${hhmm(o.pickup_window.start)} 〜 ${hhmm(o.pickup_window.end)}`;
    $("#offer-detail").innerHTML =
      `到着予定 <b>${hhmm(o.expected_dropoff)}</b> <small>expected arrival</small><br>` +
      `車両 ${esc(o.vehicle_id)} · 運賃 ${o.fare_yen} 円 <small>fare</small>` +
      (o.hold_until ? `<br><small>仮押さえ ${hhmm(o.hold_until)} まで / held until ${hhmm(o.hold_until)}</small>` : "");
    const MODE = { drt: "乗合タクシー", rail: "上信電鉄", walk: "徒歩" };
    $("#offer-legs").innerHTML = (o.legs || []).map((l) =>
      `<li><span class="mode ${esc(l.mode)}">${MODE[l.mode] || esc(l.mode)}</span> ` +
      `${esc(l.origin)} <b>${hhmm(l.depart)}</b> → ${esc(l.destination)} <b>${hhmm(l.arrive)}</b>` +
      `${l.fare_yen ? ` <small>${l.fare_yen} 円</small>` : ""}</li>`).join("");
    $("#offer-panel").hidden = false;
    $("#offer-panel").scrollIntoView({ block: "nearest" });
    $("#vehicle-select").value = o.vehicle_id;  // preview the vehicle's day with this ride in it
  } else if (b.rejection) {
    const r = b.rejection, panel = $("#rejection-panel");
    panel.innerHTML = `<b>お受けできません / Cannot serve:</b> ${REASON_JA[r.reason] || ""} — ${esc(r.message)}` +
      (r.alternatives.length ? "<br>代替時刻 / Alternatives: " : "");
    for (const alt of r.alternatives) {
      const btn = document.createElement("button");
      btn.textContent = hhmm(alt);
      btn.onclick = () => { $("#time-input").value = hhmm(alt); requestOffer(); };
      panel.appendChild(btn);
    }
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }
}

async function requestOffer() {
  $("#form-error").textContent = "";
  $("#booking-status-msg").textContent = "";
  if (!state.pickup || !state.dropoff) {
    $("#form-error").textContent = "乗車地と降車地を候補から選んでください / Choose pickup and drop-off from the list";
    return;
  }
  const body = {
    pickup: { place: state.pickup.key }, dropoff: { place: state.dropoff.key },
    time: `${$("#date-input").value}T${$("#time-input").value}:00+09:00`,
    time_kind: document.querySelector("input[name=time-kind]:checked").value,
    seats: Number($("#seats-input").value), wheelchairs: Number($("#wheelchairs-input").value),
    notes: $("#notes-input").value,
  };
  if (state.rider) body.rider_id = state.rider.id;
  const key = `console-${crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random()}`;
  $("#offer-button").disabled = true;
  try {
    const { data } = await api("POST", "/bookings", body, { "Idempotency-Key": key });
    showOffer(data);
    if (data.status === "requested") $("#booking-status-msg").textContent = "確認中… / Waiting for the dispatcher…";
    refresh();
  } catch (e) { $("#form-error").textContent = e.message; }
  finally { $("#offer-button").disabled = false; }
}

async function decide(op) {
  const b = state.booking;
  if (!b) return;
  try {
    const { data } = await api("POST", `/bookings/${b.id}/${op}`);
    $("#offer-panel").hidden = true;
    $("#booking-status-msg").textContent = op === "confirm"
      ? `予約を確定しました / Booked: ${hhmm(data.offer.pickup_window.start)}〜${hhmm(data.offer.pickup_window.end)} (${data.id})`
      : "見送りました / Offer declined";
    state.booking = data;
    const vehicle = data.vehicle_id || (data.offer && data.offer.vehicle_id);
    if (op === "confirm" && vehicle) $("#vehicle-select").value = vehicle;
    refresh();
  } catch (e) { $("#form-error").textContent = e.message; }
}

// ---------------------------------------------------------------- lists and map
async function loadBookings() {
  const { data } = await api("GET", `/bookings?day=${state.day}`);
  const body = $("#bookings-table tbody");
  body.innerHTML = data.map((b) => {
    const window = b.offer ? `${hhmm(b.offer.pickup_window.start)}–${hhmm(b.offer.pickup_window.end)}` : hhmm(b.time);
    return `<tr data-id="${esc(b.id)}" class="${state.booking && state.booking.id === b.id ? "selected" : ""}">` +
      `<td>${window}</td><td>${esc(b.pickup.name)} → ${esc(b.dropoff.name)}</td>` +
      `<td><span class="badge ${esc(b.status)}">${STATUS_JA[b.status] || b.status}</span></td>` +
      `<td>${esc(b.vehicle_id || (b.offer ? b.offer.vehicle_id : "") || "")}</td></tr>`;
  }).join("") || `<tr><td colspan="4"><small>予約はまだありません / No bookings yet</small></td></tr>`;
}

async function loadManifest() {
  const id = $("#vehicle-select").value;
  if (!id) return;
  const { data } = await api("GET", `/vehicles/${encodeURIComponent(id)}/manifest?day=${state.day}`);
  $("#manifest-table tbody").innerHTML = data.stops.map((s) =>
    `<tr data-booking="${esc(s.booking_id)}"><td>${hhmm(s.arrival)}<br><small>${hhmm(s.window.start)}–${hhmm(s.window.end)}</small></td>` +
    `<td>${s.kind === "pickup" ? "乗車 <small>pick up</small>" : "降車 <small>drop off</small>"}</td>` +
    `<td>${esc(s.location.name)}</td><td>${esc(s.rider_name || s.booking_id.split("/")[0])}` +
    `${s.booking_id.includes("/") ? ` <small>(区間 ${Number(s.booking_id.split("/")[1]) + 1})</small>` : ""}` +
    `${s.wheelchairs ? " <small>車いす</small>" : ""}${s.notes ? `<br><small>${esc(s.notes)}</small>` : ""}</td></tr>`).join("")
    || `<tr><td colspan="4"><small>停車予定なし / No stops planned</small></td></tr>`;
}

async function loadMap() {
  const { data } = await api("GET", `/dispatch/plans?day=${state.day}`);
  state.plans = data.plans;
  KanraMap.draw(state.plans, state.vehicles, state.booking && state.booking.id);
}

let refreshTimer = null;
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadBookings().catch(() => {});
    loadManifest().catch(() => {});
    loadMap().catch(() => {});
  }, 100);
}

// ---------------------------------------------------------------- live events (SSE over fetch, so the key stays in a header)
async function listen() {
  for (;;) {
    try {
      const res = await fetch("/events", { headers: { "X-API-Key": apiKey(), Accept: "text/event-stream" } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      $("#live-dot").classList.add("on");
      const reader = res.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const parts = buffer.split("\n\n");
        buffer = parts.pop();
        if (parts.some((p) => p.includes("\ndata:") || p.startsWith("data:"))) refresh();
      }
    } catch (e) { /* reconnect below */ }
    $("#live-dot").classList.remove("on");
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// ---------------------------------------------------------------- start
async function start() {
  state.day = $("#day-input").value || tokyoToday(0);
  const [geo, vehicles, stations, offices] = await Promise.all([
    api("GET", "/network.geojson"), api("GET", "/vehicles"),
    api("GET", "/places?kind=station&limit=50"), api("GET", "/places?kind=municipal_office&limit=10")]);
  KanraMap.init($("#map"), geo.data);
  KanraMap.places([...stations.data, ...offices.data]);
  state.vehicles = vehicles.data;
  KanraMap.legend($("#map-legend"), state.vehicles);
  $("#vehicle-select").innerHTML = state.vehicles.map((v) =>
    `<option value="${esc(v.id)}">${esc(v.label || v.id)} (${esc(v.id)}) · ${v.seats}席` +
    `${v.wheelchair_places ? " · 車いす" + v.wheelchair_places : ""}</option>`).join("");
  refresh();
  listen();
}

function wire() {
  $("#day-input").value = tokyoToday(0);
  $("#date-input").value = tokyoToday(0);
  $("#rider-search").onclick = searchRider;
  $("#rider-phone").addEventListener("keydown", (e) => { if (e.key === "Enter") searchRider(); });
  $("#new-rider-save").onclick = registerRider;
  autocomplete("pickup");
  autocomplete("dropoff");
  $("#offer-button").onclick = requestOffer;
  $("#confirm-button").onclick = () => decide("confirm");
  $("#decline-button").onclick = () => decide("decline");
  $("#vehicle-select").onchange = () => loadManifest().catch(() => {});
  $("#day-input").onchange = () => { state.day = $("#day-input").value; $("#date-input").value = state.day; refresh(); };
  $("#bookings-table").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-id]");
    if (!row) return;
    api("GET", `/bookings/${row.dataset.id}`).then(({ data }) => {
      state.booking = data;
      focusBooking(data);
      if (data.vehicle_id) { $("#vehicle-select").value = data.vehicle_id; }
      refresh();
    });
  });
  $("#logout-button").onclick = () => { sessionStorage.removeItem("kanraApiKey"); askKey(); };
  $("#key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    sessionStorage.setItem("kanraApiKey", $("#api-key-input").value.trim());
    try {
      await api("GET", "/vehicles");
      $("#key-dialog").close();
      start();
    } catch (err) { $("#key-error").textContent = err.message; }
  });
  if (apiKey()) start().catch(() => askKey()); else askKey();
}

document.addEventListener("DOMContentLoaded", wire);
