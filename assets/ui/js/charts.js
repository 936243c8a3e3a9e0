// SVG charts drawn in the page: titles, axes with units, legends. Values are
// fractions; axes in % show them ×100.
import { s, finite } from './util.js';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

/** ticks returns about n round tick values covering [lo, hi]. */
function ticks(lo, hi, n = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

const fmtUnit = (unit, v) => {
  if (unit === '%') return (v * 100).toFixed(Math.abs(v * 100) < 10 && v !== 0 ? 1 : 0) + '%';
  return Math.abs(v) >= 1000 ? v.toLocaleString('en-US') : String(+v.toFixed(3));
};

/**
 * lineChart draws series [{name, points: [[x, y]], color?, dash?, area?}] with
 * x numeric (ms timestamps when xTime) and y in unit ('%' or ''). vlines
 * [{x, label}] mark boundaries (fold starts). Returns an <svg>.
 */
export function lineChart({ title, series, unit = '%', xLabel = '', yLabel = '', xTime = false, vlines = [], width = 760, height = 280, zeroLine = true, xFmt, cls = '', negative = false }) {
  const m = { l: 62, r: 16, t: 44, b: 44 };
  const W = width - m.l - m.r, H = height - m.t - m.b;
  const pts = series.flatMap((sr) => sr.points).filter((p) => finite(p[0]) && finite(p[1]));
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(0, ...pts.map((p) => p[1])), y1 = Math.max(0, ...pts.map((p) => p[1]));
  if (!pts.length) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y1 = y0 + 0.01; }
  const pad = (y1 - y0) * 0.06; y0 -= pad; y1 += pad;
  if (negative) { y1 = 0; y0 = Math.min(y0, -0.005); } // drawdowns: 0 at the top
  const X = (v) => m.l + ((v - x0) / (x1 - x0)) * W;
  const Y = (v) => m.t + H - ((v - y0) / (y1 - y0)) * H;
  const svg = s('svg', { class: 'chart ' + cls, viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  svg.append(s('title', null, title));
  svg.append(s('text', { x: m.l, y: 18, 'font-size': 13, 'font-weight': 600, fill: '#1d2430', class: 'chart-title' }, title));
  // y axis
  for (const t of ticks(y0, y1)) {
    svg.append(s('line', { x1: m.l, x2: m.l + W, y1: Y(t), y2: Y(t), stroke: '#eceff3' }));
    svg.append(s('text', { x: m.l - 6, y: Y(t) + 4, 'font-size': 11, 'text-anchor': 'end', fill: '#4b5563' }, fmtUnit(unit, t)));
  }
  if (zeroLine && y0 < 0 && y1 > 0) svg.append(s('line', { x1: m.l, x2: m.l + W, y1: Y(0), y2: Y(0), stroke: '#9ca3af' }));
  // x axis
  const xt = xTime ? timeTicks(x0, x1) : ticks(x0, x1, 6);
  for (const t of xt) {
    svg.append(s('line', { x1: X(t), x2: X(t), y1: m.t + H, y2: m.t + H + 4, stroke: '#6b7280' }));
    svg.append(s('text', { x: X(t), y: m.t + H + 16, 'font-size': 11, 'text-anchor': 'middle', fill: '#4b5563' },
      xFmt ? xFmt(t) : xTime ? new Date(t).toISOString().slice(0, 10) : fmtUnit('', t)));
  }
  svg.append(s('line', { x1: m.l, x2: m.l + W, y1: m.t + H, y2: m.t + H, stroke: '#6b7280' }));
  svg.append(s('line', { x1: m.l, x2: m.l, y1: m.t, y2: m.t + H, stroke: '#6b7280' }));
  if (xLabel) svg.append(s('text', { x: m.l + W / 2, y: height - 6, 'font-size': 11, 'text-anchor': 'middle', fill: '#4b5563' }, xLabel));
  if (yLabel) svg.append(s('text', { x: 12, y: m.t + H / 2, 'font-size': 11, 'text-anchor': 'middle', fill: '#4b5563', transform: `rotate(-90 12 ${m.t + H / 2})` }, yLabel + (unit ? ` (${unit})` : '')));
  // boundaries
  for (const v of vlines) {
    if (!finite(v.x)) continue;
    svg.append(s('line', { x1: X(v.x), x2: X(v.x), y1: m.t, y2: m.t + H, stroke: '#9ca3af', 'stroke-dasharray': '4 3', class: 'boundary' }));
    svg.append(s('text', { x: X(v.x) + 3, y: m.t + 11, 'font-size': 10, fill: '#6b7280', class: 'boundary-label' }, v.label));
  }
  // series
  series.forEach((sr, i) => {
    const color = sr.color || PALETTE[i % PALETTE.length];
    const p = sr.points.filter((q) => finite(q[0]) && finite(q[1]));
    if (!p.length) return;
    const d = p.map((q, j) => (j ? 'L' : 'M') + X(q[0]).toFixed(1) + ' ' + Y(q[1]).toFixed(1)).join('');
    if (sr.area) {
      svg.append(s('path', { d: d + `L${X(p[p.length - 1][0]).toFixed(1)} ${Y(0).toFixed(1)}L${X(p[0][0]).toFixed(1)} ${Y(0).toFixed(1)}Z`, fill: color, 'fill-opacity': 0.18, stroke: 'none' }));
    }
    svg.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': sr.width || 1.6, 'stroke-dasharray': sr.dash || null, class: 'series', 'data-name': sr.name }));
    if (p.length <= 12 && !sr.area) for (const q of p) svg.append(s('circle', { cx: X(q[0]), cy: Y(q[1]), r: 2.5, fill: color }));
  });
  // legend: one row under the title, left to right
  let lx = m.l;
  const legend = s('g', { class: 'legend' });
  series.forEach((sr, i) => {
    const color = sr.color || PALETTE[i % PALETTE.length];
    legend.append(s('line', { x1: lx, x2: lx + 16, y1: 31, y2: 31, stroke: color, 'stroke-width': 2.5, 'stroke-dasharray': sr.dash || null }));
    legend.append(s('text', { x: lx + 20, y: 35, 'font-size': 11, fill: '#374151' }, sr.name));
    lx += 36 + 7 * sr.name.length;
  });
  svg.append(legend);
  return svg;
}

function timeTicks(x0, x1) {
  const day = 86400000, span = x1 - x0;
  const steps = [day, 7 * day, 14 * day, 30 * day, 91 * day, 182 * day, 365 * day];
  const step = steps.find((st) => span / st <= 7) || 365 * day;
  const out = [];
  for (let v = Math.ceil(x0 / step) * step; v <= x1; v += step) out.push(v);
  return out;
}

/** drawdown turns an equity path [[x, equity]] (equity as growth of 1) into [[x, dd ≤ 0]]. */
export function drawdown(points) {
  let peak = -Infinity;
  return points.map(([x, e]) => { peak = Math.max(peak, e); return [x, peak > 0 ? e / peak - 1 : 0]; });
}

/**
 * heatmap draws cells {r, c, v, failed, title} on rows × cols labels, coloured
 * by v on a diverging scale around 0; failed cells are hatched and crossed.
 */
export function heatmap({ title, rows, cols, cells, rowLabel, colLabel, valueLabel, fmt = (v) => v.toFixed(3), width }) {
  const cw = Math.max(70, Math.min(120, 640 / Math.max(1, cols.length))), ch = 30;
  const m = { l: 130, r: 120, t: 44, b: 40 };
  const W = cw * cols.length, H = ch * rows.length;
  width = width || m.l + W + m.r;
  const height = m.t + H + m.b;
  const vals = cells.map((c) => c.v).filter(finite);
  const amax = Math.max(1e-12, ...vals.map(Math.abs));
  const color = (v) => {
    if (!finite(v)) return '#e5e7eb';
    const t = Math.min(1, Math.abs(v) / amax);
    const [r, g, b] = v >= 0 ? [255 - 231 * t, 255 - 134 * t, 255 - 177 * t] : [255 - 41 * t, 255 - 216 * t, 255 - 215 * t];
    return `rgb(${r | 0},${g | 0},${b | 0})`;
  };
  const svg = s('svg', { class: 'chart heatmap', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  svg.append(s('title', null, title));
  svg.append(s('text', { x: 8, y: 18, 'font-size': 13, 'font-weight': 600, fill: '#1d2430', class: 'chart-title' }, title));
  const defs = s('defs', null, s('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    s('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#9ca3af', 'stroke-width': 2 })));
  svg.append(defs);
  svg.append(s('text', { x: m.l + W / 2, y: 36, 'font-size': 11, 'text-anchor': 'middle', fill: '#4b5563' }, colLabel));
  svg.append(s('text', { x: 8, y: m.t - 4, 'font-size': 11, fill: '#4b5563' }, rowLabel));
  cols.forEach((c, j) => svg.append(s('text', { x: m.l + j * cw + cw / 2, y: m.t + H + 14, 'font-size': 11, 'text-anchor': 'middle', fill: '#374151' }, c)));
  rows.forEach((r, i) => svg.append(s('text', { x: m.l - 6, y: m.t + i * ch + ch / 2 + 4, 'font-size': 11, 'text-anchor': 'end', fill: '#374151' }, r)));
  for (const c of cells) {
    const x = m.l + c.c * cw, y = m.t + c.r * ch;
    const g = s('g', { class: 'cell' + (c.failed ? ' failed' : ''), 'data-value': finite(c.v) ? c.v : '' });
    g.append(s('title', null, c.title || ''));
    g.append(s('rect', { x, y, width: cw - 2, height: ch - 2, fill: color(c.v), stroke: c.best ? '#111827' : '#fff', 'stroke-width': c.best ? 2 : 1 }));
    if (c.failed) {
      g.append(s('rect', { x, y, width: cw - 2, height: ch - 2, fill: 'url(#hatch)', 'fill-opacity': 0.6 }));
      g.append(s('text', { x: x + cw - 8, y: y + 11, 'font-size': 10, 'text-anchor': 'end', fill: '#b42318', 'font-weight': 700 }, '✕'));
    }
    g.append(s('text', { x: x + cw / 2 - 1, y: y + ch / 2 + 4, 'font-size': 11, 'text-anchor': 'middle', fill: '#111827' }, finite(c.v) ? fmt(c.v) : '—'));
    svg.append(g);
  }
  // colour legend
  const lx = m.l + W + 24, ly = m.t, lh = Math.max(60, H);
  for (let k = 0; k < 20; k++) {
    const v = amax - (2 * amax * k) / 19;
    svg.append(s('rect', { x: lx, y: ly + (k * lh) / 20, width: 14, height: lh / 20 + 0.5, fill: color(v) }));
  }
  svg.append(s('text', { x: lx + 18, y: ly + 9, 'font-size': 10, fill: '#374151' }, fmt(amax)));
  svg.append(s('text', { x: lx + 18, y: ly + lh / 2 + 4, 'font-size': 10, fill: '#374151' }, fmt(0)));
  svg.append(s('text', { x: lx + 18, y: ly + lh, 'font-size': 10, fill: '#374151' }, fmt(-amax)));
  svg.append(s('text', { x: lx, y: ly + lh + 18, 'font-size': 10, fill: '#4b5563' }, valueLabel));
  svg.append(s('text', { x: lx, y: ly + lh + 30, 'font-size': 10, fill: '#b42318' }, '✕ failed guardrail'));
  return svg;
}

/** hbars draws labelled horizontal bars [{label, v}] (v in unit). */
export function hbars({ title, items, unit = '%', width = 560 }) {
  const bh = 18, m = { l: 200, r: 70, t: 30, b: 26 };
  const H = bh * items.length, W = width - m.l - m.r, height = m.t + H + m.b;
  const vmax = Math.max(1e-12, ...items.map((i) => i.v).filter(finite));
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  svg.append(s('title', null, title));
  svg.append(s('text', { x: 8, y: 18, 'font-size': 13, 'font-weight': 600, fill: '#1d2430' }, title));
  items.forEach((it, i) => {
    const y = m.t + i * bh;
    svg.append(s('text', { x: m.l - 6, y: y + 13, 'font-size': 11, 'text-anchor': 'end', fill: '#374151' }, it.label));
    svg.append(s('rect', { x: m.l, y: y + 3, width: Math.max(1, (it.v / vmax) * W), height: bh - 6, fill: '#2f7dc0', class: 'bar' }));
    svg.append(s('text', { x: m.l + (it.v / vmax) * W + 4, y: y + 13, 'font-size': 10, fill: '#4b5563' }, fmtUnit(unit, it.v)));
  });
  svg.append(s('line', { x1: m.l, x2: m.l, y1: m.t, y2: m.t + H, stroke: '#6b7280' }));
  svg.append(s('text', { x: m.l + W / 2, y: height - 6, 'font-size': 11, 'text-anchor': 'middle', fill: '#4b5563' }, unit === '%' ? 'share of total gain (%)' : ''));
  return svg;
}

/**
 * reliability draws observed frequency against mean predicted probability
 * per class (bins {mean_predicted, observed_frequency, count}), with the
 * diagonal of perfect calibration.
 */
export function reliability({ title, classes }) {
  const series = [{ name: 'perfect', points: [[0, 0], [1, 1]], color: '#9ca3af', dash: '4 3' }];
  Object.entries(classes).forEach(([name, c]) => {
    series.push({ name, points: (c.bins || []).filter((b) => b.count > 0).map((b) => [b.mean_predicted, b.observed_frequency]) });
  });
  return lineChart({ title, series, unit: '%', xLabel: 'mean predicted probability (%)', yLabel: 'observed frequency', xFmt: (v) => (v * 100).toFixed(0) + '%', zeroLine: false, width: 520, height: 320 });
}
