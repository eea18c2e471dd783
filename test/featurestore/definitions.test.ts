import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadFeatureRepo } from '../../src/featurestore/index.js'
import { tempDir } from '../helpers/engines.js'

function repoWith(definitions: string, config = 'project: demo\n') {
  const t = tempDir()
  writeFileSync(join(t.dir, 'asof.yaml'), config)
  writeFileSync(join(t.dir, 'defs.yaml'), definitions)
  return t
}

function loadError(definitions: string, config?: string): string {
  const t = repoWith(definitions, config)
  try {
    loadFeatureRepo(t.dir)
  } catch (e) {
    return (e as Error).message
  } finally {
    t.remove()
  }
  assert.fail('expected the repo to be rejected')
}

const BASE = `
entities: [{name: driver, join_keys: [driver_id]}]
sources: [{name: src, kind: file, path: data/x.parquet, timestamp_field: ts}]
`

describe('feature repo definitions', () => {
  it('loads the example repo exactly as the issue writes it', () => {
    const repo = loadFeatureRepo(join(import.meta.dirname, '../../examples/driver-repo'))
    assert.equal(repo.config.project, 'driver_example')
    const view = repo.featureViews[0]!
    assert.equal(view.ttl, 2 * 86400)
    assert.deepEqual(view.schema.map((f) => f.dtype), ['float64', 'float64', 'int64'])
    assert.equal(repo.featureServices[0]!.features.length, 2)
  })

  it('normalizes ttls, list dtypes and defaults', () => {
    const t = repoWith(`${BASE}
feature_views:
  - {name: a, entities: [driver], source: src, ttl: 90s, schema: [{name: x, dtype: "list[int64]"}, {name: y, dtype: "list<string>"}]}
  - {name: b, source: src, ttl: 7200, schema: [{name: x, dtype: bool}]}
  - {name: c, source: src, ttl: 0, schema: [{name: x, dtype: timestamp}]}
  - {name: d, source: src, schema: [{name: x, dtype: bytes}]}
`)
    try {
      const [a, b, c, d] = loadFeatureRepo(t.dir).featureViews
      assert.equal(a!.ttl, 90)
      assert.deepEqual(a!.schema.map((f) => f.dtype), ['list<int64>', 'list<string>'])
      assert.equal(b!.ttl, 7200)
      assert.deepEqual(b!.entities, [])
      assert.equal(c!.ttl, 0)
      assert.equal(d!.ttl, 0)
      assert.equal(d!.online, true)
    } finally {
      t.remove()
    }
  })

  it('names the file and field of a malformed definition', () => {
    const message = loadError(`${BASE}
feature_views: [{name: v, source: src, ttl: 2 days, schema: [{name: x, dtype: float64}]}]`)
    assert.match(message, /defs\.yaml: feature_views\[0\]\.ttl: expected a duration/)
    assert.match(loadError(`${BASE}feature_views: [{name: v, source: src, schema: [{name: x, dtype: decimal}]}]`),
      /defs\.yaml: feature_views\[0\]\.schema\[0\]\.dtype: unknown dtype "decimal"/)
  })

  it('rejects names that are not plain identifiers', () => {
    assert.match(loadError(`entities: [{name: "driver-id", join_keys: [driver_id]}]`), /defs\.yaml: entities\[0\]\.name: expected a plain identifier/)
  })

  it('checks cross-references and names the known objects', () => {
    assert.match(loadError(`${BASE}feature_views: [{name: v, entities: [rider], source: src, schema: [{name: x, dtype: int64}]}]`),
      /defs\.yaml: feature_views\[0\]\.entities: unknown entity "rider"; known: driver/)
    assert.match(loadError(`${BASE}feature_views: [{name: v, source: nope, schema: [{name: x, dtype: int64}]}]`),
      /unknown source "nope"; known: src/)
    assert.match(loadError(`${BASE}
feature_views: [{name: v, source: src, schema: [{name: x, dtype: int64}]}]
feature_services: [{name: s, features: ["v:y"]}]`), /feature_services\[0\]\.features\[0\]: unknown feature "y" of view v; known: x/)
    assert.match(loadError(`${BASE}feature_views: [{name: v, entities: [driver], source: src, schema: [{name: driver_id, dtype: int64}]}]`),
      /has the name of a join key/)
  })

  it('requires exactly one of table or query for database sources', () => {
    assert.match(loadError(`sources: [{name: s, kind: duckdb, timestamp_field: ts}]`), /defs\.yaml: sources\[0\]: give exactly one of table or query/)
  })

  it('requires asof.yaml', () => {
    const t = tempDir()
    try {
      assert.throws(() => loadFeatureRepo(t.dir), /no asof\.yaml/)
    } finally {
      t.remove()
    }
  })
})
