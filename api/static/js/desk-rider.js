// The caller: search by phone (full or part) or name (kanji or kana), choose, register. The chosen rider is
// shown in the call banner for the whole call; only an operator's click changes it.
import { api, post } from "./api.js";
import { call, chooseRider, isCurrent, newCall, onNewCall, onRider } from "./call.js";
import { t, both, escapeHtml as esc } from "./i18n.js";
import { fareClass, mobilityKeys } from "./format.js";
import { $ } from "./shell.js";

const FARE_CLASSES = ["resident", "senior", "disabled", "student", "visitor"];

function riderLine(r) {
  const kana = r.kana ? `<span class="kana">${esc(r.kana)}</span>` : "";
  const inactive = r.active === false ? ` <small>(${esc(t("desk.rider.inactive"))})</small>` : "";
  const mobility = mobilityKeys(r).map((k) => t(k)).join("・");
  return `${esc(r.name)}${kana} <small>${esc(r.phone)} · ${esc(fareClass(r.fare_class))}` +
    `${mobility ? " · " + esc(mobility) : ""}</small>${inactive}`;
}

function renderBanner(rider) {
  const box = $("#call-rider");
  box.classList.toggle("none", !rider);
  if (!rider) {
    box.innerHTML = both("desk.call.no_rider");
    box.dataset.riderId = "";
    return;
  }
  box.dataset.riderId = rider.id;
  const tags = [`<span class="tag">${esc(fareClass(rider.fare_class))}</span>`]
    .concat(mobilityKeys(rider).map((k) => `<span class="tag mobility">${esc(t(k))}</span>`));
  const place = rider.home && rider.home.name ? ` · ${esc(rider.home.name)}` : "";
  box.innerHTML = `<div class="label">${both("desk.call.rider")}</div>` +
    `<div class="who" id="call-rider-name">${esc(rider.name)} 様` +
    `${rider.kana ? `<span class="kana">${esc(rider.kana)}</span>` : ""}</div>` +
    `<div class="facts">${esc(rider.phone)}${place} ${tags.join("")}</div>` +
    (rider.care_notes || rider.notes ? `<div class="facts">${esc(rider.care_notes || rider.notes)}</div>` : "");
}

let asked = 0;

/** A new search is a new call: the previous rider and every field are cleared before anything is shown. */
export async function searchRider() {
  const query = $("#rider-phone").value.trim();
  const token = newCall();
  $("#rider-phone").value = query;
  const list = $("#rider-results");
  if (!query) return;
  const mine = ++asked;
  const param = /\d/.test(query) ? `phone=${encodeURIComponent(query)}` : `name=${encodeURIComponent(query)}`;
  try {
    const { data } = await api("GET", `/riders?${param}`);
    if (mine !== asked || !isCurrent(token)) return;  // a later search or a new call superseded this one
    list.innerHTML = "";
    if (!data.length) {
      list.innerHTML = `<li class="none">${both("desk.rider.none_found")}</li>`;
      $("#rider-register").open = true;
      if (/\d/.test(query)) $("#new-rider-phone").value = query;
      else $("#new-rider-name").value = query;
      return;
    }
    for (const r of data) {
      const li = document.createElement("li");
      li.className = r.active === false ? "rider-item inactive" : "rider-item";
      li.dataset.id = r.id;
      li.innerHTML = riderLine(r);
      if (r.active !== false) li.onclick = () => { if (isCurrent(token)) take(r); };
      list.appendChild(li);
    }
  } catch (e) { if (isCurrent(token)) $("#form-error").textContent = e.message; }
}

function take(rider) {
  if (!chooseRider(rider)) return;
  $("#rider-results").innerHTML = "";
  $("#rider-register").open = false;
  const m = mobilityKeys(rider);
  if (m.includes("desk.rider.wheelchair")) { $("#wheelchairs-input").value = 1; $("#seats-input").value = 0; }
}

export async function registerRider(onHome) {
  const token = call.token;
  const body = {
    name: $("#new-rider-name").value.trim(),
    phone: $("#new-rider-phone").value.trim() || $("#rider-phone").value.trim(),
    fare_class: $("#new-rider-fare").value,
    wheelchair: $("#new-rider-wheelchair").checked,
  };
  const kana = $("#new-rider-kana").value.trim();
  if (kana) body.kana = kana;
  $("#form-error").textContent = "";
  try {
    const { data } = await post("/riders", body);
    if (!isCurrent(token)) return;
    take(data);
    $("#booking-status-msg").innerHTML = both("desk.rider.registered", { name: data.name });
    if (onHome) onHome(data);
  } catch (e) { if (isCurrent(token)) $("#form-error").textContent = e.message; }
}

export function wireRider() {
  $("#new-rider-fare").innerHTML = FARE_CLASSES.map((c) => `<option value="${c}">${esc(fareClass(c))}</option>`).join("");
  $("#rider-search").onclick = searchRider;
  $("#rider-phone").addEventListener("keydown", (e) => { if (e.key === "Enter") searchRider(); });
  $("#new-rider-save").onclick = () => registerRider();
  onRider(renderBanner);
  onNewCall(() => {
    $("#rider-phone").value = "";
    $("#rider-results").innerHTML = "";
    for (const id of ["new-rider-name", "new-rider-kana", "new-rider-phone"]) $(`#${id}`).value = "";
    $("#new-rider-wheelchair").checked = false;
    $("#new-rider-fare").value = "resident";
    $("#rider-register").open = false;
  });
  renderBanner(null);
}
