// SVG map of the service area drawn from the road graph GeoJSON (no tiles, no external resources).
// Vehicles, their routes and planned stops are drawn on top. Wheel zooms, drag pans.
"use strict";

const KanraMap = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#d1495b", "#2e86ab", "#edae49", "#66a182", "#8d5a97", "#f26419", "#00798c", "#6c757d"];
  const MAJOR_STATIONS = ["st:Takasaki", "st:Joshu-Tomioka", "st:Shimonita", "st:Joshu-Fukushima"];
  const ROAD_WIDTH = { motorway: 2.4, trunk: 2.2, primary: 2.0, secondary: 1.6, tertiary: 1.2 };
  let svg, roads, landmarks, routes, marks, view, base, lat0 = 36.2;

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  // Equirectangular projection scaled by cos(latitude): fine for a 50 km wide area.
  function project(lon, lat) {
    return [lon * Math.cos(lat0 * Math.PI / 180) * 1000, -lat * 1000];
  }

  function colour(vehicleId, ids) {
    const i = ids.indexOf(vehicleId);
    return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
  }

  function fit(features) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const f of features) {
      for (const [lon, lat] of f.geometry.coordinates) {
        const [x, y] = project(lon, lat);
        minX = Math.min(minX, x); maxX = Math.max(maxX, x);
        minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
    }
    const pad = (maxX - minX) * 0.03;
    return { x: minX - pad, y: minY - pad, w: maxX - minX + 2 * pad, h: maxY - minY + 2 * pad };
  }

  function applyView() {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
    const k = view.w / base.w;  // keep strokes and markers readable whatever the zoom
    svg.style.setProperty("--k", k);
    for (const node of svg.querySelectorAll("[data-w]")) node.setAttribute("stroke-width", node.dataset.w * k * base.w / 600);
    for (const node of svg.querySelectorAll("[data-r]")) node.setAttribute("r", node.dataset.r * k * base.w / 600);
    for (const node of svg.querySelectorAll("text")) {
      node.setAttribute("font-size", (node.dataset.size || 11) * k * base.w / 600);
    }
    // minor labels only once zoomed in, so the overview stays readable
    for (const node of svg.querySelectorAll("[data-minor]")) node.style.display = k > 0.45 ? "none" : "";
  }

  function enablePanZoom() {
    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
      const s = e.deltaY > 0 ? 1.2 : 1 / 1.2;
      const w = Math.min(base.w * 1.5, Math.max(base.w / 40, view.w * s)), h = view.h * w / view.w;
      view = { x: view.x + (view.w - w) * fx, y: view.y + (view.h - h) * fy, w, h };
      applyView();
    }, { passive: false });
    let drag = null;
    svg.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, y: e.clientY, v: { ...view } }; });
    window.addEventListener("pointerup", () => { drag = null; });
    svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const r = svg.getBoundingClientRect();
      view = { ...drag.v, x: drag.v.x - (e.clientX - drag.x) * view.w / r.width,
               y: drag.v.y - (e.clientY - drag.y) * view.h / r.height };
      applyView();
    });
  }

  function init(container, geojson) {
    const ys = geojson.features.flatMap((f) => f.geometry.coordinates.map((c) => c[1]));
    lat0 = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
    container.innerHTML = "";
    svg = el("svg", { preserveAspectRatio: "xMidYMid meet", role: "img", "aria-label": "道路網 / road network" },
      container);
    roads = el("g", { fill: "none", stroke: "#a9b6a9", "stroke-linecap": "round" }, svg);
    for (const f of geojson.features) {
      const pts = f.geometry.coordinates.map(([lon, lat]) => project(lon, lat).join(",")).join(" ");
      const hw = Array.isArray(f.properties.highway) ? f.properties.highway[0] : f.properties.highway;
      const line = el("polyline", { points: pts, "data-w": ROAD_WIDTH[hw] || 0.8 }, roads);
      if (ROAD_WIDTH[hw] >= 2) line.setAttribute("stroke", "#8e9f8e");
    }
    landmarks = el("g", {}, svg);
    routes = el("g", { class: "routes", fill: "none", "stroke-linejoin": "round", "stroke-linecap": "round" }, svg);
    marks = el("g", {}, svg);
    base = fit(geojson.features);
    view = { ...base };
    applyView();
    enablePanZoom();
  }

  // Stations and offices as small labelled squares, so staff can orient themselves.
  function places(list) {
    if (!svg) return;
    landmarks.innerHTML = "";
    for (const p of list) {
      const [x, y] = project(p.lon, p.lat);
      const station = p.kind === "station";
      el("circle", { cx: x, cy: y, "data-r": station ? 3 : 2.5, fill: station ? "#12344d" : "#fff",
        stroke: "#12344d", "data-w": 1 }, landmarks);
      const major = !station || MAJOR_STATIONS.includes(p.key);
      const t = el("text", { x, y, dx: "0.6em", dy: "0.35em", fill: station ? "#12344d" : "#5c6b7a",
        "data-size": station ? 10 : 9 }, landmarks);
      if (!major) t.dataset.minor = "1";
      t.textContent = station ? p.name_ja + "駅" : p.name_ja;
    }
    applyView();
  }

  // plans: [{vehicle_id, start, stops:[{location, kind, booking_id}], route:[[lon,lat],...]}]
  // vehicles: [{id, label, position}], places: {key: {lat, lon, name}} for labels of depots.
  function draw(plans, vehicles, highlight) {
    if (!svg) return;
    routes.innerHTML = ""; marks.innerHTML = "";
    const ids = vehicles.map((v) => v.id);
    for (const plan of plans) {
      const c = colour(plan.vehicle_id, ids);
      if (plan.route && plan.route.length > 1) {
        const pts = plan.route.map(([lon, lat]) => project(lon, lat).join(",")).join(" ");
        el("polyline", { points: pts, stroke: "#fff", "data-w": 6.5, opacity: 0.9 }, routes);
        el("polyline", { points: pts, stroke: c, "data-w": 4, opacity: 0.95 }, routes);
      }
      for (const stop of plan.stops) {
        if (stop.location.lat == null) continue;
        const [x, y] = project(stop.location.lon, stop.location.lat);
        const hot = stop.booking_id === highlight;
        el("circle", { cx: x, cy: y, "data-r": hot ? 6 : 4, fill: stop.kind === "pickup" ? "#fff" : c,
          stroke: c, "data-w": 2 }, marks);
      }
    }
    const stacked = {};  // vehicles waiting at one depot: fan them out so each stays visible
    for (const v of vehicles) {
      const plan = plans.find((p) => p.vehicle_id === v.id);
      const at = v.position || (plan && plan.start.lat != null ? plan.start : null);
      if (!at) continue;
      let [x, y] = project(at.lon, at.lat);
      const spot = `${x.toFixed(1)},${y.toFixed(1)}`;
      const n = (stacked[spot] = (stacked[spot] || 0) + 1) - 1;
      x += n * base.w / 90;
      el("circle", { cx: x, cy: y, "data-r": 7, fill: colour(v.id, ids), stroke: "#fff", "data-w": 2 }, marks);
      const t = el("text", { x, y, dy: n % 2 ? "2em" : "-1.1em", "text-anchor": "middle", fill: "#1d2733",
        "font-weight": "700" }, marks);
      t.textContent = v.label || v.id;
    }
    applyView();
  }

  // Zoom to the given [lon, lat] points (a booking's pickup and drop-off), keeping some context around.
  function focus(points) {
    if (!svg || !points.length) return;
    const xy = points.map(([lon, lat]) => project(lon, lat));
    const xs = xy.map((p) => p[0]), ys = xy.map((p) => p[1]);
    const r = svg.getBoundingClientRect(), aspect = r.height > 0 ? r.height / r.width : 1;
    const w = Math.max((Math.max(...xs) - Math.min(...xs)) * 2.2, base.w / 5);
    const cx = (Math.max(...xs) + Math.min(...xs)) / 2, cy = (Math.max(...ys) + Math.min(...ys)) / 2;
    view = { x: cx - w / 2, y: cy - (w * aspect) / 2, w, h: w * aspect };
    applyView();
  }

  function legend(container, vehicles) {
    const ids = vehicles.map((v) => v.id);
    container.innerHTML = "車両 / Vehicles:" + vehicles.map((v) =>
      `<span style="background:${colour(v.id, ids)}"></span>${escapeHtml(v.label || v.id)}`).join("");
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
  }

  return { init, places, draw, focus, legend, escapeHtml };
})();
window.KanraMap = KanraMap;  // for the ES modules of the console pages
