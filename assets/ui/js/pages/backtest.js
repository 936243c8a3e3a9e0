// Backtest detail: equity curve with drawdown panel and buy-and-hold line,
// fold boundaries labelled, fold table, per-threshold table, calibration
// reliability, feature importance, lineage and downloads.
import * as api from '../api.js';
import { h, table, badge, num, pct, kpi, signClass, when, flatten, show } from '../util.js';
import { lineChart, drawdown, reliability, hbars } from '../charts.js';
import { equityPaths, benchmark } from './equity.js';

export async function render(root, ctx) {
  const id = ctx.args[0];
  const ans = await api.get('/backtests/' + encodeURIComponent(id));
  const run = ans.run, folds = ans.folds || [];
  const trainings = api.get('/training_runs' + api.qs({ model_id: run.model_id, limit: 50 })).catch((err) => err);
  const o = run.metrics?.overall || {};
  const bm = benchmark(o) ?? benchmark(run.metrics); // the run's buy-and-hold over the same test periods
  root.append(h('h1', null, `Backtest run #${run.id} `, h('small', { class: 'muted' }, `${run.model_id} · ${run.tag || 'no tag'} · ${when(run.created_at)}`)),
    h('p', null, badge(run.status || '?'), ' ', badge(run.gate_pass ? 'gate pass' : 'gate fail', run.gate_pass ? 'pass' : 'fail'), ' ',
      (run.gate?.reasons || []).join('; '), ' · ', h('a', { href: '#/models/' + run.model_id }, 'model'), ' · ',
      h('a', { href: '#/compare?ids=' + run.id }, 'compare with…')),
    h('div', { class: 'kpis' }, kpi('Sharpe (ann.)', num(o.sharpe_ann, 2), signClass(o.sharpe_ann)), kpi('Sharpe / period', num(o.sharpe_hourly, 4)),
      kpi('cum. return', pct(o.cum_ret ?? run.cum_ret), signClass(o.cum_ret)), kpi('compounded', pct(o.comp_ret)), kpi('max drawdown', pct(o.max_dd ?? run.max_drawdown)),
      kpi('trades', num(o.trades ?? run.trades)), kpi('hit rate', pct(o.hit_rate ?? run.win_rate, 1)), kpi('PSR', num(o.psr, 3)), kpi('DSR', num(o.dsr ?? run.dsr, 3)),
      kpi('n_trials', num(o.n_trials)), bm !== null ? kpi('buy & hold', pct(bm)) : null));

  // Equity curve + drawdown.
  const eqCard = h('div', { class: 'card', id: 'equity' }, h('h2', null, 'Equity'));
  const paths = await equityPaths(run, folds);
  const series = [{ name: 'strategy (compounded)', points: paths.eq }];
  if (paths.bh.length) series.push({ name: 'buy & hold', points: paths.bh, color: '#6b7280', dash: '5 3' });
  eqCard.append(lineChart({ title: `Equity curve — ${run.model_id} run #${run.id} (${paths.note})`, series, unit: '%', yLabel: 'return',
    xLabel: paths.xTime ? 'date' : 'out-of-fold periods', xTime: paths.xTime, vlines: paths.vlines, cls: 'equity-chart' }));
  const growth = paths.eq.map(([x, e]) => [x, 1 + e]);
  eqCard.append(lineChart({ title: 'Drawdown of the compounded equity', series: [{ name: 'drawdown', points: drawdown(growth), color: '#b42318', area: true }],
    unit: '%', yLabel: 'drawdown', negative: true, xTime: paths.xTime, vlines: paths.vlines, height: 170, cls: 'drawdown-chart', xLabel: paths.xTime ? 'date' : 'out-of-fold periods' }));
  if (!paths.bh.length) eqCard.append(h('p', { class: 'hint' }, 'Buy & hold: this server reports no benchmark for the run.'));
  if (run.plots_url) eqCard.append(h('h3', null, 'Per-period cumulative return (server plot; dashed lines: fold starts)'), h('img', { class: 'plot', id: 'server-plot', src: run.plots_url, alt: 'equity plot of run ' + run.id }));
  root.append(eqCard);

  const grid = h('div', { class: 'grid' });
  root.append(grid);
  grid.append(h('div', { class: 'card', id: 'folds' }, h('h2', null, 'Folds'), table([
    { key: 'fold', label: 'fold', fmt: (f) => f.fold + 1 }, { key: 'thr_used', label: 'threshold', num: true, fmt: (f) => num(f.thr_used, 2) },
    { key: 'rows', label: 'periods', num: true, fmt: (f) => num(f.metrics?.rows) }, { key: 'trades', label: 'trades', num: true },
    { key: 'cum_ret', label: 'cum. return', num: true, fmt: (f) => h('span', { class: signClass(f.cum_ret) }, pct(f.cum_ret)) },
    { key: 'sharpe', label: 'Sharpe (ann.)', num: true, fmt: (f) => num(f.metrics?.sharpe_ann, 2) },
    { key: 'max_dd', label: 'max DD', num: true, fmt: (f) => pct(f.max_dd) }, { key: 'hit', label: 'hit rate', num: true, fmt: (f) => pct(f.metrics?.hit_rate, 1) },
    { key: 'bh', label: 'buy & hold', num: true, fmt: (f) => pct(benchmark(f.metrics)) },
  ], folds)));

  const tt = run.metrics?.threshold_table || [];
  grid.append(h('div', { class: 'card', id: 'thresholds' }, h('h2', null, 'Per-threshold table'),
    h('p', { class: 'hint' }, run.metrics?.threshold_table_basis || 'each threshold applied to every out-of-fold row (hindsight: describes the surface, not a tradable result)'),
    tt.length ? table([{ key: 'thr', label: 'threshold', num: true, fmt: (r) => num(r.thr, 2) }, { key: 'trades', label: 'trades', num: true },
      { key: 'cum_ret', label: 'cum. return', num: true, fmt: (r) => h('span', { class: signClass(r.cum_ret) }, pct(r.cum_ret)) },
      { key: 'sharpe_ann', label: 'Sharpe (ann.)', num: true, fmt: (r) => num(r.sharpe_ann, 2) }, { key: 'max_dd', label: 'max DD', num: true, fmt: (r) => pct(r.max_dd) },
      { key: 'hit_rate', label: 'hit rate', num: true, fmt: (r) => pct(r.hit_rate, 1) }], tt) : h('p', { class: 'muted' }, 'No threshold table (top-pct mode or a sweep cell).')));

  // Calibration reliability: computed on demand from the model's out-of-fold predictions.
  const cal = h('div', { class: 'card', id: 'calibration' }, h('h2', null, 'Calibration reliability'));
  if (api.has('POST', '/calibrate_thresholds')) {
    const out = h('div');
    const btn = h('button', { class: 'secondary', id: 'calibrate-btn', onclick: async () => {
      btn.disabled = true;
      out.replaceChildren(h('p', { class: 'muted' }, 'Calibrating on the out-of-fold predictions…'));
      try {
        const c = await api.post('/calibrate_thresholds', { model_id: run.model_id, pack_id: run.pack_id, build_id: run.build_id, splits: run.params?.splits });
        out.replaceChildren(reliability({ title: `Reliability after ${c.method} calibration (walk-forward)`, classes: c.reliability?.after || {} }),
          h('p', { class: 'hint' }, `Recommended threshold ${num(c.recommended_threshold, 2)} (≈${num(c.expected_count)} signals). ${c.evaluation || ''}`));
      } catch (err) { out.replaceChildren(api.errorBox(err)); }
      btn.disabled = false;
    } }, 'Compute reliability plot');
    cal.append(h('p', { class: 'hint' }, 'Observed frequency against predicted probability per class, from the out-of-fold predictions (cached by the backtest).'), btn, out);
  } else cal.append(h('div', { class: 'unavailable' }, 'Not available on this server.'));
  grid.append(cal);

  // Feature importance of the latest training on the same build.
  const fi = h('div', { class: 'card', id: 'importance' }, h('h2', null, 'Feature importance'));
  try {
    const got = await trainings;
    if (got instanceof Error) throw got;
    const tr = api.rows(got);
    const t = tr.find((r) => r.build_id === run.build_id) || tr[0];
    const tf = t?.metrics?.top_features || [];
    if (tf.length) {
      fi.append(hbars({ title: `Top features by gain — training #${t.id}`, items: tf.slice(0, 15).map((f) => ({ label: f.feature, v: f.gain_pct ?? f.gain })) }));
      if (t.model_out_url) fi.append(h('p', null, h('a', { href: t.model_out_url }, 'model artifact (.json.zst)')));
    } else fi.append(h('p', { class: 'muted' }, 'No training with feature importance for this build.'));
  } catch (err) { fi.append(api.errorBox(err)); }
  grid.append(fi);

  grid.append(h('div', { class: 'card', id: 'lineage' }, h('h2', null, 'Lineage'),
    table([{ key: 0, label: 'field', fmt: (r) => h('code', null, r[0]) }, { key: 1, label: 'value', fmt: (r) => h('span', { class: 'mono' }, show(r[1])) }], flatten(run.lineage || {}))));

  // Downloads: every URL the run carries, plus the model export when served.
  const links = [];
  if (run.matrix_url) links.push(['feature matrix (Parquet)', run.matrix_url], ['feature matrix (CSV)', run.matrix_url + '?format=csv']);
  for (const [k, v] of Object.entries(run)) {
    if (typeof v === 'string' && /_url$/.test(k) && v.startsWith('/') && k !== 'matrix_url') links.push([k.replace(/_url$/, '').replace(/_/g, ' '), v]);
  }
  if (api.has('GET', `/models/${run.model_id}/export`)) links.push(['model export (XGBoost JSON)', `/models/${encodeURIComponent(run.model_id)}/export?format=xgboost`]);
  grid.append(h('div', { class: 'card', id: 'downloads' }, h('h2', null, 'Downloads'), h('ul', null, links.map(([t, u]) => h('li', null, h('a', { href: u }, t), ' ', h('code', { class: 'muted' }, u))))));

  grid.append(h('div', { class: 'card', id: 'params' }, h('h2', null, 'Parameters'),
    table([{ key: 0, label: 'param', fmt: (r) => h('code', null, r[0]) }, { key: 1, label: 'value', fmt: (r) => show(r[1]) }],
      flatten(run.params || {}).filter(([k]) => !k.startsWith('policy_snapshot.')))));
}
