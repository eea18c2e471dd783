import { randomBytes } from 'node:crypto'

/** Time-ordered, URL-safe ids (like ULIDs): sortable by creation, unique across processes. */
export function newId(prefix = ''): string {
  const time = Date.now().toString(36).padStart(9, '0')
  return `${prefix}${time}${randomBytes(8).toString('hex')}`
}
