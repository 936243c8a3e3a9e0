// The shell: header, token prompt, and a fragment router (#/page/arg?query)
// that loads each page's module on first use. Each render marks the body with
// data-page and data-ready and records its time since navigation start in
// window.__sl.paints (the UI tests read it).
import * as api from './api.js';
import { h } from './util.js';

const pages = {
  '': ['dashboard', './pages/dashboard.js'],
  models: ['models', './pages/models.js'],
  composer: ['composer', './pages/composer.js'],
  backtests: ['backtest', './pages/backtest.js'],
  compare: ['compare', './pages/compare.js'],
  leaderboard: ['leaderboard', './pages/leaderboard.js'],
  sweeps: ['sweeps', './pages/sweeps.js'],
  cards: ['cards', './pages/cards.js'],
  signals: ['signals', './pages/signals.js'],
  admin: ['admin', './pages/admin.js'],
};

window.__sl = { paints: [], errors: [] };
let generation = 0;

/** ctx is what every page receives: route args, query and liveness. */
function makeCtx(gen, args, q) {
  return {
    args, q,
    alive: () => gen === generation,
    // go navigates to another fragment.
    go: (hash) => { location.hash = hash; },
    refreshAdmin,
  };
}

/** parseHash maps the fragment to its page entry and arguments. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qstr] = raw.split('?');
  const [head, ...args] = path.split('/').map(decodeURIComponent);
  return { raw, qstr, args, entry: pages[head] || null };
}

async function route() {
  const gen = ++generation;
  const main = document.getElementById('main');
  const { raw, qstr, args, entry } = parseHash();
  document.body.dataset.ready = '';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', entry !== null && a.dataset.nav === (entry[0] === 'backtest' || entry[0] === 'compare' ? 'leaderboard' : entry[0]));
  if (!entry) {
    main.replaceChildren(h('h1', null, 'Not found'), h('p', null, 'No page ', h('code', null, '#/' + raw), '. ', h('a', { href: '#/' }, 'Dashboard')));
    mark(gen, 'notfound');
    return;
  }
  const [name, mod] = entry;
  try {
    const page = await import(mod);
    if (gen !== generation) return;
    const view = h('div', { class: 'page page-' + name });
    await page.render(view, makeCtx(gen, args, Object.fromEntries(new URLSearchParams(qstr || ''))));
    if (gen !== generation) return;
    main.replaceChildren(view);
  } catch (err) {
    if (gen !== generation) return;
    main.replaceChildren(h('h1', null, name), api.errorBox(err));
  }
  mark(gen, name);
}

function mark(gen, name) {
  if (gen !== generation) return;
  document.body.dataset.page = name;
  document.body.dataset.ready = name;
  window.__sl.paints.push({ page: name, hash: location.hash, ms: performance.now() });
}

// Token prompt: shown from the header, and on any 401/403 answer.
function promptToken(why) {
  const dlg = document.getElementById('token-dialog');
  document.getElementById('token-why').textContent = why ||
    'Paste an API token; it is kept in this browser\'s storage and sent as Authorization: Bearer.';
  document.getElementById('token-input').value = '';
  if (!dlg.open) dlg.showModal();
}

async function refreshAdmin() {
  const link = document.getElementById('nav-admin');
  const btn = document.getElementById('token-btn');
  btn.textContent = api.token() ? 'Token ✓' : 'Sign in';
  btn.hidden = !api.has('GET', '/admin/users') && !api.token();
  // Admin is shown to admins only: a stored token that the admin surface accepts.
  if (!api.token() || !api.has('GET', '/admin/users')) { link.hidden = true; return false; }
  try {
    await api.get('/admin/users?limit=1', { quiet: true });
    link.hidden = false;
    return true;
  } catch {
    link.hidden = true;
    return false;
  }
}

async function start() {
  window.addEventListener('error', (e) => window.__sl.errors.push(String(e.message)));
  // The page's module loads while the route index is fetched.
  const first = parseHash().entry;
  if (first) import(first[1]).catch(() => {});
  await api.init();
  const docs = document.getElementById('docs-link');
  if (!api.has('GET', '/docs')) { docs.href = '/'; docs.textContent = 'API index'; docs.title = 'GET / lists every route (interactive /docs is not on this server)'; }
  document.getElementById('token-btn').addEventListener('click', () => promptToken());
  document.getElementById('token-dialog').addEventListener('close', async () => {
    const v = document.getElementById('token-dialog').returnValue;
    if (v === 'save') api.setToken(document.getElementById('token-input').value.trim());
    if (v === 'clear') api.setToken('');
    if (v === 'save' || v === 'clear') { await refreshAdmin(); route(); }
  });
  let prompting = false;
  api.onAuthError((err) => {
    if (prompting) return;
    prompting = true;
    setTimeout(() => { prompting = false; }, 1000);
    promptToken((err.status === 401 ? 'This needs a token' : 'This token may not do that') + ' (' + err.status + ': ' + err.message + '). Paste a token:');
  });
  window.addEventListener('hashchange', route);
  refreshAdmin();
  await route();
}

start();
