import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A fresh PostgreSQL database on `baseUrl`'s server for one bench run, dropped by `drop`. */
export async function freshDatabase(baseUrl: string, prefix = 'asof_bench'): Promise<{ url: string; query: (text: string) => Promise<void>; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  const run = async (connectionString: string, text: string) => {
    const client = new pg.Client({ connectionString })
    await client.connect()
    try { await client.query(text) } finally { await client.end() }
  }
  await run(baseUrl, `create database ${name}`)
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return { url: url.toString(), query: (text) => run(url.toString(), text), drop: () => run(baseUrl, `drop database if exists ${name} with (force)`) }
}
