import dagre from '@dagrejs/dagre'
import { useLocation } from 'preact-iso'

export interface GraphNode {
  id: string
  /** The node's kind, shown above its label (feature view, dataset, checkpoint result…). */
  kind: string
  label: string
  detail?: string
  /** A console page the node opens. */
  href?: string
  /** A state class: success, failed, running… */
  state?: string
}

const WIDTH = 190
const HEIGHT = 58

/**
 * A directed graph laid out by dagre (left to right) and drawn as SVG; every node with an `href`
 * opens its page. Text goes in as SVG text nodes, so names are never read as markup.
 */
export function Graph({ nodes, edges, label }: { nodes: GraphNode[]; edges: [string, string][]; label: string }) {
  const { route } = useLocation()
  const g = new dagre.graphlib.Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 8, marginy: 8 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT })
  for (const [a, b] of edges) if (g.hasNode(a) && g.hasNode(b)) g.setEdge(a, b)
  dagre.layout(g)
  const size = g.graph() as { width?: number; height?: number }
  return (
    <svg class="graph" role="img" aria-label={label} width={size.width ?? 0} height={size.height ?? 0} viewBox={`0 0 ${size.width ?? 0} ${size.height ?? 0}`}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
        </marker>
      </defs>
      {g.edges().map((e) => {
        const points = (g.edge(e) as { points: { x: number; y: number }[] }).points
        return <path class="edge" marker-end="url(#arrow)" d={points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ')} />
      })}
      {nodes.map((n) => {
        const { x, y } = g.node(n.id) as { x: number; y: number }
        const open = n.href ? () => route(n.href!) : undefined
        return (
          <g class={`node node-${n.state ?? 'plain'}${n.href ? ' link' : ''}`} transform={`translate(${x - WIDTH / 2},${y - HEIGHT / 2})`}
            data-node={n.id} data-kind={n.kind} onClick={open} tabIndex={n.href ? 0 : undefined} role={n.href ? 'link' : undefined}
            onKeyDown={(e) => { if (open && e.key === 'Enter') open() }}>
            <title>{`${n.kind}: ${n.label}${n.detail ? ` (${n.detail})` : ''}`}</title>
            <rect width={WIDTH} height={HEIGHT} rx="6" />
            <text x="10" y="16" class="kind">{n.kind}</text>
            <text x="10" y="34" class="label">{clip(n.label, 26)}</text>
            {n.detail ? <text x="10" y="50" class="detail">{clip(n.detail, 30)}</text> : null}
          </g>
        )
      })}
    </svg>
  )
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
