// 定期予約: register the call's trip (places, time, return) as a weekly series; show what became of its dates.
import { post } from "./api.js";
import { call } from "./call.js";
import { t, both, pair, escapeHtml as esc } from "./i18n.js";
import { $ } from "./shell.js";

const WEEKDAYS = "月火水木金土日";
let changed = () => {};

function open() {
  $("#standing-error").textContent = "";
  $("#standing-dates").innerHTML = "";
  if (!call.rider) { $("#form-error").textContent = pair("desk.offer.need_rider"); return; }
  if (!call.pickup || !call.dropoff) { $("#form-error").textContent = pair("desk.place.choose"); return; }
  const back = $("#return-kind").value === "timed" ? ` / ${t("desk.return.label")} ${$("#return-time").value}` : "";
  $("#standing-trip").textContent = `${call.rider.name} 様 · ${call.pickup.name_ja} → ${call.dropoff.name_ja} ` +
    `${$("#time-input").value}${back}`;
  $("#standing-start").value = $("#date-input").value;
  $("#standing-end").value = "";
  $("#standing-dialog").showModal();
}

async function save() {
  const weekdays = [...document.querySelectorAll("#standing-weekdays input:checked")].map((i) => Number(i.value));
  const body = {
    rider_id: call.rider.id, weekdays, start_date: $("#standing-start").value,
    end_date: $("#standing-end").value || null,
    pickup: { place: call.pickup.key }, dropoff: { place: call.dropoff.key }, time: $("#time-input").value,
    time_kind: document.querySelector("input[name=time-kind]:checked").value,
    seats: Number($("#seats-input").value), wheelchairs: Number($("#wheelchairs-input").value), notes: $("#notes-input").value,
  };
  if ($("#return-kind").value === "timed") body.return_time = $("#return-time").value;
  try {
    const { data } = await post("/standing-bookings", body);
    $("#standing-dates").innerHTML = data.dates.map((d) =>
      `<li data-date="${esc(d.date)}" data-state="${esc(d.state)}">${esc(d.date)}（${esc(d.weekday_ja)}） ` +
      `${both(`desk.standing.state.${d.state}`)}${d.problem ? ` <small>${esc(d.problem)}</small>` : ""}</li>`).join("");
    $("#booking-status-msg").innerHTML = both("desk.standing.saved", { pattern: data.pattern_ja });
    changed();
  } catch (e) { $("#standing-error").textContent = e.message; }
}

export function wireStanding(options) {
  changed = options.changed;
  $("#standing-weekdays").innerHTML = [...WEEKDAYS].map((d, i) =>
    `<label><input type="checkbox" value="${i}"> ${d}</label>`).join("");
  $("#standing-open").onclick = open;
  $("#standing-save").onclick = save;
  $("#standing-close").onclick = () => $("#standing-dialog").close();
}
