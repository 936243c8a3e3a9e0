// DOM building and number formatting shared by every page. Pages build
// elements (never HTML strings from data), so API text cannot inject markup.

/** h builds an element: h('a', {href: '#/x', class: 'y', onclick: fn}, child, …). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVGNS = 'http://www.w3.org/2000/svg';

/** s builds an SVG element (presentation attributes only, no inline style). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** finite reports whether v is a usable number (NaN and ±Inf reach us as null). */
export const finite = (v) => typeof v === 'number' && Number.isFinite(v);

/** num formats a number with d decimals; '—' for null. */
export function num(v, d = 3) {
  if (!finite(v)) return '—';
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  return v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** pct formats a fraction as a percentage (0.0123 → "1.23 %"). */
export function pct(v, d = 2) {
  return finite(v) ? (v * 100).toFixed(d) + ' %' : '—';
}

/** signClass colours a figure by sign. */
export const signClass = (v) => (finite(v) ? (v > 0 ? 'pos' : v < 0 ? 'neg' : '') : '');

/** when shows an ISO time as "YYYY-MM-DD HH:MM" (UTC). */
export function when(t) {
  if (!t) return '—';
  return String(t).replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z').replace(/Z$/, ' UTC');
}

/** get reads a dotted path from an object ("metrics.overall.sharpe_ann"). */
export function get(o, path) {
  let v = o;
  for (const k of path.split('.')) {
    if (v === null || v === undefined) return undefined;
    v = v[k];
  }
  return v;
}

/** badge renders a small status label. */
export const badge = (text, cls) => h('span', { class: 'badge ' + (cls || String(text).toLowerCase()) }, text);

/** kpi renders one headline figure. */
export const kpi = (k, v, cls) => h('div', { class: 'kpi' }, h('div', { class: 'v ' + (cls || '') }, v), h('div', { class: 'k' }, k));

/**
 * table renders rows with columns [{key, label, fmt?, num?, sort?}]. fmt(row)
 * returns a node or text. Headers with sort set call onSort(key).
 */
export function table(cols, rows, opts = {}) {
  const head = h('tr', null, cols.map((c) => {
    const th = h('th', { class: (c.num ? 'num ' : '') + (opts.onSort && c.sort !== false ? 'sortable' : ''), title: c.title || '' }, c.label);
    if (opts.onSort && c.sort !== false) {
      th.addEventListener('click', () => opts.onSort(c.sortKey || c.key));
      if (opts.sortKey === (c.sortKey || c.key)) th.append(opts.sortDesc ? ' ▼' : ' ▲');
    }
    return th;
  }));
  const body = rows.map((r) => {
    const tr = h('tr', { class: opts.rowClass ? opts.rowClass(r) : '' }, cols.map((c) => {
      const v = c.fmt ? c.fmt(r) : get(r, c.key);
      return h('td', { class: c.num ? 'num' : '' }, v instanceof Node ? v : (v === undefined || v === null ? '—' : String(v)));
    }));
    return tr;
  });
  const t = h('table', { class: opts.class || '' }, h('thead', null, head), h('tbody', null, body));
  return h('div', { class: 'table-wrap' }, t);
}

/** flatten turns a nested object into [[dotted path, leaf value]] (arrays are leaves). */
export function flatten(o, prefix = '', out = []) {
  for (const [k, v] of Object.entries(o || {})) {
    const p = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) flatten(v, p, out);
    else out.push([p, v]);
  }
  return out;
}

/** show renders a leaf value for tables of parameters. */
export function show(v) {
  if (v === null || v === undefined) return '—';
  if (Array.isArray(v)) return v.length ? v.join(', ') : '[]';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return num(v, 4);
  return String(v);
}

/** query parses the fragment's query string ("#/x?a=1") into an object. */
export function query() {
  const i = location.hash.indexOf('?');
  return Object.fromEntries(new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1)));
}

/** download saves text as a file the browser offers to the user. */
export function download(name, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** csv renders rows as RFC 4180 CSV with the given columns. */
export function csv(cols, rows) {
  const esc = (v) => {
    const t = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  };
  return [cols.map((c) => esc(c.label)).join(','), ...rows.map((r) => cols.map((c) => esc(c.raw ? c.raw(r) : get(r, c.key))).join(','))].join('\n') + '\n';
}

/** pager renders previous/next for a list answer {limit, offset, next_offset, total}. */
export function pager(ans, go) {
  const off = ans.offset || 0, lim = ans.limit || 50;
  return h('div', { class: 'pager' },
    h('button', { class: 'secondary', disabled: off <= 0, onclick: () => go(Math.max(0, off - lim)) }, '‹ prev'),
    h('span', { class: 'muted' }, `${ans.total ? off + 1 : 0}–${Math.min(off + lim, ans.total ?? off + lim)} of ${ans.total ?? '?'}`),
    h('button', { class: 'secondary', disabled: ans.next_offset === null || ans.next_offset === undefined, onclick: () => go(ans.next_offset) }, 'next ›'));
}
