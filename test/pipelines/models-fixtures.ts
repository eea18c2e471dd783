import type { NewModelVersion } from '../../src/pipelines/index.js'

/** A registrable version with small, recognisable lineage and training metadata. */
export function fixtureVersion(name: string, runId: string | undefined, r2: number): NewModelVersion {
  return {
    name, runId, artifactUri: `/tmp/${runId}/model.bin`, artifactHash: `hash-${runId}`,
    metrics: { overall: { r2 }, slices: { column: 'city', values: { Berlin: { r2: r2 - 0.1 } } } },
    signature: { inputs: [{ name: 'conv_rate', type: 'double' }], outputs: [{ name: 'prediction', type: 'double' }] },
    lineage: { feature_views: [{ name: 'driver_stats', version: 2 }], feature_refs: ['driver_stats@2:conv_rate'], dataset: { uri: 'd.parquet', sha256: 'abcdef0123456789', rows: 10 }, checkpoint_result_ids: ['r1'], pipeline: 'training', pipeline_run: runId ?? null, params: {} },
    training: { rows: { total: 10, train: 8, test: 2 }, categorical: {}, numeric: {}, permutation_importance: { conv_rate: 0.3 }, backend: 'wasm', epochs: 1, resumed_from_epoch: 0 },
  }
}
