// Model cards: full-text search (Bleve query syntax) and the card view.
import * as api from '../api.js';
import { h, table, num, when, pager } from '../util.js';
import { renderMarkdown } from '../md.js';

export async function render(root, ctx) {
  if (ctx.args[0]) return renderCard(root, ctx.args[0]);
  root.append(h('h1', null, 'Model cards'));
  const q = h('input', { name: 'q', id: 'card-q', value: ctx.q.q || '', size: 48, placeholder: 'e.g. imbalance  ·  event:backtest  ·  metrics.auc:>0.55  ·  +model_id:spy*' });
  const out = h('div');
  root.append(h('form', { class: 'inline card', onsubmit: (e) => { e.preventDefault(); ctx.go('#/cards' + api.qs({ q: q.value.trim(), model_id: ctx.q.model_id })); } },
    h('label', null, 'full-text search (Bleve query syntax: words, field:value, field:>n, +must, -not, "phrases")', q), h('button', { type: 'submit', id: 'card-search' }, 'Search')), out);
  const load = async (offset = 0) => {
    try {
      const ans = await api.get('/model_cards' + api.qs({ q: ctx.q.q, model_id: ctx.q.model_id, limit: 20, offset }));
      const rows = api.rows(ans, 'cards');
      out.replaceChildren(h('p', { class: 'muted', id: 'card-total' }, `${ans.total ?? rows.length} card${(ans.total ?? rows.length) === 1 ? '' : 's'}` + (ctx.q.q ? ` match “${ctx.q.q}”` : '')),
        table([{ key: 'id', label: 'card', fmt: (r) => h('a', { href: '#/cards/' + encodeURIComponent(r.id), class: 'card-link' }, r.id) }, { key: 'event', label: 'event' },
          { key: 'model_id', label: 'model' }, { key: 'created_at', label: 'created', fmt: (r) => when(r.created_at) },
          { key: 'm', label: 'key figures', fmt: (r) => keyFigures(r.metrics || {}) }], rows, { class: 'cards-table' }), pager(ans, load));
    } catch (err) { out.replaceChildren(api.errorBox(err)); }
  };
  await load();
}

function keyFigures(m) {
  const parts = [];
  if (m.auc !== undefined) parts.push('AUC ' + num(m.auc, 3));
  if (m.sharpe_ann !== undefined) parts.push('Sharpe ' + num(m.sharpe_ann, 2));
  if (m.dsr !== undefined) parts.push('DSR ' + num(m.dsr, 3));
  if (m.trades !== undefined) parts.push(num(m.trades) + ' trades');
  if (m.rows !== undefined && !parts.length) parts.push(num(m.rows) + ' rows');
  return parts.join(' · ') || '—';
}

async function renderCard(root, id) {
  const c = await api.get('/model_card?id=' + encodeURIComponent(id));
  root.append(h('p', null, h('a', { href: '#/cards' }, '‹ all cards'), ' · ', c.url ? h('a', { href: c.url }, 'card JSON') : null),
    h('div', { class: 'card', id: 'card-view' }, renderMarkdown(c.markdown || '')));
}
