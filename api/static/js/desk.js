// The phone desk page: one call at a time (次の電話 starts the next), the day's bookings, call-backs, map.
import { api } from "./api.js";
import { call, newCall } from "./call.js";
import { escapeHtml as esc, load } from "./i18n.js";
import { setVehicles } from "./format.js";
import { $, liveEvents, startPage, tokyoToday } from "./shell.js";
import { wireRider } from "./desk-rider.js";
import { showPlaced, wireOffer } from "./desk-offer.js";
import { wireStanding } from "./desk-standing.js";
import { loadBookings, loadCallbacks, loadManifest, showDetail, wireLists } from "./desk-lists.js";
import { wireRiderCard } from "./desk-rider-card.js";

const Map = window.KanraMap;
const state = { day: null, vehicles: [], plans: [] };

function focusBooking(b) {
  const pts = [b.pickup, b.dropoff].filter((p) => p && p.lat != null).map((p) => [p.lon, p.lat]);
  Map.focus(pts);
}

function showVehicle(id) {
  if (id && [...$("#vehicle-select").options].some((o) => o.value === id)) $("#vehicle-select").value = id;
}

async function loadMap() {
  const { data } = await api("GET", `/dispatch/plans?day=${state.day}`);
  state.plans = data.plans;
  Map.draw(state.plans, state.vehicles, call.booking && call.booking.id);
}

let refreshTimer = null;
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadBookings().catch(() => {});
    loadCallbacks().catch(() => {});
    loadManifest().catch(() => {});
    loadMap().catch(() => {});
  }, 100);
}

async function start() {
  state.day = $("#day-input").value || tokyoToday(0);
  const [geo, vehicles, stations, offices] = await Promise.all([
    api("GET", "/network.geojson"), api("GET", "/vehicles"),
    api("GET", "/places?kind=station&limit=50"), api("GET", "/places?kind=municipal_office&limit=10")]);
  Map.init($("#map"), geo.data);
  Map.places([...stations.data, ...offices.data]);
  state.vehicles = vehicles.data;
  setVehicles(state.vehicles);
  Map.legend($("#map-legend"), state.vehicles);
  $("#vehicle-select").innerHTML = state.vehicles.map((v) =>
    `<option value="${esc(v.id)}">${esc(v.label || v.id)} · ${v.seats}席` +
    `${v.wheelchair_places ? " · 車いす" + v.wheelchair_places : ""}</option>`).join("");
  refresh();
  liveEvents(() => refresh());
}

function wire() {
  $("#day-input").value = tokyoToday(0);
  $("#date-input").value = tokyoToday(0);
  const day = () => state.day || $("#day-input").value;
  wireRider();
  wireOffer({ changed: refresh, day, focus: focusBooking, showVehicle });
  wireLists({ day, changed: refresh, focus: focusBooking });
  wireRiderCard({ openBooking: (id) => showDetail(id).catch((e) => { $("#form-error").textContent = e.message; }),
    placed: (b) => { showPlaced(b); refresh(); } });
  wireStanding({ changed: refresh });
  $("#next-call").onclick = () => { newCall(); $("#rider-phone").focus(); };
  $("#day-input").onchange = () => { state.day = $("#day-input").value; $("#date-input").value = state.day; refresh(); };
  startPage({ start });
}

load().then(wire);
