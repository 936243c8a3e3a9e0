// Composer: build → train → backtest (and sweep) for one model, each as a job
// with live progress, its result shown in place and errors as the API gives them.
import * as api from '../api.js';
import { h, table, badge, num, pct, kpi, signClass } from '../util.js';
import { reliability } from '../charts.js';

export async function render(root, ctx) {
  root.append(h('h1', null, 'Composer'));
  const wanted = ctx.q.model ? api.get('/models/' + encodeURIComponent(ctx.q.model)).catch((err) => err) : null;
  const models = api.rows(await api.get('/models?limit=500'), 'models');
  let modelId = ctx.q.model || (models[0] && models[0].id) || '';
  const msel = h('select', { name: 'model', id: 'composer-model' }, models.map((m) => h('option', { value: m.id, selected: m.id === modelId }, m.id)));
  msel.addEventListener('change', () => ctx.go('#/composer?model=' + encodeURIComponent(msel.value)));
  root.append(h('div', { class: 'row' }, h('label', null, 'model', msel), h('span', { class: 'hint' }, 'Each step runs as a job (async); its progress and result appear below it.')));
  if (!modelId) { root.append(h('p', { class: 'unavailable' }, 'No model yet: ', h('a', { href: '#/models' }, 'create one from a template'), '.')); return; }
  let model = wanted ? await wanted : await api.get('/models/' + encodeURIComponent(modelId));
  if (model instanceof Error) throw model;
  const [from, to] = await defaultRange(model.config || {});

  const start = h('input', { name: 'start', value: from, size: 11 });
  const end = h('input', { name: 'end', value: to, size: 11 });
  const nEst = h('input', { name: 'n_estimators', value: '', placeholder: String(model.config?.hyperparams?.n_estimators ?? ''), size: 6 });
  const splits = h('input', { name: 'splits', value: '3', size: 4 });
  const thresholds = h('input', { name: 'thresholds', value: '0.45,0.5,0.55', size: 16 });
  const tag = h('input', { name: 'tag', value: 'ui', size: 10 });
  const save = h('input', { type: 'checkbox', name: 'save', checked: true });
  const thrV = h('input', { name: 'thresholds_variants', value: '0.45,0.5; 0.55,0.6', size: 20 });
  const hoursV = h('input', { name: 'allowed_hours_variants', value: '10,11,12; 13,14,15; all', size: 22 });
  const topV = h('input', { name: 'top_pct_variants', value: '', placeholder: 'e.g. 0.1, 0.2', size: 10 });
  const minTrades = h('input', { name: 'min_trades', value: '5', size: 4 });
  const list = (t) => t.split(';').map((x) => x.trim()).filter(Boolean).map((x) => (x === 'all' ? '' : x));
  const nums = (t) => t.split(/[;,]/).map((x) => x.trim()).filter(Boolean).map(Number);

  const steps = [
    { id: 'build', title: '1 · Build the feature matrix', route: '/build_matrix', fields: [lab('start', start), lab('end', end)],
      body: () => ({ model_id: modelId, start: start.value.trim() || undefined, end: end.value.trim() || undefined }), show: showBuild },
    { id: 'train', title: '2 · Train the GBDT', route: '/train', fields: [lab('n_estimators (optional)', nEst)],
      body: () => ({ model_id: modelId, hyperparams: nEst.value.trim() ? { n_estimators: Number(nEst.value) } : undefined }), show: showTrain },
    { id: 'backtest', title: '3 · Purged walk-forward backtest', route: '/backtest',
      fields: [lab('splits', splits), lab('thresholds', thresholds), lab('tag', tag), h('label', { class: 'check' }, save, 'save run')],
      body: () => ({ model_id: modelId, splits: Number(splits.value), thresholds: thresholds.value.trim(), tag: tag.value.trim() || undefined, save: save.checked }), show: showBacktest },
    { id: 'sweep', title: '4 · Sweep trading parameters', route: '/backtest_sweep',
      fields: [lab('thresholds variants (;)', thrV), lab('allowed hours variants (; "all")', hoursV), lab('top_pct variants', topV), lab('min_trades', minTrades)],
      body: () => ({ model_id: modelId, splits: Number(splits.value), thresholds_variants: list(thrV.value), allowed_hours_variants: list(hoursV.value),
        top_pct_variants: topV.value.trim() ? nums(topV.value) : undefined, min_trades: Number(minTrades.value), tag: tag.value.trim() || undefined }), show: showSweep },
  ];
  for (const st of steps) root.append(stepCard(st, ctx));
}

const lab = (t, el) => h('label', null, t, el);

/** defaultRange is the stored data's span for the model's ticker (options data for options models). */
async function defaultRange(cfg) {
  try {
    const cov = api.rows(await api.get('/data/coverage' + api.qs({ ticker: cfg.ticker, limit: 500 })), 'coverage');
    const want = cov.filter((c) => (cfg.asset_type === 'opt' ? c.kind !== 'bars' : c.kind === 'bars'));
    const use = want.length ? want : cov;
    const s = use.map((c) => c.start).filter(Boolean).sort(), e = use.map((c) => c.end).filter(Boolean).sort();
    return [(cfg.asset_type === 'opt' ? s[s.length - 1] : s[0]) || '', e[0] || ''];
  } catch { return ['', '']; }
}

function stepCard(st, ctx) {
  const out = h('div', { class: 'result' });
  const bar = h('div');
  const prog = h('div', { class: 'progress', hidden: true }, bar);
  const msg = h('span', { class: 'muted' });
  const card = h('div', { class: 'card step', id: 'step-' + st.id });
  const btn = h('button', { type: 'submit', id: 'run-' + st.id }, 'Run');
  let jobId = null;
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: async () => {
    if (jobId) try { await api.post('/jobs/' + jobId + '/cancel'); } catch (err) { out.append(api.errorBox(err)); }
  } }, 'Cancel');
  const form = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    out.replaceChildren();
    card.className = 'card step busy';
    btn.disabled = true;
    prog.hidden = false;
    bar.style.width = '0%';
    try {
      const ans = await api.post(st.route, { ...st.body(), async: true });
      let result = ans;
      if (ans.job_id) {
        jobId = ans.job_id;
        cancel.hidden = false;
        const job = await api.pollJob(ans.job_id, (j) => {
          bar.style.width = Math.round((j.progress || 0) * 100) + '%';
          msg.textContent = `job ${j.id}: ${j.status}${j.message ? ' — ' + j.message : ''}`;
        }, { alive: ctx.alive });
        if (job.status !== 'completed') {
          card.className = 'card step err';
          out.append(h('div', { class: 'error' }, `Job ${job.id} ${job.status}: ${job.error || job.message || ''}`));
          return;
        }
        result = job.result || {};
      }
      card.className = 'card step done';
      out.append(st.show(result));
    } catch (err) {
      card.className = 'card step err';
      out.append(api.errorBox(err));
    } finally {
      btn.disabled = false;
      cancel.hidden = true;
    }
  } }, st.fields, btn, cancel);
  card.append(h('h2', null, st.title), form, h('div', { class: 'row' }, prog, msg), out);
  return card;
}

function showBuild(r) {
  return h('div', { class: 'done-build' }, h('div', { class: 'kpis' }, kpi('build', r.build_id || '—'), kpi('rows', num(r.rows)), kpi('columns', num(r.columns_count))),
    r.matrix_url ? h('p', null, h('a', { href: r.matrix_url }, 'matrix (Parquet)'), ' · ', h('a', { href: r.matrix_url + '?format=csv' }, 'CSV')) : null,
    r.qa ? h('pre', null, JSON.stringify(r.qa, null, 1).slice(0, 1500)) : null);
}

function showTrain(r) {
  const m = r.metrics || {};
  return h('div', { class: 'done-train' }, h('div', { class: 'kpis' }, kpi('AUC (holdout)', num(m.auc, 3)), kpi('accuracy', pct(m.accuracy, 1)),
    kpi('log loss', num(m.logloss, 3)), kpi('train / holdout rows', `${num(m.train_rows)} / ${num(m.holdout_rows)}`)),
    r.model_out_url ? h('p', null, h('a', { href: r.model_out_url }, 'model artifact (.json.zst)')) : null);
}

function showBacktest(r) {
  const o = r.result?.overall || {};
  const wrap = h('div', { class: 'done-backtest' },
    h('div', { class: 'kpis' }, kpi('Sharpe (ann.)', num(o.sharpe_ann, 2), signClass(o.sharpe_ann)), kpi('cum. return', pct(o.cum_ret), signClass(o.cum_ret)),
      kpi('max drawdown', pct(o.max_dd)), kpi('trades', num(o.trades)), kpi('hit rate', pct(o.hit_rate, 1)), kpi('DSR', num(o.dsr, 3)),
      kpi('gate', badge(r.pass_gate ? 'pass' : 'fail'))),
    r.gate?.reasons?.length ? h('p', { class: 'muted' }, r.gate.reasons.join('; ')) : null,
    (r.result?.warnings || []).map((w) => h('div', { class: 'notice' }, w)),
    r.run_id ? h('p', null, h('a', { href: '#/backtests/' + r.run_id, id: 'open-run' }, `Open run #${r.run_id}: equity curve, folds, lineage`)) : h('p', { class: 'muted' }, 'Not saved (tick "save run" to keep it).'));
  if (r.reliability && Object.keys(r.reliability).length) wrap.append(reliability({ title: 'Calibration reliability (out-of-fold)', classes: r.reliability }));
  return wrap;
}

function showSweep(r) {
  const runs = r.runs || [];
  return h('div', { class: 'done-sweep' },
    h('div', { class: 'kpis' }, kpi('sweep', '#' + r.sweep_id), kpi('cells', num(r.cells ?? r.count)), kpi('passed guardrails', num(r.filtered)), kpi('PBO', pct(r.pbo, 0))),
    (Array.isArray(r.warnings) ? r.warnings : []).map((w) => h('div', { class: 'notice' }, w)),
    h('p', null, h('a', { href: '#/sweeps/' + r.sweep_id, id: 'open-sweep' }, `Open sweep #${r.sweep_id}: results table and heatmap`)),
    table([{ key: 'rank', label: 'rank', num: true }, { key: 'kind', label: 'kind' }, { key: 'thresholds', label: 'thresholds' },
      { key: 'top_pct', label: 'top %', fmt: (c) => (c.top_pct ? pct(c.top_pct, 0) : '—') }, { key: 'allowed_hours', label: 'hours', fmt: (c) => c.allowed_hours || 'all' },
      { key: 's', label: 'Sharpe/period', num: true, fmt: (c) => num(c.metrics?.best_sharpe_hourly, 4) }], runs.slice(0, 10)));
}
