import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { buildProgram } from '../../src/cli/program.js'

describe('CLI command table', () => {
  // A command missing from program.ts's COMMANDS still runs (every module is loaded as a
  // fallback), only slowly: this catches the table falling out of step with the modules.
  it('loads each top-level command lazily, from its own module only', async () => {
    const all = (await buildProgram(['node', 'asof'])).commands.map((c) => c.name())
    assert.ok(all.length > 10)
    for (const name of all) {
      const loaded = (await buildProgram(['node', 'asof', name])).commands.map((c) => c.name())
      assert.ok(loaded.includes(name), `${name} is registered when asked for`)
      assert.ok(loaded.length < all.length, `${name} loads only its own module, not all of them (is it in COMMANDS?)`)
    }
  })
})
