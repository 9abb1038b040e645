// The dispatcher's page: a day timeline per vehicle (vis-timeline), alerts, bookings to watch, positions with
// their age; select or drag a stop onto another vehicle to see the validator's verdict, then commit (pins it).
import { api } from "./api.js";
import { escapeHtml as esc, load, t, both } from "./i18n.js";
import { setVehicles, vehicleLabel } from "./format.js";
import { $, hhmm, liveEvents, startPage, tokyoToday } from "./shell.js";
import { wireLogin } from "./staff-login.js";

const vis = window.vis;
const state = { day: null, vehicles: [], bookings: {}, late: new Set(), risk: new Set(), selected: null,
  timeline: null, items: null, groups: null, manifests: {}, lockOrder: [] };

const jst = (date) => vis.moment(date).utcOffset("+09:00");
const minutes = (s) => Math.round(s / 60);

// ``order``: the stop's place in the order a dispatcher locked (1, 2, ...), 0 when not locked
function stopItem(vehicleId, stop, booking, order = 0) {
  const pickup = stop.kind === "pickup";
  const id = booking ? booking.id : stop.booking_id;
  const who = stop.rider_name || id.slice(-6);
  const slack = (new Date(stop.window.end) - new Date(stop.arrival)) / 1000;
  const classes = [pickup ? "pickup" : "dropoff"];
  if (state.late.has(id)) classes.push("late");
  else if (pickup && state.risk.has(id)) classes.push("at-risk");
  if (booking && booking.pinned) classes.push("pinned");
  if (order) classes.push("locked");
  return {
    id: `${stop.booking_id}|${stop.kind}`, group: vehicleId, start: new Date(stop.arrival), type: "box",
    booking: id, className: classes.join(" "),
    content: `${order ? `🔒${order} ` : ""}${pickup ? "▲" : "▼"} ${esc(who)}` +
      `${booking && booking.pinned ? " ◆" : ""}`,
    title: `${esc(t(pickup ? "dispatch.legend.pickup" : "dispatch.legend.dropoff"))} ${esc(stop.location.name || "")}` +
      `<br>${esc(t("dispatch.window"))} ${hhmm(stop.window.start)}–${hhmm(stop.window.end)}` +
      ` · ${esc(t("dispatch.planned"))} ${hhmm(stop.arrival)} · ${esc(t("dispatch.slack", { min: minutes(slack) }))}` +
      (stop.seats ? `<br>${esc(t("dispatch.party", { seats: stop.seats, chairs: stop.wheelchairs || 0 }))}` : ""),
  };
}

function breakItem(vehicleId, stop) {
  const min = Math.round((new Date(stop.departure) - new Date(stop.arrival)) / 60000);
  return {
    id: `${stop.booking_id}|break`, group: vehicleId, type: "range", className: "break", editable: false,
    start: new Date(stop.arrival), end: new Date(stop.departure),
    content: `☕ ${esc(t("dispatch.legend.break"))}`,
    title: `${esc(t("dispatch.break.title", { start: hhmm(stop.arrival), end: hhmm(stop.departure), min }))}` +
      `<br>${esc(t("dispatch.break.window", { start: hhmm(stop.window.start), end: hhmm(stop.window.end) }))}` +
      `<br>${esc(stop.anywhere ? t("dispatch.break.anywhere") : stop.location.name || "")}`,
  };
}

/** The shift's break windows (earliest start to latest end) behind the vehicle's row. */
function breakWindows(v) {
  return (v.breaks || []).map((b, i) => {
    const end = new Date(`${state.day}T${b.latest || b.earliest}:00+09:00`).getTime() + b.minutes * 60000;
    return { id: `breakwin|${v.id}|${i}`, group: v.id, type: "background", className: "break-window",
      start: new Date(`${state.day}T${b.earliest}:00+09:00`), end: new Date(end),
      title: esc(t("dispatch.break.planned_window")) };
  });
}

function shiftItem(v) {
  const day = state.day;
  return { id: `shift|${v.id}`, group: v.id, type: "background", className: "shift",
    start: new Date(`${day}T${v.shift_start || "08:00"}:00+09:00`), end: new Date(`${day}T${v.shift_end || "17:00"}:00+09:00`) };
}

function ageText(position) {
  if (!position) return t("dispatch.position.never");
  const when = position.reported_at || position.at;
  const age = Math.max(0, Date.now() / 1000 - when);
  return t("dispatch.position.ago", { min: Math.round(age / 60) });
}

async function loadDay() {
  const day = state.day;
  const [vehicles, bookings, alerts] = await Promise.all([api("GET", "/vehicles"),
    api("GET", `/bookings?day=${day}&limit=1000`), api("GET", `/dispatch/alerts?day=${day}`)]);
  state.vehicles = vehicles.data;
  setVehicles(state.vehicles);
  state.bookings = Object.fromEntries(bookings.data.map((b) => [b.id, b]));
  state.late = new Set(alerts.data.late.map((a) => a.booking_id));
  state.risk = new Set(alerts.data.at_risk.map((a) => a.booking_id));
  const manifests = await Promise.all(state.vehicles.map((v) => api("GET", `/vehicles/${v.id}/manifest?day=${day}`)));
  const groups = state.vehicles.map((v) => ({ id: v.id,
    content: `<b>${esc(v.label || v.id)}</b><br><small>${v.seats}${esc(t("dispatch.seats"))}` +
      `${v.wheelchair_places ? ` · ♿${v.wheelchair_places}` : ""} · ${esc(ageText(v.position))}</small>` }));
  const items = state.vehicles.flatMap((v) => [shiftItem(v), ...breakWindows(v)]);
  state.manifests = {};
  manifests.forEach(({ data }) => {
    state.manifests[data.vehicle_id] = data;
    data.stops.forEach((stop, n) => {
      if (stop.kind === "break") { items.push(breakItem(data.vehicle_id, stop)); return; }
      const owner = stop.booking_id.split("/")[0];
      items.push(stopItem(data.vehicle_id, stop, state.bookings[owner], stop.locked ? n + 1 : 0));
    });
  });
  drawTimeline(groups, items);
  drawAlerts(alerts.data);
  drawPositions();
  const options = state.vehicles.map((v) => `<option value="${esc(v.id)}">${esc(v.label || v.id)}</option>`).join("");
  $("#target-vehicle").innerHTML = options;
  const lockVehicle = $("#lock-vehicle").value;
  $("#lock-vehicle").innerHTML = options;
  if (lockVehicle && state.manifests[lockVehicle]) $("#lock-vehicle").value = lockVehicle;
  drawLockStops();
  if (state.selected) select(state.selected.booking, state.selected.target, true);
}

// --- locking a vehicle's next stops in an order the dispatcher clicks -----------------------------------
const stopKey = (s) => `${s.booking_id}|${s.kind}`;

function drawLockStops() {
  const manifest = state.manifests[$("#lock-vehicle").value];
  const stops = manifest ? manifest.stops.filter((s) => s.kind !== "break") : [];  // breaks are not locked by hand
  const keys = new Set(stops.map(stopKey));
  state.lockOrder = state.lockOrder.filter((k) => keys.has(k));
  $("#lock-stops").innerHTML = stops.length ? stops.map((s) => {
    const rank = state.lockOrder.indexOf(stopKey(s)) + 1;
    const who = s.rider_name || s.booking_id.split("/")[0].slice(-6);
    return `<li><button type="button" class="lock-stop${rank ? " chosen" : ""}" data-stop="${esc(stopKey(s))}">` +
      `<span class="rank">${rank || ""}</span>${s.locked ? "🔒 " : ""}${s.kind === "pickup" ? "▲" : "▼"} ${esc(who)}` +
      ` · ${hhmm(s.arrival)} · ${esc(s.location.name || "")}</button></li>`;
  }).join("") : `<li class="none">${both("dispatch.lock.none")}</li>`;
  for (const button of document.querySelectorAll("#lock-stops button[data-stop]")) {
    button.onclick = () => {
      const key = button.dataset.stop;
      const at = state.lockOrder.indexOf(key);
      if (at >= 0) state.lockOrder.splice(at, 1); else state.lockOrder.push(key);
      drawLockStops();
    };
  }
  $("#lock-commit").disabled = state.lockOrder.length === 0;
  $("#lock-release").disabled = !(manifest && manifest.locked_stops);
}

function lockMessage(text, error = false) {
  $("#lock-error").innerHTML = error ? text : "";
  $("#lock-status").textContent = error ? "" : text;
}

async function lockOrder() {
  const vehicle = $("#lock-vehicle").value;
  const stops = state.lockOrder.map((k) => { const [booking_id, kind] = k.split("|"); return { booking_id, kind }; });
  $("#lock-commit").disabled = true;
  try {
    const { data } = await api("POST", "/dispatch/lock-sequence", { body: { vehicle_id: vehicle, stops } });
    state.lockOrder = [];
    await loadDay();
    lockMessage(t("dispatch.lock.done", { vehicle: vehicleLabel(vehicle), n: data.locked.length }));
  } catch (err) {
    lockMessage(`${both("dispatch.lock.refused")}<br>${esc(err.message)}`, true);
    $("#lock-commit").disabled = false;
  }
}

async function releaseLock() {
  const vehicle = $("#lock-vehicle").value;
  try {
    const { data } = await api("POST", `/dispatch/unlock-sequence?day=${state.day}`, { body: { vehicle_id: vehicle } });
    await loadDay();
    lockMessage(t(data.was_locked ? "dispatch.lock.released" : "dispatch.lock.not_locked", { vehicle: vehicleLabel(vehicle) }));
  } catch (err) { lockMessage(esc(err.message), true); }
}

function drawTimeline(groups, items) {
  if (!state.timeline) {
    state.groups = new vis.DataSet(groups);
    state.items = new vis.DataSet(items);
    state.timeline = new vis.Timeline($("#timeline"), state.items, state.groups, {
      moment: jst, stack: true, editable: { updateGroup: true, updateTime: false, add: false, remove: false },
      start: new Date(`${state.day}T07:30:00+09:00`), end: new Date(`${state.day}T17:30:00+09:00`),
      orientation: "top", zoomKey: "ctrlKey", margin: { item: 4 },
      onMove: (item, callback) => { select(item.booking, item.group); callback(null); },
    });
    state.timeline.on("select", ({ items: chosen }) => {
      const item = chosen.length ? state.items.get(chosen[0]) : null;
      if (item && item.booking && !(state.selected && state.selected.booking === item.booking)) select(item.booking, null);
    });
  } else {
    state.groups.clear(); state.groups.add(groups);
    state.items.clear(); state.items.add(items);
    state.timeline.setWindow(new Date(`${state.day}T07:30:00+09:00`), new Date(`${state.day}T17:30:00+09:00`),
      { animation: false });
  }
}

function drawAlerts(alerts) {
  const lines = [];
  for (const a of alerts.late) lines.push(["late", t("dispatch.alert.late", { vehicle: vehicleLabel(a.vehicle_id), booking: a.booking_id })]);
  for (const a of alerts.not_reporting) {
    lines.push(["silent", t("dispatch.alert.silent", { vehicle: vehicleLabel(a.vehicle_id),
      min: a.age_s == null ? "—" : Math.round(a.age_s / 60) })]);
  }
  for (const a of alerts.not_picked_up) lines.push(["missed", t("dispatch.alert.not_picked_up", { booking: a.booking_id, end: hhmm(a.window[1]) })]);
  $("#alerts").innerHTML = lines.length ? lines.map(([kind, text]) => `<li class="${kind}">${esc(text)}</li>`).join("")
    : `<li class="none">${both("dispatch.alert.none")}</li>`;
  const watch = [...alerts.unassigned.map((a) => ["unassigned", a]), ...alerts.at_risk.map((a) => ["at-risk", a])];
  $("#watch").innerHTML = watch.length ? watch.map(([kind, a]) =>
    `<li class="${kind}" data-booking="${esc(a.booking_id)}">${esc(t(`dispatch.watch.${kind.replace("-", "_")}`))} · ${esc(a.booking_id)}` +
    ` · ${hhmm(a.window[0])}–${hhmm(a.window[1])}${a.vehicle_id ? ` · ${esc(vehicleLabel(a.vehicle_id))}` : ""}</li>`).join("")
    : `<li class="none">${both("dispatch.alert.none")}</li>`;
  for (const li of document.querySelectorAll("#watch li[data-booking]")) li.onclick = () => select(li.dataset.booking, null);
}

function drawPositions() {
  $("#positions").innerHTML = state.vehicles.map((v) => {
    const p = v.position;
    return `<tr data-vehicle="${esc(v.id)}"><td>${esc(v.label || v.id)}</td><td>${esc(ageText(p))}</td>` +
      `<td>${p ? `${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}` : "—"}</td></tr>`;
  }).join("");
}

function select(bookingId, target, refreshing = false) {
  const b = state.bookings[bookingId.split("/")[0]];
  state.selected = { booking: bookingId, target };
  $("#selected").classList.remove("none");
  $("#selected").innerHTML = b
    ? `<b>${esc(b.id)}</b> · ${esc(b.pickup.name || "")} → ${esc(b.dropoff.name || "")} · ${esc(vehicleLabel(b.vehicle_id))}` +
      `${b.pinned ? ` · ◆ ${both("dispatch.pinned")}` : ""}`
    : esc(bookingId);
  if (target) $("#target-vehicle").value = target;
  $("#unpin-button").disabled = !(b && b.pinned);
  if (refreshing) return;  // the page reloaded its data: keep the verdict and messages on screen
  $("#verdict").innerHTML = "";
  $("#commit-button").disabled = true;
  $("#action-error").textContent = "";
  $("#action-status").textContent = "";
  if (target) check().catch((e) => { $("#action-error").textContent = e.message; });
}

async function check() {
  if (!state.selected) return;
  const body = { booking_id: state.selected.booking, vehicle_id: $("#target-vehicle").value };
  const { data } = await api("POST", "/dispatch/reassign/check", { body });
  const box = $("#verdict");
  if (!data.ok) {
    box.className = "verdict refused";
    box.innerHTML = `${both("dispatch.verdict.refused")}<br>${esc(data.reason)}`;
    $("#commit-button").disabled = true;
    return;
  }
  const km = (data.distance_change_m / 1000).toFixed(1);
  const riders = data.riders.map((r) => {
    const change = r.pickup_change_s == null ? "" : ` (${r.pickup_change_s >= 0 ? "+" : ""}${minutes(r.pickup_change_s)} ${t("dispatch.min")})`;
    return `<li>${esc(r.booking_id)}: ${t("dispatch.legend.pickup")} ${hhmm(r.pickup_before) || "—"} → ${hhmm(r.pickup_after) || "—"}${esc(change)}</li>`;
  }).join("");
  box.className = "verdict ok";
  box.innerHTML = `${both("dispatch.verdict.ok")}<br>${esc(t("dispatch.verdict.km", { km: (km >= 0 ? "+" : "") + km }))}<ul>${riders}</ul>`;
  $("#commit-button").disabled = false;
}

async function commit() {
  const body = { booking_id: state.selected.booking, vehicle_id: $("#target-vehicle").value, pin: true };
  $("#commit-button").disabled = true;
  try {
    await api("POST", "/dispatch/reassign", { body });
    state.selected.target = null;
    await loadDay();  // shows the booking pinned on its new vehicle (and re-selects it)
    $("#action-status").textContent = t("dispatch.reassign.done", { vehicle: vehicleLabel(body.vehicle_id) });
  } catch (err) { $("#action-error").textContent = err.message; }
}

async function unpin() {
  try {
    await api("POST", "/dispatch/unpin", { body: { booking_id: state.selected.booking } });
    await loadDay();
    $("#action-status").textContent = t("dispatch.reassign.unpinned");
  } catch (err) { $("#action-error").textContent = err.message; }
}

async function reoptimise() {
  const status = $("#reopt-status");
  try {
    const { data } = await api("POST", "/dispatch/reoptimise", { body: { day: state.day, time_limit_s: 5 } });
    status.textContent = t("dispatch.reopt.queued");
    for (let i = 0; i < 120; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const polled = (await api("GET", data.poll)).data;
      if (polled.status === "done") {
        const parts = Object.values(polled.results).map((r) => t(`dispatch.reopt.${r.status}`, { km: ((r.saved_m || 0) / 1000).toFixed(1), moved: r.moved || 0 }));
        status.textContent = parts.join(" / ");
        status.dataset.done = "1";
        await loadDay();
        return;
      }
      status.textContent = t(`dispatch.reopt.${polled.status}`);
    }
  } catch (err) { status.textContent = err.message; }
}

let timer = null;
function refreshSoon() { clearTimeout(timer); timer = setTimeout(() => loadDay().catch(() => {}), 300); }

async function start() {
  await loadDay();
  liveEvents(() => refreshSoon());
  setInterval(() => loadDay().catch(() => {}), 30000);
}

function wire() {
  const params = new URLSearchParams(location.search);
  state.day = params.get("day") || tokyoToday(0);
  $("#day-input").value = state.day;
  $("#day-input").onchange = () => { state.day = $("#day-input").value; $("#runsheet-link").href = `/runsheet?day=${state.day}`; loadDay(); };
  $("#runsheet-link").href = `/runsheet?day=${state.day}`;
  $("#check-button").onclick = () => check().catch((e) => { $("#action-error").textContent = e.message; });
  $("#target-vehicle").onchange = () => { $("#commit-button").disabled = true; $("#verdict").innerHTML = ""; };
  $("#commit-button").onclick = commit;
  $("#unpin-button").onclick = unpin;
  $("#reoptimise-button").onclick = reoptimise;
  $("#lock-vehicle").onchange = () => { state.lockOrder = []; lockMessage(""); drawLockStops(); };
  $("#lock-commit").onclick = lockOrder;
  $("#lock-clear").onclick = () => { state.lockOrder = []; lockMessage(""); drawLockStops(); };
  $("#lock-release").onclick = releaseLock;
  wireLogin();
  startPage({ start, probe: "/dispatch/alerts" });
}

load().then(wire);
