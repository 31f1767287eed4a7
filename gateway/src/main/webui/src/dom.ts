/** Building the DOM without a framework: h('tag', {attrs}, children). Text is always set as text, never as HTML. */
export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A link inside the dashboard (hash routing: the gateway serves one page). */
export function link(route: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: '#' + route }, ...children);
}

/** A table with a caption (its accessible name) and one row per item. */
export function table<T>(caption: string, head: string[], rows: T[], row: (item: T) => Child[]): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, `${caption}: none yet.`);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map(item => h('tr', {}, row(item).map(c => h('td', {}, c))))));
}

/** A definition list of label → value; empty values are left out. */
export function facts(pairs: [string, Child][]): HTMLElement {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function short(digest: string | null | undefined): string {
  return digest ? digest.slice(0, 12) : '—';
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function num(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(digits).replace(/\.?0+$/, '') || '0';
}

export function badge(state: string): HTMLElement {
  return h('span', { class: `badge ${state}` }, state);
}
