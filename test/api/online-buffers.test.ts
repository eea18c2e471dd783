import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import { once } from 'node:events'
import { BufferPool } from '../../src/core/index.js'
import { ENGINES } from '../helpers/engines.js'
import { HOUR, call, iso, startTestService, writeDriverRepo, type TestService } from './helpers.js'

/**
 * `/get-online-features` writes its answers into pooled buffers. A buffer may be reused only
 * once its response has been handed to the kernel: a client that reads slowly leaves an answer
 * larger than the socket's buffers half-sent, still reading from its buffer, while other
 * requests take buffers of the same size.
 */
describe('online answers in reused buffers', () => {
  const now = Date.now()
  const rows = 60_000 // about 8 MB of answer: more than loopback's socket buffers hold
  let svc: TestService
  before(async () => {
    svc = await startTestService(ENGINES[0]!, {
      allowOpen: true, env: { ASOF_MAX_ENTITY_ROWS: String(rows) }, writeRepo: (dir) => writeDriverRepo(dir, now),
    })
    await svc.asof.featureStore.apply()
    await svc.asof.online.materialize(iso(now - 10 * 24 * HOUR), iso(now))
  })
  after(async () => { await svc?.dispose() })

  const body = (id: number) => JSON.stringify({ features: ['driver_hourly_stats:conv_rate'], entities: { driver_id: new Array(rows).fill(id) } })

  it('keeps a slow reader\'s answer intact while other requests are answered', async () => {
    const slow = net.connect(Number(new URL(svc.url).port), '127.0.0.1')
    await once(slow, 'connect')
    const request = body(1001)
    slow.write(`POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(request)}\r\nConnection: close\r\n\r\n${request}`)
    // The answer has started: the server has written it into a buffer and is sending it.
    // Nothing more is read until the other requests are answered.
    await once(slow, 'readable')
    for (let i = 0; i < 3; i++) {
      const other = await call(svc.url, 'POST', '/get-online-features', { rawBody: body(1002) })
      assert.equal(other.status, 200)
      assert.ok(other.json.results[1].values.every((v: unknown) => v === 0.25))
    }
    const chunks: Buffer[] = []
    slow.on('data', (chunk: Buffer) => chunks.push(chunk))
    await once(slow, 'end')
    const response = Buffer.concat(chunks).toString()
    const answer = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))
    assert.equal(answer.results[1].values.length, rows)
    assert.ok(answer.results[1].values.every((v: unknown) => v === 0.75), 'the slow answer was overwritten by another request\'s')
  })
})

describe('BufferPool', () => {
  it('hands a buffer out again only after it is given back, by size, and never one it did not make', () => {
    const pool = new BufferPool(2)
    const a = pool.take(5000)
    assert.equal(a.length, 8192)
    const b = pool.take(5000)
    assert.notEqual(a.buffer, b.buffer, 'a buffer still in use was handed out twice')
    pool.give(a.subarray(0, 10))
    pool.give(a) // twice: kept once
    assert.equal(pool.take(4097).buffer, a.buffer)
    assert.notEqual(pool.take(4097).buffer, a.buffer)
    assert.equal(pool.take(100).length, 4096, 'small sizes share the smallest size')
    assert.notEqual(pool.take(10_000).buffer, a.buffer, 'another size')
    // Buffers it did not make (node's shared pool among them) are refused.
    const foreign = Buffer.allocUnsafe(100)
    pool.give(foreign)
    pool.give(Buffer.alloc(8192))
    assert.ok(![pool.take(4096), pool.take(8192)].some((t) => t.buffer === foreign.buffer))
    // At most `perSize` free buffers per size.
    const made = [pool.take(8192), pool.take(8192), pool.take(8192)]
    for (const m of made) pool.give(m)
    const again = [pool.take(8192), pool.take(8192), pool.take(8192)]
    assert.equal(again.filter((t) => made.some((m) => m.buffer === t.buffer)).length, 2)
  })
})
