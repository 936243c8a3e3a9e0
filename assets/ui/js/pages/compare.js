// Compare two or more runs side by side: parameter diff, metrics, overlaid equity.
import * as api from '../api.js';
import { h, table, num, pct, flatten, show } from '../util.js';
import { lineChart } from '../charts.js';
import { equityPaths } from './equity.js';

export async function render(root, ctx) {
  const ids = (ctx.q.ids || '').split(',').map((s) => s.trim()).filter(Boolean);
  root.append(h('h1', null, 'Compare runs'));
  if (ids.length < 2) {
    root.append(h('p', { class: 'notice' }, 'Pick two or more runs on the ', h('a', { href: '#/leaderboard' }, 'leaderboard'), ' (tick their boxes, then "Compare selected").'));
    if (!ids.length) return;
  }
  const runs = await Promise.all(ids.map((id) => api.get('/backtests/' + encodeURIComponent(id))));
  const name = (a) => `#${a.run.id} ${a.run.tag || ''}`.trim();

  const paths = await Promise.all(runs.map((a) => equityPaths(a.run, a.folds || [])));
  const sameX = paths.every((p) => p.xTime === paths[0].xTime);
  root.append(h('div', { class: 'card', id: 'compare-equity' }, lineChart({
    title: 'Equity curves overlaid (' + (paths[0].xTime ? 'per period' : 'at fold ends') + ')',
    series: paths.map((p, i) => ({ name: name(runs[i]), points: sameX ? p.eq : [] })), unit: '%', yLabel: 'return',
    xTime: paths[0].xTime, xLabel: paths[0].xTime ? 'date' : 'out-of-fold periods', cls: 'compare-chart' })));

  const M = [['Sharpe (ann.)', (o) => num(o.sharpe_ann, 2)], ['Sharpe / period', (o) => num(o.sharpe_hourly, 4)], ['cum. return', (o) => pct(o.cum_ret)],
    ['compounded', (o) => pct(o.comp_ret)], ['max drawdown', (o) => pct(o.max_dd)], ['trades', (o) => num(o.trades)], ['hit rate', (o) => pct(o.hit_rate, 1)],
    ['exposure', (o) => pct(o.exposure, 1)], ['PSR', (o) => num(o.psr, 3)], ['DSR', (o) => num(o.dsr, 3)], ['n_trials', (o) => num(o.n_trials)]];
  const cols = [{ key: 'k', label: 'metric' }, ...runs.map((a, i) => ({ key: 'v' + i, label: name(a), num: true }))];
  root.append(h('div', { class: 'card', id: 'compare-metrics' }, h('h2', null, 'Metrics'), table(cols, M.map(([k, f]) => {
    const row = { k };
    runs.forEach((a, i) => { row['v' + i] = f(a.run.metrics?.overall || {}); });
    return row;
  }))));

  const flat = runs.map((a) => Object.fromEntries(flatten({ model_id: a.run.model_id, build_id: a.run.build_id, ...a.run.params }).filter(([k]) => !k.startsWith('policy_snapshot.'))));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const differs = (k) => new Set(flat.map((f) => JSON.stringify(f[k] ?? null))).size > 1;
  const onlyDiff = h('input', { type: 'checkbox', checked: true, id: 'only-diff' });
  const pbody = h('div');
  const drawParams = () => {
    const rows = keys.filter((k) => !onlyDiff.checked || differs(k)).map((k) => {
      const row = { k, diff: differs(k) };
      flat.forEach((f, i) => { row['v' + i] = show(f[k]); });
      return row;
    });
    pbody.replaceChildren(rows.length ? table(cols, rows, { class: 'params-diff', rowClass: (r) => (r.diff ? 'diff' : '') }) : h('p', { class: 'muted' }, 'Identical parameters.'));
  };
  onlyDiff.addEventListener('change', drawParams);
  drawParams();
  root.append(h('div', { class: 'card', id: 'compare-params' }, h('h2', null, 'Parameters'), h('label', { class: 'check' }, onlyDiff, 'only those that differ'), pbody));
}
