// Sweeps: the list, and one sweep's results table with a heatmap of
// thresholds (or top_pct) × allowed hours coloured by Sharpe, failed cells marked.
import * as api from '../api.js';
import { h, table, badge, num, pct, signClass, when, pager } from '../util.js';
import { heatmap } from '../charts.js';

export async function render(root, ctx) {
  if (ctx.args[0]) return renderSweep(root, ctx.args[0]);
  root.append(h('h1', null, 'Sweeps'));
  const body = h('div');
  root.append(body);
  const load = async (offset = 0) => {
    const ans = await api.get('/sweeps' + api.qs({ model_id: ctx.q.model_id, limit: 50, offset }));
    const rows = api.rows(ans, 'sweeps');
    body.replaceChildren(rows.length ? table([
      { key: 'id', label: 'sweep', fmt: (r) => h('a', { href: '#/sweeps/' + r.id }, '#' + r.id) }, { key: 'model_id', label: 'model' }, { key: 'tag', label: 'tag' },
      { key: 'status', label: 'status', fmt: (r) => badge(r.status || '?') }, { key: 'count', label: 'cells', num: true }, { key: 'filtered', label: 'passed', num: true },
      { key: 'pbo', label: 'PBO', num: true, fmt: (r) => pct(r.pbo, 0) }, { key: 'created_at', label: 'created', fmt: (r) => when(r.created_at) },
    ], rows) : h('p', { class: 'muted' }, 'No sweep yet: run one from the ', h('a', { href: '#/composer' }, 'composer'), '.'), pager(ans, load));
  };
  await load();
}

const rowLabelOf = (c) => (c.kind === 'top_pct' || c.params?.top_pct ? 'top ' + pct(c.params?.top_pct ?? c.top_pct, 0) : 'thr ' + (c.params?.thresholds ?? c.thresholds ?? '—'));
const colLabelOf = (c) => { const v = c.params?.allowed_hours ?? c.allowed_hours; return v === '' || v === null || v === undefined ? 'all hours' : String(v); };

async function renderSweep(root, id) {
  const ans = await api.get('/sweeps/' + encodeURIComponent(id));
  const sw = ans.sweep || {}, cells = ans.results || [];
  root.append(h('h1', null, `Sweep #${sw.id} `, h('small', { class: 'muted' }, `${sw.model_id} · ${when(sw.created_at)}`)),
    h('p', null, badge(sw.status || '?'), ` ${sw.count ?? cells.length} cells, ${sw.filtered ?? '?'} passed the guardrails (min_trades ${sw.spec?.min_trades ?? '—'}` +
      (sw.spec?.min_sharpe !== null && sw.spec?.min_sharpe !== undefined ? `, min_sharpe ${sw.spec.min_sharpe}` : '') + `) · PBO ${pct(sw.pbo, 0)} · n_trials ${sw.n_trials ?? '—'}`,
      sw.report_url ? [' · ', h('a', { href: sw.report_url }, 'report (JSON)')] : null));

  const rows = [...new Set(cells.map(rowLabelOf))];
  const cols = [...new Set(cells.map(colLabelOf))];
  const best = cells.reduce((b, c) => (c.passed && (b === null || (c.metrics?.best_sharpe_hourly ?? -Infinity) > (b.metrics?.best_sharpe_hourly ?? -Infinity)) ? c : b), null);
  const hm = cells.map((c) => ({
    r: rows.indexOf(rowLabelOf(c)), c: cols.indexOf(colLabelOf(c)), v: c.metrics?.best_sharpe_hourly ?? null, failed: !c.passed, best: c === best,
    title: `${rowLabelOf(c)} × ${colLabelOf(c)}: Sharpe/period ${num(c.metrics?.best_sharpe_hourly, 4)}, cum ${pct(c.metrics?.best_cum_ret)}, trades ${c.metrics?.total_trades ?? '—'}${c.passed ? '' : ' — failed guardrails'}`,
  }));
  root.append(h('div', { class: 'card', id: 'heatmap' }, heatmap({ title: `Sharpe per period by ${cells.some((c) => c.kind === 'top_pct') ? 'threshold / top %' : 'threshold'} × allowed hours`,
    rows, cols, cells: hm, rowLabel: 'thresholds / top %', colLabel: 'allowed hours (ET)', valueLabel: 'Sharpe / period', fmt: (v) => v.toFixed(3) }),
  h('p', { class: 'hint' }, 'Outlined: best cell that passed. Hatched with ✕: failed the guardrails (too few trades or Sharpe under the minimum). Hover a cell for its figures.')));

  root.append(h('div', { class: 'card', id: 'sweep-results' }, h('h2', null, 'Results'), table([
    { key: 'rank', label: 'rank', num: true }, { key: 'kind', label: 'kind' }, { key: 'row', label: 'thresholds / top %', fmt: rowLabelOf }, { key: 'col', label: 'hours', fmt: colLabelOf },
    { key: 's', label: 'Sharpe/period', num: true, fmt: (c) => num(c.metrics?.best_sharpe_hourly, 4) },
    { key: 'cr', label: 'cum. return', num: true, fmt: (c) => h('span', { class: signClass(c.metrics?.best_cum_ret) }, pct(c.metrics?.best_cum_ret)) },
    { key: 't', label: 'trades', num: true, fmt: (c) => num(c.metrics?.total_trades) }, { key: 'dsr', label: 'DSR', num: true, fmt: (c) => num(c.metrics?.dsr, 3) },
    { key: 'passed', label: 'guardrails', fmt: (c) => badge(c.passed ? 'pass' : 'fail') },
    { key: 'run', label: 'run', fmt: (c) => (c.backtest_run_id ? h('a', { href: '#/backtests/' + c.backtest_run_id }, '#' + c.backtest_run_id) : '—') },
  ], [...cells].sort((a, b) => (a.rank ?? 1e9) - (b.rank ?? 1e9)), { class: 'sweep-table' })));
}
