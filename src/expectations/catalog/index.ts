import type { AnyExpectationDefinition } from '../define.js'
import { expectColumnMeanToBeBetween } from './expect_column_mean_to_be_between.js'
import { expectColumnValuesToBeBetween } from './expect_column_values_to_be_between.js'
import { expectColumnValuesToNotBeNull } from './expect_column_values_to_not_be_null.js'
import { expectTableRowCountToBeBetween } from './expect_table_row_count_to_be_between.js'

/** Every expectation type asof runs. Explicit on purpose: one line per type, no registry magic. */
export const CATALOG: readonly AnyExpectationDefinition[] = [
  expectTableRowCountToBeBetween,
  expectColumnValuesToNotBeNull,
  expectColumnValuesToBeBetween,
  expectColumnMeanToBeBetween,
]

/** The catalog by type name (lower-case, as suites are read). */
export const CATALOG_BY_TYPE: ReadonlyMap<string, AnyExpectationDefinition> = new Map(CATALOG.map((d) => [d.type, d]))
