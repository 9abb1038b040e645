// Messages of every console page from one catalogue (/static/messages.json): Japanese first, English second.
// load() once before use; t(key, params) is the Japanese text, en(key, params) the English, both(key) HTML
// "日本語 <small>English</small>". an element with data-i18n=KEY fills it; data-i18n-placeholder its placeholder.

let catalogue = {};
let loading = null;

/** Fetch the catalogue (once per page; later calls share the first fetch). */
export function load(url = "/static/messages.json") {
  if (!loading) {
    loading = fetch(url, { cache: "no-cache" }).then(async (res) => {
      if (!res.ok) throw new Error(`messages: HTTP ${res.status}`);
      catalogue = await res.json();
      return catalogue;
    });
  }
  return loading;
}

/** Use a catalogue already in hand (tests, or a page that embeds it). */
export function use(messages) { catalogue = messages; }

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (params && name in params ? String(params[name]) : whole));
}

function entry(key) {
  const found = catalogue[key];
  if (!found) console.warn(`i18n: no message ${key}`);
  return found || { ja: key, en: key };
}

export function has(key) { return key in catalogue; }
export function t(key, params) { return fill(entry(key).ja, params); }
export function en(key, params) { return fill(entry(key).en, params); }

export function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch]));
}

/** "日本語 <small>English</small>" (escaped): for labels and messages shown in the page. */
export function both(key, params) {
  return `${escapeHtml(t(key, params))} <small lang="en">${escapeHtml(en(key, params))}</small>`;
}

/** Plain "日本語 / English", for titles, placeholders and alerts. */
export function pair(key, params) { return `${t(key, params)} / ${en(key, params)}`; }

/** Fill every [data-i18n] and [data-i18n-placeholder] element under ``root``. */
export function apply(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.innerHTML = both(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = pair(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) node.title = pair(node.dataset.i18nTitle);
}
