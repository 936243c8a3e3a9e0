// Dashboard: health, data coverage (demo vs real), recent runs, running jobs
// with live progress and cancel.
import * as api from '../api.js';
import { h, table, badge, num, pct, when, signClass } from '../util.js';

export async function render(root, ctx) {
  root.append(h('h1', null, 'Dashboard'));
  const [health, cov, runs, trains] = await Promise.allSettled([
    api.get('/healthz'), api.get('/data/coverage?limit=500'),
    api.get('/leaderboard?order_by=created_at&limit=8'), api.get('/training_runs?limit=5'),
  ]);
  const grid = h('div', { class: 'grid' });
  root.append(grid);

  const hc = h('div', { class: 'card', id: 'health' }, h('h2', null, 'Health'));
  if (health.status === 'fulfilled') {
    const v = health.value;
    hc.append(h('p', null, badge(v.ok ? 'ok' : 'failing', v.ok ? 'ok' : 'fail'), ' server ', h('code', null, api.serverVersion() || '?')));
    hc.append(table([{ key: 'k', label: 'check' }, { key: 'v', label: 'status', fmt: (r) => badge(r.v ? 'ok' : 'fail', r.v ? 'ok' : 'fail') }, { key: 'e', label: 'error' }],
      Object.entries(v.checks || {}).map(([k, ok]) => ({ k, v: ok, e: (v.errors || {})[k] || '' }))));
  } else hc.append(api.errorBox(health.reason));
  grid.append(hc);

  const jc = h('div', { class: 'card', id: 'jobs' }, h('h2', null, 'Running jobs'));
  grid.append(jc);
  const jobsBody = h('div');
  jc.append(jobsBody);
  pollJobs(jobsBody, ctx);

  const cc = h('div', { class: 'card', id: 'coverage' }, h('h2', null, 'Data coverage'));
  if (cov.status === 'fulfilled') {
    const rows = api.rows(cov.value, 'coverage');
    const demo = rows.filter((r) => r.source === 'demo').length;
    cc.append(h('p', { class: 'muted' }, `${rows.length} series: ${demo} demo (synthetic), ${rows.length - demo} real.`));
    cc.append(table([
      { key: 'ticker', label: 'ticker' }, { key: 'kind', label: 'kind' }, { key: 'timeframe', label: 'tf' },
      { key: 'source', label: 'source', fmt: (r) => badge(r.source || '?', r.source === 'demo' ? 'demo' : 'real') },
      { key: 'rows', label: 'rows', num: true, fmt: (r) => num(r.rows) }, { key: 'start', label: 'from' }, { key: 'end', label: 'to' },
    ], rows));
  } else cc.append(api.errorBox(cov.reason));
  grid.append(cc);

  const rc = h('div', { class: 'card wide', id: 'recent' }, h('h2', null, 'Recent backtest runs'));
  if (runs.status === 'fulfilled') {
    const rows = api.rows(runs.value);
    rc.append(rows.length ? table([
      { key: 'id', label: 'run', fmt: (r) => h('a', { href: '#/backtests/' + r.id }, '#' + r.id) },
      { key: 'model_id', label: 'model' }, { key: 'tag', label: 'tag' },
      { key: 'sharpe_ann', label: 'Sharpe (ann.)', num: true, fmt: (r) => num(r.metrics?.overall?.sharpe_ann ?? null, 2) },
      { key: 'cum_ret', label: 'cum. return', num: true, fmt: (r) => h('span', { class: signClass(r.cum_ret) }, pct(r.cum_ret)) },
      { key: 'created_at', label: 'created', fmt: (r) => when(r.created_at) },
    ], rows) : h('p', { class: 'muted' }, 'No saved backtests yet. ', h('a', { href: '#/composer' }, 'Open the composer'), '.'));
  } else rc.append(api.errorBox(runs.reason));
  if (trains.status === 'fulfilled') {
    const rows = api.rows(trains.value);
    if (rows.length) {
      rc.append(h('h3', null, 'Recent trainings'));
      rc.append(table([
        { key: 'id', label: 'training' }, { key: 'model_id', label: 'model' },
        { key: 'auc', label: 'AUC (holdout)', num: true, fmt: (r) => num(r.metrics?.auc ?? null, 3) },
        { key: 'status', label: 'status', fmt: (r) => badge(r.status || '?') },
        { key: 'created_at', label: 'created', fmt: (r) => when(r.created_at || r.finished_at) },
      ], rows));
    }
  }
  grid.append(rc);
}

/** pollJobs lists queued and running jobs, refreshing while the page is shown. */
async function pollJobs(el, ctx) {
  while (ctx.alive()) {
    let rows = [];
    try {
      const [run, queued] = await Promise.all([api.get('/jobs?status=running&limit=50'), api.get('/jobs?status=queued&limit=50')]);
      rows = [...api.rows(run), ...api.rows(queued)];
      el.replaceChildren(rows.length ? table([
        { key: 'id', label: 'job' }, { key: 'kind', label: 'kind' }, { key: 'status', label: 'status', fmt: (r) => badge(r.status) },
        { key: 'progress', label: 'progress', fmt: (r) => h('div', { class: 'progress', title: pct(r.progress, 0) }, progressBar(r.progress)) },
        { key: 'message', label: 'message' },
        { key: 'x', label: '', fmt: (r) => h('button', { class: 'secondary', onclick: async (e) => {
          e.target.disabled = true;
          try { await api.post('/jobs/' + r.id + '/cancel'); } catch (err) { el.prepend(api.errorBox(err)); }
        } }, 'Cancel') },
      ], rows) : h('p', { class: 'muted' }, 'No job is queued or running.'));
    } catch (err) {
      el.replaceChildren(api.errorBox(err));
      return;
    }
    await new Promise((r) => setTimeout(r, rows.length ? 700 : 3000));
  }
}

function progressBar(p) {
  const d = h('div');
  d.style.width = Math.round(Math.max(0, Math.min(1, p || 0)) * 100) + '%';
  return d;
}
