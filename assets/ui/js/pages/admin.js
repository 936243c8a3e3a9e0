// Admin: users and tokens (a new token is shown once), quotas, flags, risk
// profiles, templates, jobs, audit. Shown to admins only; a 401/403 opens the
// token prompt.
import * as api from '../api.js';
import { h, table, show, badge } from '../util.js';

const SECTIONS = [
  ['users', 'Users and tokens', '/admin/users'], ['quotas', 'Quotas', '/admin/quotas'], ['flags', 'Flags', '/admin/flags'],
  ['risk', 'Risk profiles', '/admin/risk-profiles'], ['templates', 'Templates', '/admin/templates'], ['jobs', 'Jobs', '/admin/jobs'],
  ['audit', 'Audit', '/admin/audit'], ['health', 'Health', '/admin/health'],
];

export async function render(root, ctx) {
  root.append(h('h1', null, 'Admin'));
  if (!api.has('GET', '/admin/users')) { root.append(h('div', { class: 'unavailable', id: 'admin-unavailable' }, 'The admin surface is not available on this server.')); return; }
  if (!api.token()) {
    root.append(h('div', { class: 'notice', id: 'admin-signin' }, 'Admin needs an admin token. ', h('button', { onclick: () => document.getElementById('token-btn').click() }, 'Sign in')));
    return;
  }
  const sec = ctx.args[0] || 'users';
  root.append(h('div', { class: 'row' }, SECTIONS.filter(([, , p]) => api.has('GET', p)).map(([k, t]) => h('a', { href: '#/admin/' + k, class: k === sec ? 'active' : '' }, h('button', { class: k === sec ? '' : 'secondary' }, t)))));
  const entry = SECTIONS.find(([k]) => k === sec);
  if (!entry) return;
  const [, title, path] = entry;
  const card = h('div', { class: 'card', id: 'admin-' + sec }, h('h2', null, title));
  root.append(card);
  let ans;
  try { ans = await api.get(path + (sec === 'jobs' || sec === 'audit' ? '?limit=50' : '')); } catch (err) { card.append(api.errorBox(err)); return; }
  if (sec === 'users') return renderUsers(card, ans);
  const rows = listOf(ans);
  if (rows) card.append(genericTable(rows));
  else card.append(table([{ key: 0, label: 'key', fmt: (r) => h('code', null, r[0]) }, { key: 1, label: 'value', fmt: (r) => show(r[1]) }],
    Object.entries(ans).filter(([k]) => k !== 'ok' && k !== '_status')));
  if (sec === 'flags' && rows && api.has('PATCH', '/admin/flags')) {
    for (const tr of card.querySelectorAll('tbody tr')) {
      const i = [...tr.parentNode.children].indexOf(tr), fl = rows[i];
      if (!fl || fl.key === undefined) continue;
      tr.append(h('td', null, h('button', { class: 'secondary', onclick: async () => {
        try { await api.patch('/admin/flags', { key: fl.key, enabled: !fl.enabled }); ctx.go('#/admin/flags?t=' + Date.now()); } catch (err) { card.prepend(api.errorBox(err)); }
      } }, fl.enabled ? 'Disable' : 'Enable')));
    }
  }
}

function listOf(ans) {
  for (const [k, v] of Object.entries(ans)) if (Array.isArray(v) && k !== 'detail') return v;
  return null;
}

function genericTable(rows) {
  if (!rows.length) return h('p', { class: 'muted' }, 'Nothing here.');
  const keys = [...new Set(rows.slice(0, 50).flatMap((r) => (r && typeof r === 'object' ? Object.keys(r) : ['value'])))].slice(0, 12);
  return table(keys.map((k) => ({ key: k, label: k, fmt: (r) => (typeof r === 'object' ? show(r[k]) : show(r)) })), rows);
}

function renderUsers(card, ans) {
  const users = listOf(ans) || [];
  const out = h('div', { id: 'token-out' });
  const uid = (u) => u.id ?? u.user_id ?? u.name ?? u.email;
  const showToken = (who, r) => {
    const t = r.token_once ?? r.token ?? r.api_token ?? r.new_token;
    out.replaceChildren(h('div', { class: 'notice' }, `New token for ${who} — shown once, copy it now:`,
      h('div', { class: 'token-once', id: 'token-once' }, typeof t === 'string' ? t : JSON.stringify(r)), r.note ? h('p', { class: 'hint' }, r.note) : null));
  };
  if (api.has('POST', '/admin/users')) {
    const id = h('input', { name: 'user_id', placeholder: 'e.g. alice', size: 14 });
    const email = h('input', { name: 'email', placeholder: 'optional', size: 18 });
    const role = h('select', { name: 'role' }, ['viewer', 'researcher', 'admin'].map((r) => h('option', { value: r, selected: r === 'researcher' }, r)));
    card.append(h('form', { class: 'inline', id: 'create-user', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await api.post('/admin/users', { id: id.value.trim(), role: role.value, email: email.value.trim() || undefined });
        showToken(id.value.trim(), r);
        const row = r.user || { id: id.value.trim(), role: role.value };
        users.push(row);
        tbl.replaceWith(tbl = usersTable());
      } catch (err) { out.replaceChildren(api.errorBox(err)); }
    } }, h('label', null, 'new user', id), h('label', null, 'role', role), h('label', null, 'email', email), h('button', { type: 'submit', id: 'create-user-btn' }, 'Create user')));
  }
  const usersTable = () => table([
    { key: 'id', label: 'user', fmt: (u) => String(uid(u)) }, { key: 'name', label: 'name', fmt: (u) => u.name || u.email || '—' },
    { key: 'role', label: 'role', fmt: (u) => badge(u.role || '?', 'pack') }, { key: 'status', label: 'status', fmt: (u) => badge(u.status || 'active', (u.status || 'active') === 'active' ? 'ok' : 'fail') },
    { key: 'tokens', label: 'tokens', fmt: (u) => show(u.tokens?.length ?? u.token_prefix ?? u.tokens) },
    { key: 'x', label: '', fmt: (u) => api.has('POST', `/admin/users/${uid(u)}/rotate_token`) ? h('button', { class: 'secondary rotate', 'data-user': String(uid(u)), onclick: async (e) => {
      if (!confirm(`Rotate the token of ${uid(u)}? The old token stops working at once.`)) return;
      e.target.disabled = true;
      try {
        const r = await api.post(`/admin/users/${encodeURIComponent(uid(u))}/rotate_token`, {});
        showToken(uid(u), r);
      } catch (err) { out.replaceChildren(api.errorBox(err)); }
      e.target.disabled = false;
    } }, 'Rotate token') : '' },
  ], users, { class: 'users-table' });
  let tbl = usersTable();
  card.append(out, tbl);
}
