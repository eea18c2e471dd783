import type { AnyExpectationDefinition } from '../define.js'
import { expectColumnMeanToBeBetween } from './expect_column_mean_to_be_between.js'
import { expectColumnValuesToBeBetween } from './expect_column_values_to_be_between.js'
import { expectColumnValuesToNotBeNull } from './expect_column_values_to_not_be_null.js'
import { expectTableRowCountToBeBetween } from './expect_table_row_count_to_be_between.js'
import { expectTableFreshnessToBeWithin } from './expect_table_freshness_to_be_within.js'
import { expectQueryResultsToBeAllTrue } from './expect_query_results_to_be_all_true.js'
import { expectQueryValuesToBeWithinTolerance } from './expect_query_values_to_be_within_tolerance.js'
import { expectTableMetricsToPassIntervalCheck } from './expect_table_metrics_to_pass_interval_check.js'
import { expectTableColumnsToNotDrift } from './expect_table_columns_to_not_drift.js'
import { expectTableMetricToNotBeAnomalous } from './expect_table_metric_to_not_be_anomalous.js'

/** Every expectation type asof runs. Explicit on purpose: one line per type, no registry magic. */
export const CATALOG: readonly AnyExpectationDefinition[] = [
  expectTableRowCountToBeBetween,
  expectColumnValuesToNotBeNull,
  expectColumnValuesToBeBetween,
  expectColumnMeanToBeBetween,
  // beyond GX: freshness, Airflow-style SQL checks, drift, anomaly rules on the metric history
  expectTableFreshnessToBeWithin,
  expectQueryResultsToBeAllTrue,
  expectQueryValuesToBeWithinTolerance,
  expectTableMetricsToPassIntervalCheck,
  expectTableColumnsToNotDrift,
  expectTableMetricToNotBeAnomalous,
]

/** The catalog by type name (lower-case, as suites are read). */
export const CATALOG_BY_TYPE: ReadonlyMap<string, AnyExpectationDefinition> = new Map(CATALOG.map((d) => [d.type, d]))
