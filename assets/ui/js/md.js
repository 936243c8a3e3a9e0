// A small Markdown renderer for model cards: headings, nested lists,
// paragraphs, fenced code, pipe tables and inline code/bold/italic/links.
// It builds DOM nodes, so card text is never parsed as HTML.
import { h } from './util.js';

function inline(text) {
  const out = [];
  const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*]+\*|\[[^\]]+\]\([^)\s]+\))/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const t = m[0];
    if (t.startsWith('`')) out.push(h('code', null, t.slice(1, -1)));
    else if (t.startsWith('**')) out.push(h('strong', null, t.slice(2, -2)));
    else if (t.startsWith('*')) out.push(h('em', null, t.slice(1, -1)));
    else {
      const [, label, href] = t.match(/\[([^\]]+)\]\(([^)\s]+)\)/);
      // Only same-site links: relative paths and fragments.
      out.push(/^(\/|#)/.test(href) ? h('a', { href }, label) : label);
    }
    last = m.index + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** renderMarkdown returns a <div class="md"> for the markdown text. */
export function renderMarkdown(text) {
  const root = h('div', { class: 'md' });
  const lines = String(text || '').replace(/\r/g, '').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const buf = [];
      for (i++; i < lines.length && !/^```/.test(lines[i]); i++) buf.push(lines[i]);
      i++;
      root.append(h('pre', null, h('code', null, buf.join('\n'))));
      continue;
    }
    const hd = line.match(/^(#{1,6})\s+(.*)$/);
    if (hd) { root.append(h('h' + Math.min(6, hd[1].length + 1), null, inline(hd[2]))); i++; continue; }
    if (/^\s*[-*]\s+/.test(line)) {
      const stack = [{ indent: -1, el: root }];
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]); i++) {
        const [, sp, body] = lines[i].match(/^(\s*)[-*]\s+(.*)$/);
        const indent = sp.length;
        while (stack.length > 1 && indent < stack[stack.length - 1].indent) stack.pop();
        let top = stack[stack.length - 1];
        if (indent > top.indent) {
          const ul = h('ul');
          const parent = top.el.tagName === 'UL' ? top.el.lastElementChild || top.el : top.el;
          parent.append(ul);
          stack.push({ indent, el: ul });
          top = stack[stack.length - 1];
        }
        top.el.append(h('li', null, inline(body)));
      }
      continue;
    }
    if (/^\|.*\|\s*$/.test(line)) {
      const rowsTxt = [];
      for (; i < lines.length && /^\|.*\|\s*$/.test(lines[i]); i++) rowsTxt.push(lines[i]);
      const cells = (l) => l.trim().slice(1, -1).split('|').map((c) => c.trim());
      const body = rowsTxt.filter((l) => !/^\|[\s:|-]+\|$/.test(l.trim()));
      const [head, ...rest] = body;
      root.append(h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, cells(head || '').map((c) => h('th', null, inline(c))))),
        h('tbody', null, rest.map((r) => h('tr', null, cells(r).map((c) => h('td', null, inline(c)))))))));
      continue;
    }
    if (!line.trim()) { i++; continue; }
    const para = [];
    for (; i < lines.length && lines[i].trim() && !/^(#|```|\s*[-*]\s|\|)/.test(lines[i]); i++) para.push(lines[i]);
    root.append(h('p', null, inline(para.join(' '))));
  }
  return root;
}
