// The console map on Leaflet (vendored, no tiles, no external requests): GeoJSON layers of the road graph,
// municipal areas, stops and places, vehicles and their routes. Labels that would overlap are hidden
// (higher priority first); a click offers the nearest place for the booking form.
import { t, escapeHtml as esc, both } from "./i18n.js";

const L = window.L;
const PALETTE = ["#d1495b", "#2e86ab", "#edae49", "#66a182", "#8d5a97", "#f26419", "#00798c", "#6c757d"];
const ROAD_WEIGHT = { motorway: 3, trunk: 2.8, primary: 2.4, secondary: 2, tertiary: 1.5 };
const MAJOR_STATIONS = new Set(["st:Takasaki", "st:Joshu-Tomioka", "st:Shimonita", "st:Joshu-Fukushima"]);
const AREA_COLOURS = { 10210: "#2e86ab", 10382: "#66a182", 10383: "#8d5a97", 10384: "#edae49" };
const LABELLED = new Set(["station", "municipal_office", "hospital"]);

let map = null, routeLayer = null, vehicleLayer = null, placeLayer = null, allPlaces = [], vehicleIds = [];
let pickHandler = null;

const colour = (id) => PALETTE[Math.max(0, vehicleIds.indexOf(id)) % PALETTE.length];
const roadKind = (p) => (Array.isArray(p.highway) ? p.highway[0] : p.highway);

/** Hide labels that overlap a label of higher priority (lower data-priority first). */
function declutter() {
  if (!map) return;
  const labels = [...map.getContainer().querySelectorAll(".map-label")];
  labels.sort((a, b) => Number(a.dataset.priority || 9) - Number(b.dataset.priority || 9));
  const kept = [];
  for (const label of labels) {
    label.style.visibility = "visible";
    const r = label.getBoundingClientRect();
    const clash = kept.some((k) => r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top);
    if (clash || (label.dataset.minZoom && map.getZoom() < Number(label.dataset.minZoom))) label.style.visibility = "hidden";
    else kept.push(r);
  }
}

function label(layer, text, priority, minZoom, direction = "right") {
  layer.bindTooltip(esc(text), { permanent: true, direction, className: "map-label", offset: direction === "top" ? [0, -8] : [6, 0] });
  layer.on("tooltipopen", (e) => {
    const el = e.tooltip.getElement();
    el.dataset.priority = priority;
    if (minZoom) el.dataset.minZoom = minZoom;
  });
}

function nearestPlace(latlng) {
  let best = null, bestD = Infinity;
  const k = Math.cos((latlng.lat * Math.PI) / 180);
  for (const p of allPlaces) {
    const dx = (p.lon - latlng.lng) * k, dy = p.lat - latlng.lat, d = dx * dx + dy * dy;
    if (d < bestD) { bestD = d; best = p; }
  }
  return best;
}

function offerPick(latlng) {
  const place = nearestPlace(latlng);
  if (!place || !pickHandler) return;
  const box = document.createElement("div");
  box.className = "map-pick";
  box.innerHTML = `<b>${esc(place.name_ja)}</b> <small>${esc(place.name_en || "")}</small><br>` +
    `<button type="button" data-which="pickup">${both("desk.place.pickup")}</button> ` +
    `<button type="button" data-which="dropoff">${both("desk.place.dropoff")}</button>`;
  const popup = L.popup({ closeButton: true }).setLatLng([place.lat, place.lon]).setContent(box).openOn(map);
  box.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-which]");
    if (!button) return;
    pickHandler(button.dataset.which, place);
    map.closePopup(popup);
  });
}

/** Build the map in ``container`` from the road graph GeoJSON. */
export function init(container, roads) {
  if (map) map.remove();
  map = L.map(container, { zoomControl: true, attributionControl: false, preferCanvas: false, minZoom: 8, maxZoom: 17,
    zoomSnap: 0.25 });
  const layer = L.geoJSON(roads, {
    style: (f) => ({ color: ROAD_WEIGHT[roadKind(f.properties)] >= 2.4 ? "#8e9f8e" : "#a9b6a9",
      weight: ROAD_WEIGHT[roadKind(f.properties)] || 1, className: "road", interactive: false }),
  }).addTo(map);
  const bounds = layer.getBounds();
  map.fitBounds(bounds, { padding: [8, 8] });
  requestAnimationFrame(() => { map.invalidateSize(); map.fitBounds(bounds, { padding: [8, 8] }); });  // after layout
  placeLayer = L.layerGroup().addTo(map);
  routeLayer = L.layerGroup().addTo(map);
  vehicleLayer = L.layerGroup().addTo(map);
  map.on("zoomend moveend", declutter);
  map.on("click", (e) => offerPick(e.latlng));
  return map;
}

/** Municipal areas (GeoJSON polygons with jis_code, name_ja), drawn under everything else. */
export function areas(geojson) {
  if (!map) return;
  const layer = L.geoJSON(geojson, {
    style: (f) => ({ color: AREA_COLOURS[f.properties.jis_code] || "#6c757d", weight: 1, fillOpacity: 0.06,
      className: "area", interactive: false }),
  }).addTo(map);
  layer.bringToBack();
  layer.eachLayer((l) => {
    const c = l.getBounds().getCenter();
    const marker = L.circleMarker(c, { radius: 0, opacity: 0, interactive: false }).addTo(map);
    label(marker, l.feature.properties.name_ja, 6, null, "center");
  });
}

/** Stops and places (GeoJSON points with key, name_ja, kind); stations, offices and hospitals are labelled. */
export function places(geojson) {
  if (!map) return;
  allPlaces = geojson.features.map((f) => ({ ...f.properties, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }));
  placeLayer.clearLayers();
  for (const p of allPlaces) {
    if (!LABELLED.has(p.kind)) continue;
    const station = p.kind === "station";
    const m = L.circleMarker([p.lat, p.lon], { radius: station ? 4 : 3, color: "#12344d", weight: 1,
      fillColor: station ? "#12344d" : "#fff", fillOpacity: 1, interactive: false,
      className: `place ${p.kind} place-${p.key.replace(/[^A-Za-z0-9_-]/g, "_")}` });
    m.addTo(placeLayer);
    const major = !station || MAJOR_STATIONS.has(p.key);
    label(m, station ? `${p.name_ja}駅` : p.name_ja, station ? (major ? 2 : 4) : 3, major ? null : 12);
  }
  setTimeout(declutter, 0);
}

/** Vehicles (id, label, position) and their day's plans (route [[lon, lat]...], stops). */
export function draw(plans, vehicles, highlight) {
  if (!map) return;
  vehicleIds = vehicles.map((v) => v.id);
  routeLayer.clearLayers();
  vehicleLayer.clearLayers();
  for (const plan of plans) {
    const c = colour(plan.vehicle_id);
    if (plan.route && plan.route.length > 1) {
      const latlngs = plan.route.map(([lon, lat]) => [lat, lon]);
      L.polyline(latlngs, { color: "#fff", weight: 7, opacity: 0.9, interactive: false }).addTo(routeLayer);
      L.polyline(latlngs, { color: c, weight: 4, opacity: 0.95, className: "route", interactive: false }).addTo(routeLayer);
    }
    for (const stop of plan.stops) {
      if (stop.location.lat == null) continue;
      const hot = stop.booking_id === highlight || stop.booking_id.split("/")[0] === highlight;
      L.circleMarker([stop.location.lat, stop.location.lon], { radius: hot ? 7 : 4, color: c, weight: 2,
        fillColor: stop.kind === "pickup" ? "#fff" : c, fillOpacity: 1, className: "stop", interactive: false }).addTo(routeLayer);
    }
  }
  const stacked = {};
  for (const v of vehicles) {
    const plan = plans.find((p) => p.vehicle_id === v.id);
    const at = v.position || (plan && plan.start.lat != null ? plan.start : null);
    if (!at) continue;
    const spot = `${at.lat.toFixed(4)},${at.lon.toFixed(4)}`;
    const n = (stacked[spot] = (stacked[spot] || 0) + 1) - 1;  // vehicles at one depot fan out
    const m = L.circleMarker([at.lat, at.lon + n * 0.004], { radius: 8, color: "#fff", weight: 2,
      fillColor: colour(v.id), fillOpacity: 1, className: "vehicle", interactive: false }).addTo(vehicleLayer);
    label(m, v.label || v.id, 1, null, "top");
  }
  setTimeout(declutter, 0);
}

/** Zoom to [lon, lat] points (a booking's pickup and drop-off) with some context. */
export function focus(points) {
  if (!map || !points.length) return;
  map.fitBounds(L.latLngBounds(points.map(([lon, lat]) => [lat, lon])).pad(0.6), { maxZoom: 14 });
}

export function legend(container, vehicles) {
  vehicleIds = vehicles.map((v) => v.id);
  container.innerHTML = `${esc(t("desk.map.vehicles"))}:` + vehicles.map((v) =>
    `<span style="background:${colour(v.id)}"></span>${esc(v.label || v.id)}`).join("");
}

/** ``handler(which, place)`` when the operator picks the nearest place of a click as pickup or drop-off. */
export function onPick(handler) { pickHandler = handler; }
