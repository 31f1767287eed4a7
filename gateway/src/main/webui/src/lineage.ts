/**
 * The lineage graph, laid out automatically: nodes in layers by their distance from the first (a longest-path
 * layering of the edges, sources moved up to their first successor), each layer a column, drawn as SVG with arrows. Each node shows its kind, its name and its
 * digest.
 */
export interface LineageNode {
  id: string;
  kind: string;
  label: string;
  digest?: string | null;
  href?: string;
}

export function lineageGraph(nodes: LineageNode[], edges: [string, string][]): SVGSVGElement {
  const layer = new Map<string, number>(nodes.map(n => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass++) {
    for (const [from, to] of edges) {
      layer.set(to, Math.max(layer.get(to) ?? 0, (layer.get(from) ?? 0) + 1));
    }
  }
  // A node nothing points to sits just before the first node it points to (a base model beside the dataset
  // version, not at the far left).
  for (const n of nodes) {
    if (edges.some(([, to]) => to === n.id)) continue;
    const next = edges.filter(([from]) => from === n.id).map(([, to]) => layer.get(to)!);
    if (next.length) layer.set(n.id, Math.max(0, Math.min(...next) - 1));
  }
  const columns = new Map<number, LineageNode[]>();
  for (const n of nodes) {
    const l = layer.get(n.id)!;
    columns.set(l, [...(columns.get(l) ?? []), n]);
  }
  const W = 190, H = 66, GAP_X = 50, GAP_Y = 20;
  const pos = new Map<string, { x: number; y: number }>();
  let height = 0;
  for (const [l, col] of columns) {
    col.forEach((n, i) => pos.set(n.id, { x: 10 + l * (W + GAP_X), y: 10 + i * (H + GAP_Y) }));
    height = Math.max(height, col.length * (H + GAP_Y));
  }
  const width = 20 + (Math.max(0, ...layer.values()) + 1) * (W + GAP_X) - GAP_X;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height + 10}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'lineage: ' + nodes.map(n => `${n.kind} ${n.label}`).join(' → '));
  svg.classList.add('lineage');
  const el = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const defs = el('defs', {});
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto' });
  marker.appendChild(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#64748b' }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  for (const [from, to] of edges) {
    const a = pos.get(from), b = pos.get(to);
    if (!a || !b) continue;
    svg.appendChild(el('line', { x1: a.x + W, y1: a.y + H / 2, x2: b.x, y2: b.y + H / 2, stroke: '#64748b', 'marker-end': 'url(#arrow)' }));
  }
  for (const n of nodes) {
    const p = pos.get(n.id)!;
    const g = el('g', { class: `node ${n.kind.replace(/\s+/g, '-')}`, 'data-node': n.kind });
    g.appendChild(el('rect', { x: p.x, y: p.y, width: W, height: H, rx: 8 }));
    g.appendChild(el('text', { x: p.x + 10, y: p.y + 18, class: 'kind' }, n.kind));
    g.appendChild(el('text', { x: p.x + 10, y: p.y + 37, class: 'label' }, n.label.length > 26 ? n.label.slice(0, 25) + '…' : n.label));
    if (n.digest) g.appendChild(el('text', { x: p.x + 10, y: p.y + 55, class: 'digest' }, 'sha256 ' + n.digest.slice(0, 16)));
    const title = el('title', {}, `${n.kind}: ${n.label}${n.digest ? ' sha256 ' + n.digest : ''}`);
    g.appendChild(title);
    if (n.href) {
      const a = el('a', { href: n.href });
      a.appendChild(g);
      svg.appendChild(a);
    } else {
      svg.appendChild(g);
    }
  }
  return svg;
}
