import { ENGINES } from './helpers/engines.js'
import { startTestService, call } from './api/helpers.js'
for (const e of ENGINES) {
  const svc = await startTestService(e, { allowOpen: e.kind === 'duckdb' })
  const { ApiKeys } = await import('../src/keys/index.js')
  const k = (await new ApiKeys(svc.asof.metadata).create('admin')).secret
  const h = { authorization: `Bearer ${k}` }
  for (const p of ['/api/v1/model-versions?since=notadate', '/api/v1/model-versions?until=x', '/api/v1/metric-history?metric=table.row_count&since=x', '/api/v1/model-versions?since=2024-01-01T00:00:00%2B02:00', '/api/v1/models/m/versions/1?version=x', '/api/v1/model-versions?since=2024-02-30'])
    { const r = await call(svc.url, 'GET', p, { headers: h }); console.log(e.kind, p, r.status, r.text.slice(0, 200)) }
  const r = await call(svc.url, 'POST', '/api/v1/materialize?x=1', { headers: h, body: { start: 'x', end: '2024-01-01' } }); console.log(r.status, r.text.slice(0, 200))
  await svc.dispose()
}
