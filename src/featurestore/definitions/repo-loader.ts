import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { Errors, parseOrThrow } from '../../core/index.js'
import { entitySchema, type EntityDefinition } from './entity.js'
import { featureServiceSchema, serviceEntryFeatures, serviceEntryView, type FeatureServiceDefinition } from './feature-service.js'
import { featureViewSchema, type FeatureViewDefinition } from './feature-view.js'
import { repoConfigSchema, type RepoConfig } from './repo-config.js'
import { sourceSchema, type SourceDefinition } from './source.js'
import { parseViewName } from '../feature-refs.js'

/** Every definition in a feature repo, checked for cross-references. */
export interface FeatureRepo {
  readonly dir: string
  readonly config: RepoConfig
  readonly entities: EntityDefinition[]
  readonly sources: SourceDefinition[]
  readonly featureViews: FeatureViewDefinition[]
  readonly featureServices: FeatureServiceDefinition[]
}

const definitionFileSchema = z.strictObject({
  entities: z.array(entitySchema).default([]),
  sources: z.array(sourceSchema).default([]),
  feature_views: z.array(featureViewSchema).default([]),
  feature_services: z.array(featureServiceSchema).default([]),
})

const CONFIG_FILES = ['asof.yaml', 'asof.yml']

/** Reads `asof.yaml` of `dir`; undefined when the directory has none. */
export function readRepoConfig(dir: string): RepoConfig | undefined {
  const file = CONFIG_FILES.find((f) => existsSync(join(dir, f)))
  if (!file) return undefined
  return parseOrThrow(repoConfigSchema, parseFile(join(dir, file), file), file)
}

/**
 * Loads a feature repo: `asof.yaml` plus every top-level `*.yaml`/`*.yml`/`*.json` file (data
 * files live in subfolders). Every error names the file and the field path.
 */
export function loadFeatureRepo(dir: string): FeatureRepo {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw Errors.badInput('--repo', `${dir} is not a directory`)
  const config = readRepoConfig(dir)
  if (!config) throw Errors.badInput(dir, 'no asof.yaml here: a feature repo needs one (project: NAME)')
  const files = readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/i.test(f) && !CONFIG_FILES.includes(f) && statSync(join(dir, f)).isFile())
    .sort()
  const origins: Origins = new Map()
  const repo = { dir, config, entities: [], sources: [], featureViews: [], featureServices: [] } as {
    -readonly [K in keyof FeatureRepo]: FeatureRepo[K]
  }
  for (const file of files) {
    const defs = parseOrThrow(definitionFileSchema, parseFile(join(dir, file), file) ?? {}, file)
    const add = <T extends { name: string }>(section: Section, items: T[], into: T[]) => {
      items.forEach((item, index) => {
        const key = `${section} ${item.name}`
        const other = origins.get(key)
        if (other) throw Errors.badInput(`${file}: ${section}[${index}].name`, `${JSON.stringify(item.name)} is already defined in ${other.file}`)
        origins.set(key, { file, index })
        into.push(item)
      })
    }
    add('entities', defs.entities, repo.entities)
    add('sources', defs.sources, repo.sources)
    add('feature_views', defs.feature_views, repo.featureViews)
    add('feature_services', defs.feature_services, repo.featureServices)
  }
  checkReferences(repo, origins)
  return repo
}

type Section = 'entities' | 'sources' | 'feature_views' | 'feature_services'
/** Where each definition was read: `"feature_views driver_stats"` → file and index. */
type Origins = Map<string, { file: string; index: number }>

function parseFile(path: string, file: string): unknown {
  const text = readFileSync(path, 'utf8')
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (e) {
    // yaml's message ends with an excerpt of the offending lines, marked: keep it, trimmed
    throw Errors.badInput(file, `cannot parse: ${(e as Error).message.trimEnd()}`)
  }
}

function checkReferences(repo: FeatureRepo, origins: Origins): void {
  const where = (section: Section, name: string) => {
    const o = origins.get(`${section} ${name}`)!
    return `${o.file}: ${section}[${o.index}]`
  }
  const entities = new Map(repo.entities.map((e) => [e.name, e]))
  const sources = new Map(repo.sources.map((s) => [s.name, s]))
  const views = new Map(repo.featureViews.map((v) => [v.name, v]))
  for (const view of repo.featureViews) {
    const at = where('feature_views', view.name)
    const joinKeys: string[] = []
    for (const e of view.entities) {
      const entity = entities.get(e)
      if (!entity) throw Errors.unknownReference(`${at}.entities`, 'entity', e, entities.keys())
      joinKeys.push(...entity.join_keys)
    }
    if (!sources.has(view.source)) {
      throw Errors.unknownReference(`${at}.source`, 'source', view.source, sources.keys())
    }
    const names = new Set<string>()
    for (const f of view.schema) {
      if (names.has(f.name)) throw Errors.badInput(`${at}.schema`, `feature ${f.name} is declared twice`)
      if (joinKeys.includes(f.name)) throw Errors.badInput(`${at}.schema`, `feature ${f.name} has the name of a join key`)
      names.add(f.name)
    }
  }
  for (const service of repo.featureServices) {
    const at = where('feature_services', service.name)
    service.features.forEach((entry, i) => {
      const { view: name, version } = parseViewName(serviceEntryView(entry), `${at}.features[${i}]`)
      const view = views.get(name)
      if (!view) throw Errors.unknownReference(`${at}.features[${i}]`, 'feature view', name, views.keys())
      if (version !== undefined) return // a pinned version is checked against the registry at apply
      const wanted = serviceEntryFeatures(entry) ?? []
      const known = view.schema.map((f) => f.name)
      for (const f of wanted) {
        if (!known.includes(f)) throw Errors.unknownReference(`${at}.features[${i}]`, 'feature', f, known, `view ${name}`)
      }
    })
  }
}
