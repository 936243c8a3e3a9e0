// Equity paths for charts: the per-period series when the server gives one
// (an equity artifact answering JSON, or a series in the run), else the path
// at fold ends compounded from the folds' own returns.
import * as api from '../api.js';
import { finite } from '../util.js';

/** benchmark reads a buy-and-hold figure from a metrics object, if the server reports one. */
export function benchmark(m) {
  if (!m) return null;
  for (const b of [m.benchmark, m.buy_hold, m.buy_and_hold, m.bh]) {
    if (b && typeof b === 'object') {
      const v = b.comp_ret ?? b.cum_ret ?? b.ret ?? b.return;
      if (finite(v)) return v;
    }
  }
  for (const k of ['benchmark_comp_ret', 'benchmark_cum_ret', 'bh_comp_ret', 'bh_cum_ret', 'buy_hold_ret']) if (finite(m[k])) return m[k];
  return null;
}

/** seriesFromRows turns [{ts|date, equity|cum_ret|pnl, benchmark?}] into equity and benchmark paths. */
function seriesFromRows(rows) {
  const x = (r) => (finite(r.ts) ? r.ts : Date.parse(r.ts || r.date || r.time));
  const eq = [], bh = [];
  let cum = 0;
  for (const r of rows) {
    const t = x(r);
    if (!finite(t)) continue;
    let e = r.equity ?? r.comp_equity;
    if (finite(e)) e -= 1;
    else if (finite(r.cum_ret)) e = r.cum_ret;
    else if (finite(r.pnl)) e = cum += r.pnl;
    if (finite(e)) eq.push([t, e]);
    let b = r.benchmark ?? r.buy_hold ?? r.bh_equity;
    if (finite(b)) bh.push([t, b > 0.2 ? b - 1 : b]);
  }
  return { eq, bh };
}

/**
 * equityPaths returns {eq, bh, xTime, vlines, note} for a stored run and its
 * folds. eq/bh are [[x, return as a fraction]].
 */
export async function equityPaths(run, folds) {
  const series = run.equity || run.metrics?.equity;
  if (Array.isArray(series) && series.length) {
    const { eq, bh } = seriesFromRows(series);
    if (eq.length) return { eq, bh, xTime: true, vlines: [], note: 'per period' };
  }
  for (const [k, url] of Object.entries(run)) {
    if (!/equity.*_url$/.test(k) || typeof url !== 'string' || !api.has('GET', url)) continue;
    try {
      const ans = await api.get(url + (url.includes('?') ? '&' : '?') + 'format=json');
      const rows = api.rows(ans);
      const { eq, bh } = seriesFromRows(rows);
      if (eq.length) return { eq, bh, xTime: true, vlines: [], note: 'per period, from ' + url };
    } catch { /* fall back to fold ends */ }
  }
  // Fold ends: each fold's compounded return over its own periods.
  const eq = [[0, 0]], bh = [[0, 0]], vlines = [];
  let e = 1, b = 1, x = 0, haveB = true;
  for (const f of folds) {
    const m = f.metrics || f;
    if (m.skipped) continue;
    vlines.push({ x, label: 'fold ' + (f.fold + 1) });
    x += m.rows || 1;
    e *= 1 + (finite(m.comp_ret) ? m.comp_ret : m.cum_ret || 0);
    eq.push([x, e - 1]);
    const fb = benchmark(m);
    if (fb === null) haveB = false; else { b *= 1 + fb; bh.push([x, b - 1]); }
  }
  return { eq, bh: haveB ? bh : [], xTime: false, vlines, note: 'at fold ends (x: out-of-fold periods)' };
}
