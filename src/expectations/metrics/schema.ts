import { columnIsOfType, typeNameOf } from '../type-aliases.js'
import type { SchemaMetric } from './metric.js'

/** A column's type name and whether it is one of `names` (null: any), from the schema alone. */
export function columnTypeName(column: string, names: readonly string[] | null): SchemaMetric {
  return {
    shape: 'schema',
    name: 'column.type',
    args: { column, type_list: names },
    read: (columns, ctx) => {
      const c = columns.find((x) => x.name === column)!
      return { name: typeNameOf(c, ctx.engine), matches: names === null || names.some((n) => columnIsOfType(c, n, ctx.engine)) }
    },
  }
}
