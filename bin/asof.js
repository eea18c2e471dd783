#!/usr/bin/env node
// The `asof` command: the CLI's cached bundle of the TypeScript sources (bin/bundle.js), with help
// texts kept beside it.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundle } from './bundle.js'

/**
 * Where the text of this help request is kept beside the bundle, or undefined when argv is not
 * only a help request. Help depends on nothing but the sources (the bundle's fingerprint) and
 * commander's width (the terminal's columns, 80 when piped), so it is printed once through the
 * program, which loads every command module for `asof --help` (~0.6 s), and read from the file
 * after that. Only the plain forms are kept: `asof [COMMAND…] --help|-h` and `asof help [COMMAND…]`.
 */
function helpFile(outdir, args) {
  const words = args.filter((a) => a !== '--help' && a !== '-h')
  const asked = words.length < args.length || words[0] === 'help'
  if (!asked || words.some((w) => w.startsWith('-'))) return undefined
  const width = process.stdout.isTTY ? process.stdout.columns : 'pipe'
  const key = createHash('sha256').update(`${width}\0${args.join('\0')}`).digest('hex').slice(0, 16)
  return join(outdir, `help-${key}.txt`)
}

/** Runs `runCli`, keeping what it writes to stdout in `file` when it exits 0 (written aside and renamed, as the bundle). */
async function runAndKeepHelp(runCli, file) {
  const chunks = []
  const write = process.stdout.write
  process.stdout.write = function (chunk, ...rest) {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return write.call(this, chunk, ...rest)
  }
  const code = await runCli(process.argv)
  process.stdout.write = write
  if (code === 0) {
    try {
      const tmp = `${file}.tmp-${process.pid}`
      writeFileSync(tmp, chunks.join(''))
      renameSync(tmp, file)
    } catch { /* a read-only cache: help is printed through the program every time */ }
  }
  return code
}

const { outdir, url } = await bundle('cli')
const help = outdir && helpFile(outdir, process.argv.slice(2))
if (help && existsSync(help)) {
  process.stdout.write(readFileSync(help, 'utf8'))
} else {
  if (url.endsWith('.ts')) (await import('tsx/esm/api')).register()
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true)
  const { runCli } = await import(url)
  process.exitCode = help ? await runAndKeepHelp(runCli, help) : await runCli(process.argv)
}
