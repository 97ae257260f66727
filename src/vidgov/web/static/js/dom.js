// Building DOM from data: text always goes in as text, never as HTML (catalog values are
// typed by clerks and must not become markup).

/** h("a", {href: "/x", class: "y"}, "text", child, ...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Replace the children of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  el.append(...children.flat().filter((c) => c !== null && c !== undefined)
    .map((c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return el;
}

/** A table from column specs [{key, label, cell(row)}] and rows; `empty` when none. */
export function table(columns, rows, empty) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label))));
  const body = h("tbody", {}, rows.length
    ? rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class },
      c.cell ? c.cell(row) : (row[c.key] ?? "")))))
    : h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)));
  return h("table", { class: "grid" }, head, body);
}

export function pct(value) {
  return value === null || value === undefined ? "–" : `${Number(value).toFixed(1)}%`;
}

export function num(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString();
}

/** An ISO timestamp as local "YYYY-MM-DD HH:mm". */
export function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} `
    + `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The page's URL query as a plain object. */
export function urlParams() {
  return Object.fromEntries(new URLSearchParams(location.search));
}

/** Rewrite the page's URL query (without a reload) so filters survive reloads and links. */
export function setUrlParams(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") search.set(k, v);
  const text = search.toString();
  history.replaceState(null, "", location.pathname + (text ? `?${text}` : ""));
}
