#!/usr/bin/env node
// The npm registry reachable here lacks DuckDB's bindings for other platforms (darwin, win32,
// linux-arm64). `npm install` then leaves them out of package-lock.json and `npm ci` refuses the
// lock as out of sync. This adds each missing optional platform package as an entry marked
// optional with its os/cpu, which `npm ci` skips on this platform and installs elsewhere.
// Run after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs'

const LOCK = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(LOCK, 'utf8'))
const PLATFORM = /-(darwin|linux|win32)-(arm64|x64)(-musl)?$/
let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`
    const m = PLATFORM.exec(dep)
    if (!m || lock.packages[key] || lock.packages[`${path}/${key}`]) continue
    lock.packages[key] = {
      version,
      cpu: [m[2]],
      os: [m[1]],
      ...(m[3] ? { libc: ['musl'] } : {}),
      optional: true,
    }
    added++
  }
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`added ${added} missing optional platform entries`)
