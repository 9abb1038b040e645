// Small formatters shared by the console pages: statuses, fare classes, places, vehicles.
import { t, en, escapeHtml as esc, both } from "./i18n.js";

/** The status a booking shows: the API's ``state`` (offered, lapsed, declined, ...) or its raw status. */
export const stateOf = (b) => b.state || b.status;

export function statusBadge(b) {
  const s = stateOf(b);
  return `<span class="badge ${esc(s)}" title="${esc(en(`status.${s}`))}">${esc(t(`status.${s}`))}</span>`;
}

export function fareClass(code) { return t(`common.fare_class.${code}`); }

/** Mobility aids of a rider as catalogue keys (registry ``mobility`` or the older ``wheelchair`` flag). */
export function mobilityKeys(rider) {
  const m = rider.mobility || {};
  const keys = [];
  if (m.wheelchair || rider.wheelchair) keys.push("desk.rider.wheelchair");
  if (m.walker) keys.push("desk.rider.walker");
  if (m.door_help) keys.push("desk.rider.door_help");
  return keys;
}

export const KINDS = ["station", "hospital", "clinic", "municipal_office", "school", "supermarket", "shopping", "tourism", "oaza"];
export const kindLabel = (kind) => (KINDS.includes(kind) ? t(`common.kind.${kind}`) : kind);

let vehicleLabels = {};
export function setVehicles(vehicles) {
  vehicleLabels = Object.fromEntries(vehicles.map((v) => [v.id, v.label || v.id]));
}
/** A vehicle as staff say it (富岡 2号), its id only when it has no label. */
export const vehicleLabel = (id) => (id ? vehicleLabels[id] || id : "");

export { esc, both };
