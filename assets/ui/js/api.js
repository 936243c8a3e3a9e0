// The API client: same origin, JSON bodies (the server's loopback safety wants
// Content-Type: application/json on writes), the stored token as a Bearer
// credential, and the route index so pages never call a route the server
// does not have (a missing feature shows "not available", not a 404).
import { h } from './util.js';

const TOKEN_KEY = 'sigmalab.token';

/** ApiError carries the API's status, code, message and field details. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || 'HTTP ' + status);
    this.status = status;
    this.code = body && body.code;
    this.detail = (body && Array.isArray(body.detail) && body.detail) || [];
    this.body = body;
  }
}

let routes = null; // [{method, re}]
let version = '';

/** init loads the route index once (embedded in the page, else GET /). */
export async function init() {
  if (routes) return;
  // The page carries the route index; a page without it asks GET /.
  const inline = document.getElementById('sl-routes');
  const body = inline ? JSON.parse(inline.textContent) : await (await fetch('/', { headers: { Accept: 'application/json' } })).json();
  version = body.version || '';
  routes = (body.routes || []).map((rt) => ({
    method: rt.method,
    path: rt.path,
    re: new RegExp('^' + rt.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+').replace(/\*[A-Za-z_]+$/, '.*') + '$'),
  }));
}

/** serverVersion is the version the route index reported. */
export const serverVersion = () => version;

/** has reports whether the server registers method path (path may hold concrete ids). */
export function has(method, path) {
  const p = path.split('?')[0];
  return !!routes && routes.some((r) => r.method === method && r.re.test(p));
}

export const token = () => localStorage.getItem(TOKEN_KEY) || '';
export const setToken = (t) => (t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY));

/** Unavailable is thrown (without a request) for a route this server lacks. */
export class Unavailable extends Error {
  constructor(method, path) {
    super(method + ' ' + path.split('?')[0] + ' is not available on this server');
    this.unavailable = true;
  }
}

async function call(method, path, body, opts = {}) {
  if (!has(method, path)) throw new Unavailable(method, path);
  const headers = { Accept: 'application/json' };
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  let data = null;
  const ct = r.headers.get('Content-Type') || '';
  if (ct.includes('json')) data = await r.json();
  else data = { ok: r.ok, text: await r.text() };
  if (!r.ok || (data && data.ok === false && r.status >= 400)) {
    const err = new ApiError(r.status, data);
    if ((r.status === 401 || r.status === 403) && !opts.quiet) authListeners.forEach((f) => f(err));
    throw err;
  }
  return Object.assign(data || {}, { _status: r.status });
}

const authListeners = [];
/** onAuthError registers f to run on every 401/403 (the token prompt). */
export const onAuthError = (f) => authListeners.push(f);

export const get = (path, opts) => call('GET', path, undefined, opts);
export const post = (path, body) => call('POST', path, body ?? {});
export const put = (path, body) => call('PUT', path, body);
export const patch = (path, body) => call('PATCH', path, body);

/** qs builds a query string from the non-empty fields of o. */
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

/** rows returns the list a list answer carries (rows, models, cards, …). */
export function rows(ans, ...keys) {
  for (const k of [...keys, 'rows', 'data', 'items', 'results']) if (Array.isArray(ans && ans[k])) return ans[k];
  for (const v of Object.values(ans || {})) if (Array.isArray(v)) return v;
  return [];
}

/**
 * errorBox renders an API error as the API gives it: message, code and each
 * detail's location. Unavailable routes render as a quiet notice.
 */
export function errorBox(err) {
  if (err && err.unavailable) return h('div', { class: 'unavailable' }, 'Not available: ', err.message, '.');
  if (!(err instanceof ApiError)) return h('div', { class: 'error' }, String((err && err.message) || err));
  return h('div', { class: 'error', role: 'alert' },
    h('strong', null, err.status + ' ' + (err.code || '')), ' ', err.message,
    err.detail.length ? h('ul', null, err.detail.map((d) => h('li', null, h('code', null, (d.loc || []).join('.')), ': ', d.msg))) : null);
}

/**
 * pollJob follows GET /jobs/{id} until it ends, calling onTick(job) each time;
 * resolves with the final job. stop() (returned in onTick's second argument)
 * ends the polling early (page left).
 */
export async function pollJob(id, onTick, { interval = 400, alive = () => true } = {}) {
  for (;;) {
    const ans = await get('/jobs/' + encodeURIComponent(id));
    const job = ans.job || ans;
    onTick(job);
    if (['completed', 'failed', 'cancelled', 'interrupted'].includes(job.status)) return job;
    if (!alive()) return job;
    await new Promise((r) => setTimeout(r, interval));
  }
}
