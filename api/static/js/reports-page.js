// Reports (利用実績報告): a month's or a year's municipal report, or the yearly transport results (輸送実績), from
// the history store; shown as tables, downloaded as an Excel workbook or a printable HTML page (downloads are
// audited by the server). Admin only.
import { api, ApiError, authHeaders } from "./api.js";
import { escapeHtml as esc, load, t } from "./i18n.js";
import { $, startPage, tokyoToday } from "./shell.js";
import { wireLogin } from "./staff-login.js";

const PATHS = { monthly: "/admin/reports/monthly", yearly: "/admin/reports/yearly",
  transport_results: "/admin/reports/yearly/transport-results" };
const HAS_HTML = { monthly: true, yearly: true, transport_results: false };

const failed = (err) => { $("#report-error").textContent = err.message; $("#report-status").textContent = ""; };

/** The chosen report's path (without format) and query, from the form. */
export function chosen() {
  const kind = $("#report-kind").value;
  const q = new URLSearchParams();
  if (kind === "monthly") q.set("month", $("#report-month").value);
  else q.set("year", $("#report-year").value);
  if ($("#report-municipality").value) q.set("municipality", $("#report-municipality").value);
  return { kind, path: PATHS[kind], query: q.toString() };
}

function showKind() {
  const monthly = $("#report-kind").value === "monthly";
  $("#report-month").hidden = !monthly;
  $("#report-month").required = monthly;
  $("#report-year").hidden = monthly;
  $("#report-year").required = !monthly;
  $("#report-html").hidden = !HAS_HTML[$("#report-kind").value];
}

function fillMunicipalities(list) {
  const select = $("#report-municipality");
  if (select.options.length > 1) return;
  for (const m of list) select.insertAdjacentHTML("beforeend", `<option value="${esc(m.code)}">${esc(m.name)}</option>`);
}

function renderTable({ title, header, rows }) {
  const head = header.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((v) => `<td>${esc(v)}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${header.length}">${esc(t("admin.reports.none"))}</td></tr>`;
  return `<h3>${esc(title)}</h3><table class="report"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

let shown = 0;  // the latest request: an earlier one answering later is dropped

async function show(e) {
  if (e) e.preventDefault();
  const { path, query } = chosen();
  const mine = ++shown;
  $("#report-error").textContent = "";
  $("#report-status").textContent = t("admin.reports.loading");
  try {
    const { data } = await api("GET", `${path}?${query}`);
    if (mine !== shown) return;
    fillMunicipalities(data.municipalities);
    $("#report-title").textContent = data.title;
    $("#report-meta").textContent = t("admin.reports.meta", { start: data.start, end: data.end,
      days: data.days_with_data, rule: data.cost_rule });
    $("#report-tables").innerHTML = data.tables.map(renderTable).join("");
    $("#report-view").hidden = false;
    $("#report-status").textContent = "";
  } catch (err) {
    if (mine !== shown) return;
    $("#report-view").hidden = true;
    failed(err);
  }
}

/** Fetch the chosen report as a file with the staff credentials and hand it to the browser. */
async function download(format) {
  const { path, query } = chosen();
  $("#report-error").textContent = "";
  try {
    const res = await fetch(`${path}.${format}?${query}`, { headers: authHeaders() });
    if (!res.ok) {
      const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
      throw new ApiError(res.status, data && data.detail);
    }
    const blob = await res.blob();
    const name = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") || "")?.[1] || `report.${format}`;
    const url = URL.createObjectURL(blob);
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    if (format === "html") { link.target = "_blank"; link.removeAttribute("download"); }
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $("#report-status").textContent = t("admin.reports.downloaded", { name });
  } catch (err) { failed(err); }
}

function wire() {
  const today = tokyoToday();
  const previous = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
  previous.setUTCMonth(previous.getUTCMonth() - 1);
  $("#report-month").value = previous.toISOString().slice(0, 7);
  $("#report-year").value = today.slice(0, 4);
  $("#report-kind").addEventListener("change", showKind);
  $("#report-form").addEventListener("submit", show);
  $("#report-xlsx").addEventListener("click", () => download("xlsx"));
  $("#report-html").addEventListener("click", () => download("html"));
  showKind();
  wireLogin();
  startPage({ start: () => show(), probe: "/admin/accounts" });
}

load().then(wire);
