// Models: list and filter, create from a template, edit config and policy
// with the API's validation messages shown at the field, /policy/explain.
import * as api from '../api.js';
import { h, table, badge, when, flatten, show, pager } from '../util.js';

export async function render(root, ctx) {
  if (ctx.args[0]) return renderModel(root, ctx, ctx.args[0]);
  root.append(h('h1', null, 'Models'));
  const q = ctx.q;
  let offset = +q.offset || 0;
  const limit = 50;
  // The first page of models is asked for with the templates and packs.
  let firstList = api.get('/models' + api.qs({ pack_id: q.pack_id, limit, offset })).catch((err) => err);
  const [tpl, packs] = await Promise.all([api.get('/model_templates?limit=500'), api.get('/packs?limit=500')]);
  const templates = api.rows(tpl, 'templates');
  const packIds = api.rows(packs, 'packs').map((p) => p.id);

  // Create from a template.
  const createCard = h('div', { class: 'card', id: 'create-model' }, h('h2', null, 'Create from a template'));
  const tsel = h('select', { name: 'template' }, templates.map((t) =>
    h('option', { value: t.pack + '/' + t.template_id }, `${t.pack} / ${t.template_id} — ${t.name}`)));
  const ticker = h('input', { name: 'ticker', value: 'SPY', size: 8 });
  const variant = h('input', { name: 'variant', placeholder: 'e.g. demo', size: 12 });
  const out = h('div');
  const form = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    out.replaceChildren();
    const [pack_id, template_id] = tsel.value.split('/');
    const body = { ticker: ticker.value.trim(), pack_id, template_id, variant: variant.value.trim() || undefined };
    for (const el of [ticker, variant]) el.classList.remove('invalid');
    try {
      const r = await api.post('/models', body);
      out.append(h('div', { class: 'notice', id: 'created' }, 'Created ', h('a', { href: '#/models/' + r.model_id }, r.model_id),
        ` (pack ${r.pack_id}, config v${r.version}, policy v${r.policy_version}). `, h('a', { href: '#/composer?model=' + encodeURIComponent(r.model_id) }, 'Build → train → backtest it')));
    } catch (err) {
      for (const d of err.detail || []) { const f = (d.loc || []).slice(-1)[0]; if (f === 'ticker') ticker.classList.add('invalid'); if (f === 'variant') variant.classList.add('invalid'); }
      out.append(api.errorBox(err));
    }
  } }, h('label', null, 'template', tsel), h('label', null, 'ticker', ticker), h('label', null, 'variant (optional)', variant), h('button', { type: 'submit', id: 'create-btn' }, 'Create model'));
  createCard.append(form, h('p', { class: 'hint' }, 'The id is {ticker}_{asset_type}_{horizon}_{cadence}[_{variant}]; the model starts with its template\'s config and policy.'), out);
  root.append(createCard);

  // List with filters and pagination.
  const listCard = h('div', { class: 'card' }, h('h2', null, 'All models'));
  const psel = h('select', { name: 'pack_id' }, h('option', { value: '' }, 'all packs'), packIds.map((p) => h('option', { value: p, selected: q.pack_id === p }, p)));
  const filt = h('input', { name: 'filter', placeholder: 'filter by id or ticker', value: q.filter || '' });
  const body = h('div');
  listCard.append(h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, h('label', null, 'pack', psel), h('label', null, 'filter', filt)), body);
  root.append(listCard);
  async function load() {
    try {
      let ans = firstList;
      firstList = null;
      if (ans instanceof Error) throw ans;
      ans = ans ? await ans : await api.get('/models' + api.qs({ pack_id: psel.value, limit, offset }));
      if (ans instanceof Error) throw ans;
      const f = filt.value.trim().toLowerCase();
      const rows = api.rows(ans, 'models').filter((m) => !f || m.id.includes(f) || String(m.ticker || '').toLowerCase().includes(f));
      body.replaceChildren(
        table([
          { key: 'id', label: 'model', fmt: (r) => h('a', { href: '#/models/' + r.id }, r.id) },
          { key: 'pack_id', label: 'pack' }, { key: 'ticker', label: 'ticker' }, { key: 'asset_type', label: 'asset' },
          { key: 'horizon', label: 'horizon' }, { key: 'cadence', label: 'cadence' }, { key: 'version', label: 'version', num: true },
          { key: 'updated_at', label: 'updated', fmt: (r) => when(r.updated_at) },
          { key: 'x', label: '', fmt: (r) => h('a', { href: '#/composer?model=' + encodeURIComponent(r.id) }, 'compose') },
        ], rows, { class: 'models-table' }),
        pager(ans, (o) => { offset = o; load(); }));
    } catch (err) { body.replaceChildren(api.errorBox(err)); }
  }
  psel.addEventListener('change', () => { offset = 0; load(); });
  filt.addEventListener('input', load);
  await load();
}

async function renderModel(root, ctx, id) {
  const explainAns = api.get('/policy/explain' + api.qs({ model_id: id })).catch((err) => err);
  const m = await api.get('/models/' + encodeURIComponent(id));
  root.append(h('h1', null, 'Model ', h('code', null, m.model_id)),
    h('p', null, badge(m.pack_id, 'pack'), ` config v${m.version} · policy v${m.policy_version ?? '—'} · `,
      h('a', { href: '#/composer?model=' + encodeURIComponent(id) }, 'Build → train → backtest'), ' · ',
      h('a', { href: '#/leaderboard?model_id=' + encodeURIComponent(id) }, 'its runs'), ' · ',
      h('a', { href: '#/cards?model_id=' + encodeURIComponent(id) }, 'its cards')));
  const grid = h('div', { class: 'grid' });
  root.append(grid);
  const explain = h('div', { class: 'card', id: 'explain' });
  grid.append(
    editor({ title: 'Config', id: 'config-editor', doc: m.config, readonly: ['model_id', 'template_id', 'template_version'], loc: ['body', 'config'],
      save: (patch) => api.patch('/models/' + encodeURIComponent(id), { config: patch }), after: () => {} }),
    editor({ title: 'Policy', id: 'policy-editor', doc: m.policy || {}, readonly: ['version'], loc: ['body', 'policy'], whole: true,
      save: (doc) => api.put('/policy', { model_id: id, pack_id: m.pack_id, policy: doc }), after: () => loadExplain(explain, id, m.pack_id) }),
  );
  root.append(explain);
  await loadExplain(explain, id, m.pack_id, explainAns);
}

async function loadExplain(el, id, pack, pending) {
  el.replaceChildren(h('h2', null, 'Policy explained'));
  try {
    const x = pending ? await pending : await api.get('/policy/explain' + api.qs({ model_id: id, pack_id: pack }));
    if (x instanceof Error) throw x;
    el.append(h('p', null, badge(x.ok ? 'valid' : 'invalid', x.ok ? 'ok' : 'fail'), ` policy v${x.policy_version ?? '—'} (${x.source || ''})`));
    if (x.notes?.length) el.append(h('ul', { class: 'notes' }, x.notes.map((n) => h('li', null, n))));
    for (const [k, list] of [['errors', x.checks?.errors], ['warnings', x.checks?.warnings], ['schema errors', x.schema_errors]]) {
      if (list?.length) el.append(h('h3', null, k), h('ul', null, list.map((e) => h('li', null, typeof e === 'string' ? e : JSON.stringify(e)))));
    }
    if (x.execution_effective) el.append(h('h3', null, 'Effective execution'), table([{ key: 0, label: 'setting', fmt: (r) => h('code', null, r[0]) }, { key: 1, label: 'value', fmt: (r) => show(r[1]) }], flatten(x.execution_effective)));
  } catch (err) { el.append(api.errorBox(err)); }
}

/**
 * editor shows a document as one input per leaf. Saving sends the changed
 * leaves as a JSON merge patch (or the whole edited document when whole),
 * and puts each validation message beside the input its loc names.
 */
function editor({ title, id, doc, readonly = [], loc, whole = false, save, after }) {
  const card = h('div', { class: 'card editor', id });
  const inputs = new Map();
  const errs = new Map();
  const grid = h('div', { class: 'fields' });
  let lastGroup = '';
  // Top-level settings first, then each block under its heading.
  const leaves = flatten(doc);
  const entries = [...leaves.filter(([p]) => !p.includes('.')), ...leaves.filter(([p]) => p.includes('.'))];
  for (const [path, v] of entries) {
    const group = path.includes('.') ? path.split('.').slice(0, -1).join('.') : '';
    if (group !== lastGroup && group) grid.append(h('div', { class: 'group' }, group));
    lastGroup = group;
    let input;
    if (typeof v === 'boolean') input = h('input', { type: 'checkbox', checked: v });
    else input = h('input', { value: v === null ? '' : Array.isArray(v) || typeof v === 'object' ? JSON.stringify(v) : String(v), size: 24, placeholder: v === null ? 'null' : '' });
    input.name = path;
    input.dataset.path = path;
    if (readonly.includes(path)) input.disabled = true;
    const err = h('div', { class: 'field-error' });
    inputs.set(path, { input, orig: v });
    errs.set(path, err);
    grid.append(h('label', { class: 'path', for: id + '-' + path }, path.split('.').slice(-1)[0]), h('div', null, input, err));
    input.id = id + '-' + path;
  }
  const general = h('div');
  const btn = h('button', { type: 'submit' }, 'Save ' + title.toLowerCase());
  const form = h('form', { onsubmit: async (e) => {
    e.preventDefault();
    general.replaceChildren();
    for (const [p, { input }] of inputs) { input.classList.remove('invalid'); errs.get(p).textContent = ''; }
    const edited = {};
    const patch = {};
    let changed = 0;
    for (const [p, { input, orig }] of inputs) {
      const v = parse(input, orig);
      setPath(edited, p, v);
      if (JSON.stringify(v) !== JSON.stringify(orig)) { setPath(patch, p, v); changed++; }
    }
    if (!changed) { general.append(h('div', { class: 'notice' }, 'Nothing changed.')); return; }
    btn.disabled = true;
    try {
      const r = await save(whole ? edited : patch);
      for (const [p, ent] of inputs) ent.orig = parse(ent.input, ent.orig);
      general.append(h('div', { class: 'notice saved' }, `Saved (${changed} change${changed > 1 ? 's' : ''})` + (r.version ? `, version ${r.version}` : '') + '.'));
      after();
    } catch (err) {
      const rest = [];
      for (const d of err.detail || []) {
        const l = (d.loc || []).slice(loc.length).join('.');
        // The message goes to the field, else to the nearest group's first field.
        let target = inputs.has(l) ? l : [...inputs.keys()].find((k) => k.startsWith(l + '.'));
        if (target) { inputs.get(target).input.classList.add('invalid'); errs.get(target).append(h('div', null, (target === l ? '' : l + ': ') + d.msg)); }
        else rest.push(d);
      }
      general.append(api.errorBox(Object.assign(err, { detail: rest.length ? rest : err.detail })));
    } finally { btn.disabled = false; }
  } }, grid, h('div', { class: 'row' }, btn), general);
  card.append(h('h2', null, title), form);
  return card;
}

/** parse reads an input back with the type of the value it was shown from. */
function parse(input, orig) {
  if (input.type === 'checkbox') return input.checked;
  const t = input.value.trim();
  if (typeof orig === 'number' || (orig === null && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(t))) return t === '' ? null : isNaN(+t) ? t : +t;
  if (orig === null && t === '') return null;
  if (Array.isArray(orig) || (orig && typeof orig === 'object')) { try { return JSON.parse(t); } catch { return t; } }
  return t;
}

function setPath(o, path, v) {
  const ks = path.split('.');
  let cur = o;
  for (const k of ks.slice(0, -1)) cur = cur[k] ??= {};
  cur[ks[ks.length - 1]] = v;
}
