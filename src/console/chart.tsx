import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

export interface ChartSeries {
  label: string
  values: (number | null)[]
  color: string
  /** Points only (outcomes), or a dashed line (bounds). */
  style?: 'points' | 'line' | 'dashed'
}

/**
 * A uPlot chart over x values (seconds since the epoch when `time`, else plain numbers such as
 * model versions). The container says how many points it drew (`data-points`) for tests and
 * screen readers; the series are also listed in tables next to every chart.
 */
export function Chart({ title, x, series, time = true, height = 220 }: {
  title: string; x: number[]; series: ChartSeries[]; time?: boolean; height?: number
}) {
  const el = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const root = el.current!
    const plot = new uPlot({
      title, width: Math.max(320, root.clientWidth || 640), height,
      scales: { x: { time } },
      series: [{}, ...series.map((s) => ({
        label: s.label, stroke: s.color, width: s.style === 'points' ? 0 : 2,
        dash: s.style === 'dashed' ? [6, 4] : undefined,
        points: { show: s.style !== 'dashed', size: 8, fill: s.color },
        spanGaps: true,
      }))],
      axes: [{}, {}],
    }, [x, ...series.map((s) => s.values)], root)
    const resize = () => plot.setSize({ width: Math.max(320, root.clientWidth), height })
    window.addEventListener('resize', resize)
    return () => { window.removeEventListener('resize', resize); plot.destroy() }
  }, [title, x, series, time, height])
  return <div class="chart" ref={el} data-points={x.length} aria-label={`${title}: ${x.length} points`} />
}
