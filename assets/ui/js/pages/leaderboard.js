// Leaderboard: filters, sortable columns, pagination, CSV export, and
// selection of runs to compare.
import * as api from '../api.js';
import { h, table, badge, num, pct, signClass, when, csv, download, pager } from '../util.js';

// Columns the server orders by; the others sort the page in place.
const SERVER_ORDER = ['sharpe_hourly', 'cum_ret', 'dsr', 'created_at'];

export async function render(root, ctx) {
  root.append(h('h1', null, 'Leaderboard'));
  const q = { order_by: 'sharpe_hourly', limit: 25, offset: 0, ...ctx.q };
  const f = (name, ph, size = 14) => h('input', { name, value: q[name] || '', placeholder: ph, size });
  const inputs = { model_id: f('model_id', 'model id', 26), pack_id: f('pack_id', 'pack'), tag: f('tag', 'tag', 10), min_dsr: f('min_dsr', '0..1', 5) };
  const gate = h('select', { name: 'pass_gate' }, h('option', { value: '' }, 'any'), h('option', { value: 'true', selected: q.pass_gate === 'true' }, 'pass'), h('option', { value: 'false', selected: q.pass_gate === 'false' }, 'fail'));
  const order = h('select', { name: 'order_by' }, SERVER_ORDER.map((o) => h('option', { value: o, selected: q.order_by === o }, o)));
  const selected = new Set();
  const cmp = h('button', { id: 'compare-btn', disabled: true, onclick: () => ctx.go('#/compare?ids=' + [...selected].join(',')) }, 'Compare selected');
  const exp = h('button', { class: 'secondary', id: 'csv-btn' }, 'Export CSV');
  const body = h('div');
  root.append(h('form', { class: 'inline card', onsubmit: (e) => { e.preventDefault(); q.offset = 0; load(); } },
    Object.entries(inputs).map(([k, el]) => h('label', null, k, el)), h('label', null, 'gate', gate), h('label', null, 'order by', order),
    h('button', { type: 'submit' }, 'Filter'), cmp, exp), body);
  let sortKey = q.order_by, desc = true, lastRows = [];

  const cols = [
    { key: 'sel', label: '✓', sort: false, fmt: (r) => h('input', { type: 'checkbox', class: 'pick', checked: selected.has(String(r.id)), 'aria-label': 'select run ' + r.id,
      onchange: (e) => { e.target.checked ? selected.add(String(r.id)) : selected.delete(String(r.id)); cmp.disabled = selected.size < 2; cmp.textContent = `Compare selected (${selected.size})`; } }) },
    { key: 'id', label: 'run', num: true, fmt: (r) => h('a', { href: '#/backtests/' + r.id }, '#' + r.id), raw: (r) => r.id },
    { key: 'model_id', label: 'model' }, { key: 'tag', label: 'tag' },
    { key: 'sweep_id', label: 'sweep', fmt: (r) => (r.sweep_id ? h('a', { href: '#/sweeps/' + r.sweep_id }, '#' + r.sweep_id) : '—'), raw: (r) => r.sweep_id },
    { key: 'sharpe_hourly', label: 'Sharpe/period', num: true, fmt: (r) => num(r.best_sharpe_hourly, 4), raw: (r) => r.best_sharpe_hourly, val: (r) => r.best_sharpe_hourly },
    { key: 'sharpe_ann', label: 'Sharpe (ann.)', num: true, fmt: (r) => num(r.metrics?.overall?.sharpe_ann, 2), raw: (r) => r.metrics?.overall?.sharpe_ann, val: (r) => r.metrics?.overall?.sharpe_ann },
    { key: 'cum_ret', label: 'cum. return', num: true, fmt: (r) => h('span', { class: signClass(r.cum_ret) }, pct(r.cum_ret)), raw: (r) => r.cum_ret, val: (r) => r.cum_ret },
    { key: 'max_drawdown', label: 'max DD', num: true, fmt: (r) => pct(r.max_drawdown), raw: (r) => r.max_drawdown, val: (r) => r.max_drawdown },
    { key: 'trades', label: 'trades', num: true, raw: (r) => r.trades, val: (r) => r.trades },
    { key: 'win_rate', label: 'hit rate', num: true, fmt: (r) => pct(r.win_rate, 1), raw: (r) => r.win_rate, val: (r) => r.win_rate },
    { key: 'dsr', label: 'DSR', num: true, fmt: (r) => num(r.dsr, 3), raw: (r) => r.dsr, val: (r) => r.dsr },
    { key: 'gate_pass', label: 'gate', fmt: (r) => badge(r.gate_pass ? 'pass' : 'fail'), raw: (r) => r.gate_pass },
    { key: 'created_at', label: 'created', fmt: (r) => when(r.created_at), raw: (r) => r.created_at, val: (r) => r.created_at },
  ];

  function draw(ans) {
    let rows = lastRows;
    if (!SERVER_ORDER.includes(sortKey)) {
      const c = cols.find((x) => x.key === sortKey);
      const v = c.val || ((r) => r[c.key]);
      rows = [...rows].sort((a, b) => { const x = v(a), y = v(b); return (x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1) * (desc ? -1 : 1); });
    }
    body.replaceChildren(table(cols, rows, { class: 'leaderboard', sortKey, sortDesc: desc, onSort: (k) => {
      if (k === sortKey) desc = !desc; else { sortKey = k; desc = true; }
      if (SERVER_ORDER.includes(k)) { order.value = k; q.offset = 0; load(); } else draw(ans);
    } }), pager(ans, (o) => { q.offset = o; load(); }));
  }

  function params() {
    const p = { limit: q.limit, offset: q.offset, order_by: order.value, pass_gate: gate.value };
    for (const [k, el] of Object.entries(inputs)) p[k] = el.value.trim();
    return p;
  }

  async function load() {
    try {
      const ans = await api.get('/leaderboard' + api.qs(params()));
      lastRows = api.rows(ans);
      sortKey = order.value;
      draw(ans);
      if (!lastRows.length) body.prepend(h('p', { class: 'muted' }, 'No saved run matches.'));
    } catch (err) { body.replaceChildren(api.errorBox(err)); }
  }

  exp.addEventListener('click', async (e) => {
    e.preventDefault();
    // Every matching row (up to 5,000), not only the page shown.
    const all = [];
    try {
      for (let off = 0; off < 5000;) {
        const ans = await api.get('/leaderboard' + api.qs({ ...params(), limit: 500, offset: off }));
        all.push(...api.rows(ans));
        if (ans.next_offset === null || ans.next_offset === undefined) break;
        off = ans.next_offset;
      }
      download('leaderboard.csv', csv(cols.filter((c) => c.key !== 'sel'), all));
    } catch (err) { body.prepend(api.errorBox(err)); }
  });
  await load();
}
