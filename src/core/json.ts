/** A JSON.stringify replacer: a bigint becomes a number where that is exact, else its decimal string. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value
  return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
}

/** JSON.stringify, taking the replacer's slower path only when a value needs it (a bigint). */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    return JSON.stringify(value, bigintReplacer)
  }
}
