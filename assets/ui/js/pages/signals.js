// Signals and option overlays: generate, filter, summary metrics, and the
// overlay chosen per signal. Every part shows "not available" when the server
// lacks its route.
import * as api from '../api.js';
import { h, table, num, pct, show, kpi, signClass, pager } from '../util.js';

export async function render(root, ctx) {
  root.append(h('h1', null, 'Signals and option overlays'));
  if (!api.has('GET', '/signals')) {
    root.append(h('div', { class: 'unavailable', id: 'signals-unavailable' }, 'Signals are not available on this server (no GET /signals route).'));
    return;
  }
  const q = ctx.q;
  const models = api.rows(await api.get('/models?limit=500'), 'models');
  const f = (name, ph, size = 12) => h('input', { name, value: q[name] || '', placeholder: ph, size });
  const modelSel = h('select', { name: 'model_id', id: 'signals-model' }, h('option', { value: '' }, 'all models'), models.map((m) => h('option', { value: m.id, selected: q.model_id === m.id }, m.id)));
  const fl = { ticker: f('ticker', 'SPY', 6), side: f('side', 'buy/sell', 6), start: f('start', 'YYYY-MM-DD', 10), end: f('end', 'YYYY-MM-DD', 10), q: f('q', 'full text', 16) };
  const apply = () => ctx.go('#/signals' + api.qs({ model_id: modelSel.value, ...Object.fromEntries(Object.entries(fl).map(([k, el]) => [k, el.value.trim()])) }));
  root.append(h('form', { class: 'inline card', onsubmit: (e) => { e.preventDefault(); apply(); } }, h('label', null, 'model', modelSel),
    Object.entries(fl).map(([k, el]) => h('label', null, k, el)), h('button', { type: 'submit' }, 'Filter')));

  // Generate and overlay actions for the chosen model.
  const act = h('div', { class: 'card', id: 'signals-actions' }, h('h2', null, 'Generate'));
  const actOut = h('div');
  const date = h('input', { name: 'date', placeholder: 'overlay date (YYYY-MM-DD)', size: 12 });
  const gmode = h('select', { name: 'mode' }, h('option', { value: 'top_n' }, 'top N rows'), h('option', { value: 'threshold' }, 'confidence ≥ threshold'));
  const topN = h('input', { name: 'top_n', value: '5', size: 4 });
  const thr = h('input', { name: 'threshold', value: '0.5', size: 5 });
  const mode = h('select', { name: 'option_mode' }, h('option', { value: 'single' }, 'single leg'), h('option', { value: 'vertical' }, 'vertical'));
  const run = async (route, body, label) => {
    actOut.replaceChildren(h('p', { class: 'muted' }, label + '…'));
    try {
      let r = await api.post(route, { ...body, async: true });
      if (r.job_id) {
        const job = await api.pollJob(r.job_id, (j) => actOut.replaceChildren(h('p', { class: 'muted' }, `${label}: job ${j.id} ${j.status} ${Math.round((j.progress || 0) * 100)}%`)), { alive: ctx.alive });
        if (job.status !== 'completed') throw new Error(`job ${job.id} ${job.status}: ${job.error || job.message || ''}`);
        r = job.result || {};
      }
      const n = r.count ?? r.written ?? r.generated ?? r.stored ?? api.rows(r).length;
      actOut.replaceChildren(h('div', { class: 'notice', id: 'action-done' }, `${label}: done (${n ?? 0} rows).`));
      setTimeout(() => ctx.alive() && location.reload(), 0);
    } catch (err) { actOut.replaceChildren(api.errorBox(err)); }
  };
  const need = () => { if (!modelSel.value) { actOut.replaceChildren(h('div', { class: 'error' }, 'Choose a model first.')); return false; } return true; };
  act.append(h('div', { class: 'row' },
    api.has('POST', '/signals/generate') ? [h('label', null, 'select', gmode), h('label', null, 'top N', topN), h('label', null, 'threshold', thr)] : null,
    api.has('POST', '/signals/generate') ? h('button', { id: 'generate-btn', onclick: () => need() && run('/signals/generate', { model_id: modelSel.value, mode: gmode.value, top_n: Number(topN.value) || undefined, threshold: Number(thr.value) || undefined }, 'Generating signals') }, 'Generate signals') : h('span', { class: 'unavailable' }, 'Signal generation is not available on this server.'),
    api.has('POST', '/options_overlay') ? [h('label', null, 'date', date), h('label', null, 'mode', mode),
      h('button', { id: 'overlay-btn', class: 'secondary', onclick: () => need() && run('/options_overlay', { model_id: modelSel.value, date: date.value.trim() || undefined, option_mode: mode.value }, 'Choosing option overlays') }, 'Overlay options')]
      : h('span', { class: 'unavailable' }, 'Option overlays are not available on this server.')), actOut);
  root.append(act);

  // Summary metrics of the chosen model.
  if (q.model_id && api.has('GET', '/signals/summary')) {
    const sc = h('div', { class: 'card', id: 'signals-summary' }, h('h2', null, 'Summary — ' + q.model_id));
    try {
      const s = await api.get('/signals/summary' + api.qs({ model_id: q.model_id, start: q.start, end: q.end }));
      const m = s.metrics || s.summary || {};
      sc.append(h('div', { class: 'kpis' }, kpi('trades', num(m.trades ?? m.count)), kpi(m.perf_source === 'rr' ? 'cum. return (R multiples)' : 'cum. return', m.perf_source === 'rr' ? num(m.cum_return, 2) + ' R' : pct(m.cum_return), signClass(m.cum_return)), kpi('Sharpe', num(m.sharpe, 2)),
        kpi('Sortino', num(m.sortino, 2)), kpi('win rate', pct(m.win_rate, 1)), kpi('max DD', m.perf_source === 'rr' ? num(m.max_dd, 2) + ' R' : pct(m.max_dd)), kpi('fill rate', pct(m.fill_rate, 0)), kpi('coverage', m.coverage_pct !== undefined && m.coverage_pct !== null ? num(m.coverage_pct, 1) + ' %' : '—')));
    } catch (err) { sc.append(api.errorBox(err)); }
    root.append(sc);
  }

  // Overlays by signal id, to show the chosen contract beside each signal.
  const overlays = new Map();
  if (api.has('GET', '/option_signals')) {
    try {
      for (const o of api.rows(await api.get('/option_signals' + api.qs({ model_id: q.model_id, limit: 500 })))) {
        const k = String(o.signal_id ?? '');
        if (!overlays.has(k)) overlays.set(k, []);
        overlays.get(k).push(o);
      }
    } catch (err) { root.append(api.errorBox(err)); }
  }
  const overlayOf = (s) => {
    const os = overlays.get(String(s.id)) || (s.overlay ? [s.overlay] : []);
    if (!os.length) return '—';
    return h('span', { class: 'overlay' }, os.map((o) => `${o.occ_symbol || o.occ || '?'}${o.delta !== undefined && o.delta !== null ? ' Δ' + num(o.delta, 2) : ''}${o.entry_premium_est !== undefined && o.entry_premium_est !== null ? ' @' + num(o.entry_premium_est, 2) : ''}`).join(' / '));
  };

  const listCard = h('div', { class: 'card', id: 'signals-list' }, h('h2', null, 'Signals'));
  root.append(listCard);
  const load = async (offset = 0) => {
    try {
      const ans = await api.get('/signals' + api.qs({ model_id: q.model_id, tickers: q.ticker, side: q.side, start: q.start, end: q.end, q: q.q, limit: 50, offset }));
      const rows = api.rows(ans, 'signals');
      listCard.replaceChildren(h('h2', null, 'Signals'), rows.length ? table([
        { key: 'date', label: 'date' }, { key: 'hour_et', label: 'hour ET' }, { key: 'model_id', label: 'model' }, { key: 'ticker', label: 'ticker' },
        { key: 'side', label: 'side' }, { key: 'score', label: 'score', num: true, fmt: (s) => num(s.score ?? s.score_total ?? s.confidence, 3) },
        { key: 'entry_ref_px', label: 'entry', num: true, fmt: (s) => num(s.entry_ref_px, 2) }, { key: 'stop_px', label: 'stop', num: true, fmt: (s) => num(s.stop_px, 2) },
        { key: 'target_px', label: 'target', num: true, fmt: (s) => num(s.target_px, 2) }, { key: 'rr', label: 'R:R', num: true, fmt: (s) => num(s.rr, 2) },
        { key: 'overlay', label: 'option overlay', fmt: overlayOf },
      ], rows, { class: 'signals-table' }) : h('p', { class: 'muted' }, 'No signals match.'), pager(ans, load));
    } catch (err) { listCard.append(api.errorBox(err)); }
  };
  await load();
  if (overlays.size) {
    const all = [...overlays.values()].flat();
    root.append(h('div', { class: 'card', id: 'overlays' }, h('h2', null, 'Option overlays'), table(
      ['signal_id', 'occ_symbol', 'expiry', 'strike', 'type', 'delta', 'iv_used', 'entry_premium_est', 'stop_premium_est', 'target_premium_est'].map((k) => ({ key: k, label: k.replace(/_/g, ' '), fmt: (r) => show(r[k]) })), all.slice(0, 100))));
  }
}
