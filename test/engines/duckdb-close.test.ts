import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join, resolve } from 'node:path'
import { tempDir } from '../helpers/engines.js'
import { CliProcess } from '../helpers/cli.js'

const FIXTURE = resolve(import.meta.dirname, 'fixtures', 'close-under-query.ts')

describe('duckdb: close', () => {
  it('interrupts running queries, refuses waiting and later ones, and the process exits', async () => {
    const tmp = tempDir()
    try {
      // a child process, because the bug was a process that never exited
      const child = new CliProcess(process.execPath, ['--import', 'tsx', FIXTURE, join(tmp.dir, 'db.duckdb')], { deadlineMs: 60_000 })
      const { status, stdout, stderr } = await child.exited
      assert.equal(status, 0, stderr)
      const { queries, after } = JSON.parse(stdout) as { queries: string[]; after: string }
      assert.deepEqual(queries, [
        'ASOF_BUSY: the query was interrupted: asof is shutting down',
        'ASOF_BUSY: the query was interrupted: asof is shutting down',
        'ASOF_BUSY: the DuckDB database is closing: asof is shutting down',
      ])
      assert.equal(after, 'ASOF_BUSY: the DuckDB database is closing: asof is shutting down')
    } finally {
      tmp.remove()
    }
  })
})
