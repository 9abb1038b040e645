// The phone desk page: one call at a time (次の電話 starts the next), the day's bookings, call-backs, map.
import { api, post } from "./api.js";
import { call, newCall } from "./call.js";
import { escapeHtml as esc, load } from "./i18n.js";
import { setVehicles } from "./format.js";
import { $, liveEvents, startPage, tokyoToday } from "./shell.js";
import { wireRider } from "./desk-rider.js";
import { setPlace, showPlaced, wireOffer } from "./desk-offer.js";
import { wireStanding } from "./desk-standing.js";
import { loadBookings, loadCallbacks, loadManifest, showDetail, wireLists } from "./desk-lists.js";
import { wireRiderCard } from "./desk-rider-card.js";

import * as KanraMap from "./map.js";
const state = { day: null, vehicles: [], plans: [] };

function focusBooking(b) {
  const pts = [b.pickup, b.dropoff].filter((p) => p && p.lat != null).map((p) => [p.lon, p.lat]);
  KanraMap.focus(pts);
}

function showVehicle(id) {
  if (id && [...$("#vehicle-select").options].some((o) => o.value === id)) $("#vehicle-select").value = id;
}

async function loadMap() {
  const { data } = await api("GET", `/dispatch/plans?day=${state.day}`);
  state.plans = data.plans;
  KanraMap.draw(state.plans, state.vehicles, call.booking && call.booking.id);
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
  const [geo, vehicles, places, areas] = await Promise.all([
    api("GET", "/network.geojson"), api("GET", "/vehicles"), api("GET", "/map/places.geojson"),
    api("GET", "/map/areas.geojson")]);
  KanraMap.init($("#map"), geo.data);
  const network = geo.data.network;  // what the drive times rest on (skeleton or OpenStreetMap, calibration)
  if (network) $("#map-caption").textContent = `${network.caption_ja} / ${network.caption_en}`;
  KanraMap.areas(areas.data);
  KanraMap.places(places.data);
  KanraMap.onPick((which, place) => setPlace(which, place));
  state.vehicles = vehicles.data;
  setVehicles(state.vehicles);
  KanraMap.legend($("#map-legend"), state.vehicles);
  $("#vehicle-select").innerHTML = state.vehicles.map((v) =>
    `<option value="${esc(v.id)}">${esc(v.label || v.id)} · ${v.seats}席` +
    `${v.wheelchair_places ? " · 車いす" + v.wheelchair_places : ""}</option>`).join("");
  // standing bookings whose dates entered the horizon since the last run are booked now (idempotent)
  post("/standing-bookings/materialise").then(refresh).catch(() => {});
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
