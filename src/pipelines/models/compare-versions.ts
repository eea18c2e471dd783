import { Errors } from '../../core/index.js'
import { METRIC_DIRECTION } from '../training/specs.js'
import type { ModelVersion } from './model-registry.js'

/** One version in a side-by-side comparison. */
export interface ComparedVersion {
  version: number
  /** The version's `experiment` tag, else the experiment param of the run that trained it, else null. */
  experiment: string | null
  aliases: string[]
  /** The run params that differ between the compared versions (what the experiments varied). */
  params: Record<string, unknown>
  metrics: Record<string, number>
  created_at: string
}

export interface VersionComparison {
  /** The metric the versions are ranked by, and whether larger is better. */
  metric: string
  direction: 'higher' | 'lower'
  /** Best first; versions without the metric last. */
  versions: ComparedVersion[]
  /** The best version by `metric`, or null when none has it. */
  best: number | null
  /** Names of the run params that differ (the columns of `params`). */
  varied: string[]
}

/**
 * MLflow's "compare runs" over registered versions: every version's overall metrics and the run
 * params that differ between them, ranked by one metric (default: r2, roc_auc or macro_f1,
 * whichever the versions report). With `latestPerExperiment`, only each experiment's newest version.
 */
export function compareVersions(all: readonly ModelVersion[], options: { metric?: string; latestPerExperiment?: boolean } = {}): VersionComparison {
  const experimentOf = (v: ModelVersion) => v.tags.experiment ?? (typeof v.lineage.params.experiment === 'string' ? v.lineage.params.experiment : null)
  let versions = [...all].sort((a, b) => b.version - a.version)
  if (options.latestPerExperiment) {
    const seen = new Set<string>()
    versions = versions.filter((v) => {
      const key = experimentOf(v) ?? `#${v.version}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }
  const reported = new Set(versions.flatMap((v) => Object.keys(v.metrics.overall)))
  const metric = options.metric ?? ['r2', 'roc_auc', 'macro_f1', 'accuracy'].find((m) => reported.has(m)) ?? [...reported][0] ?? 'r2'
  if (options.metric && versions.length && !reported.has(metric)) throw Errors.notFound('--metric', metric, [...reported])
  const direction = METRIC_DIRECTION[metric] ?? 'higher'
  const keys = [...new Set(versions.flatMap((v) => Object.keys(v.lineage.params)))].filter((k) => k !== 'experiment').sort()
  const varied = keys.filter((k) => new Set(versions.map((v) => JSON.stringify(v.lineage.params[k] ?? null))).size > 1)
  const score = (v: ModelVersion) => v.metrics.overall[metric]
  const ranked = [...versions].sort((a, b) => {
    const [x, y] = [score(a), score(b)]
    if (x === undefined || y === undefined) return (x === undefined ? 1 : 0) - (y === undefined ? 1 : 0)
    return direction === 'higher' ? y - x : x - y
  })
  const best = ranked[0] && score(ranked[0]) !== undefined ? ranked[0].version : null
  return {
    metric, direction, best, varied,
    versions: ranked.map((v) => ({
      version: v.version, experiment: experimentOf(v), aliases: v.aliases,
      params: Object.fromEntries(varied.map((k) => [k, v.lineage.params[k] ?? null])),
      metrics: v.metrics.overall, created_at: v.created_at,
    })),
  }
}

/** The comparison as an aligned text table, one line per version, best first. */
export function formatComparison(name: string, c: VersionComparison): string {
  const metricNames = [c.metric, ...[...new Set(c.versions.flatMap((v) => Object.keys(v.metrics)))].filter((m) => m !== c.metric).sort()]
  const header = ['version', 'experiment', ...c.varied, ...metricNames, 'aliases']
  const cell = (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x))
  const rows = c.versions.map((v) => [
    `${name}@${v.version}`, v.experiment ?? '-', ...c.varied.map((k) => cell(v.params[k])),
    ...metricNames.map((m) => (v.metrics[m] === undefined ? '-' : String(Number(v.metrics[m]!.toPrecision(4))))),
    v.aliases.join(',') || '-',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd()
  const best = c.best === null ? 'no version reports it' : `best: ${name}@${c.best}`
  return `${[line(header), ...rows.map(line)].join('\n')}\nranked by ${c.metric} (${c.direction} is better); ${best}\n`
}
