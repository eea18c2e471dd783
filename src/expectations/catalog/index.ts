import type { AnyExpectationDefinition } from '../define.js'
import { expectColumnDistinctValuesToBeInSet } from './expect_column_distinct_values_to_be_in_set.js'
import { expectColumnDistinctValuesToContainSet } from './expect_column_distinct_values_to_contain_set.js'
import { expectColumnDistinctValuesToEqualSet } from './expect_column_distinct_values_to_equal_set.js'
import { expectColumnKlDivergenceToBeLessThan } from './expect_column_kl_divergence_to_be_less_than.js'
import { expectColumnMaxToBeBetween } from './expect_column_max_to_be_between.js'
import { expectColumnMeanToBeBetween } from './expect_column_mean_to_be_between.js'
import { expectColumnMedianToBeBetween } from './expect_column_median_to_be_between.js'
import { expectColumnMinToBeBetween } from './expect_column_min_to_be_between.js'
import { expectColumnMostCommonValueToBeInSet } from './expect_column_most_common_value_to_be_in_set.js'
import { expectColumnPairValuesAToBeGreaterThanB } from './expect_column_pair_values_a_to_be_greater_than_b.js'
import { expectColumnPairValuesToBeEqual } from './expect_column_pair_values_to_be_equal.js'
import { expectColumnPairValuesToBeInSet } from './expect_column_pair_values_to_be_in_set.js'
import { expectColumnProportionOfUniqueValuesToBeBetween } from './expect_column_proportion_of_unique_values_to_be_between.js'
import { expectColumnQuantileValuesToBeBetween } from './expect_column_quantile_values_to_be_between.js'
import { expectColumnStdevToBeBetween } from './expect_column_stdev_to_be_between.js'
import { expectColumnSumToBeBetween } from './expect_column_sum_to_be_between.js'
import { expectColumnToExist } from './expect_column_to_exist.js'
import { expectColumnUniqueValueCountToBeBetween } from './expect_column_unique_value_count_to_be_between.js'
import { expectColumnValueLengthsToBeBetween } from './expect_column_value_lengths_to_be_between.js'
import { expectColumnValueLengthsToEqual } from './expect_column_value_lengths_to_equal.js'
import { expectColumnValueZScoresToBeLessThan } from './expect_column_value_z_scores_to_be_less_than.js'
import { expectColumnValuesToBeBetween } from './expect_column_values_to_be_between.js'
import { expectColumnValuesToBeDateutilParseable } from './expect_column_values_to_be_dateutil_parseable.js'
import { expectColumnValuesToBeDecreasing } from './expect_column_values_to_be_decreasing.js'
import { expectColumnValuesToBeInSet } from './expect_column_values_to_be_in_set.js'
import { expectColumnValuesToBeInTypeList } from './expect_column_values_to_be_in_type_list.js'
import { expectColumnValuesToBeIncreasing } from './expect_column_values_to_be_increasing.js'
import { expectColumnValuesToBeJsonParseable } from './expect_column_values_to_be_json_parseable.js'
import { expectColumnValuesToBeNull } from './expect_column_values_to_be_null.js'
import { expectColumnValuesToBeOfType } from './expect_column_values_to_be_of_type.js'
import { expectColumnValuesToBeUnique } from './expect_column_values_to_be_unique.js'
import { expectColumnValuesToMatchLikePattern } from './expect_column_values_to_match_like_pattern.js'
import { expectColumnValuesToMatchLikePatternList } from './expect_column_values_to_match_like_pattern_list.js'
import { expectColumnValuesToMatchRegex } from './expect_column_values_to_match_regex.js'
import { expectColumnValuesToMatchRegexList } from './expect_column_values_to_match_regex_list.js'
import { expectColumnValuesToMatchStrftimeFormat } from './expect_column_values_to_match_strftime_format.js'
import { expectColumnValuesToNotBeInSet } from './expect_column_values_to_not_be_in_set.js'
import { expectColumnValuesToNotBeNull } from './expect_column_values_to_not_be_null.js'
import { expectColumnValuesToNotMatchLikePattern } from './expect_column_values_to_not_match_like_pattern.js'
import { expectColumnValuesToNotMatchLikePatternList } from './expect_column_values_to_not_match_like_pattern_list.js'
import { expectColumnValuesToNotMatchRegex } from './expect_column_values_to_not_match_regex.js'
import { expectColumnValuesToNotMatchRegexList } from './expect_column_values_to_not_match_regex_list.js'
import { expectCompoundColumnsToBeUnique } from './expect_compound_columns_to_be_unique.js'
import { expectMulticolumnSumToEqual } from './expect_multicolumn_sum_to_equal.js'
import { expectSelectColumnValuesToBeUniqueWithinRecord } from './expect_select_column_values_to_be_unique_within_record.js'
import { expectTableColumnCountToBeBetween } from './expect_table_column_count_to_be_between.js'
import { expectTableColumnCountToEqual } from './expect_table_column_count_to_equal.js'
import { expectTableColumnsToMatchOrderedList } from './expect_table_columns_to_match_ordered_list.js'
import { expectTableColumnsToMatchSet } from './expect_table_columns_to_match_set.js'
import { expectTableRowCountToBeBetween } from './expect_table_row_count_to_be_between.js'
import { expectTableRowCountToEqual } from './expect_table_row_count_to_equal.js'
import { expectTableRowCountToEqualOtherTable } from './expect_table_row_count_to_equal_other_table.js'
import { unexpectedRowsExpectation } from './unexpected_rows_expectation.js'
import { expectTableFreshnessToBeWithin } from './expect_table_freshness_to_be_within.js'
import { expectQueryResultsToBeAllTrue } from './expect_query_results_to_be_all_true.js'
import { expectQueryValuesToBeWithinTolerance } from './expect_query_values_to_be_within_tolerance.js'
import { expectTableMetricsToPassIntervalCheck } from './expect_table_metrics_to_pass_interval_check.js'
import { expectTableColumnsToNotDrift } from './expect_table_columns_to_not_drift.js'
import { expectTableMetricToNotBeAnomalous } from './expect_table_metric_to_not_be_anomalous.js'

/** Every expectation type asof runs. Explicit on purpose: one line per type, no registry magic. */
export const CATALOG: readonly AnyExpectationDefinition[] = [
  // table
  expectTableRowCountToBeBetween,
  expectTableRowCountToEqual,
  expectTableRowCountToEqualOtherTable,
  expectTableColumnCountToBeBetween,
  expectTableColumnCountToEqual,
  expectTableColumnsToMatchOrderedList,
  expectTableColumnsToMatchSet,
  expectColumnToExist,
  // column map
  expectColumnValuesToNotBeNull,
  expectColumnValuesToBeNull,
  expectColumnValuesToBeBetween,
  expectColumnValuesToBeInSet,
  expectColumnValuesToNotBeInSet,
  expectColumnValuesToBeUnique,
  expectColumnValuesToMatchRegex,
  expectColumnValuesToNotMatchRegex,
  expectColumnValuesToMatchRegexList,
  expectColumnValuesToNotMatchRegexList,
  expectColumnValuesToMatchLikePattern,
  expectColumnValuesToNotMatchLikePattern,
  expectColumnValuesToMatchLikePatternList,
  expectColumnValuesToNotMatchLikePatternList,
  expectColumnValueLengthsToBeBetween,
  expectColumnValueLengthsToEqual,
  expectColumnValuesToBeOfType,
  expectColumnValuesToBeInTypeList,
  expectColumnValuesToBeIncreasing,
  expectColumnValuesToBeDecreasing,
  expectColumnValuesToBeDateutilParseable,
  expectColumnValuesToMatchStrftimeFormat,
  expectColumnValuesToBeJsonParseable,
  expectColumnValueZScoresToBeLessThan,
  // column aggregate
  expectColumnMeanToBeBetween,
  expectColumnMedianToBeBetween,
  expectColumnStdevToBeBetween,
  expectColumnSumToBeBetween,
  expectColumnMinToBeBetween,
  expectColumnMaxToBeBetween,
  expectColumnUniqueValueCountToBeBetween,
  expectColumnProportionOfUniqueValuesToBeBetween,
  expectColumnDistinctValuesToBeInSet,
  expectColumnDistinctValuesToContainSet,
  expectColumnDistinctValuesToEqualSet,
  expectColumnMostCommonValueToBeInSet,
  expectColumnQuantileValuesToBeBetween,
  expectColumnKlDivergenceToBeLessThan,
  // multicolumn
  expectColumnPairValuesToBeEqual,
  expectColumnPairValuesAToBeGreaterThanB,
  expectColumnPairValuesToBeInSet,
  expectCompoundColumnsToBeUnique,
  expectSelectColumnValuesToBeUniqueWithinRecord,
  expectMulticolumnSumToEqual,
  // query
  unexpectedRowsExpectation,
  // beyond GX (task D): freshness, Airflow-style SQL checks, drift, anomaly rules on the metric history
  expectTableFreshnessToBeWithin,
  expectQueryResultsToBeAllTrue,
  expectQueryValuesToBeWithinTolerance,
  expectTableMetricsToPassIntervalCheck,
  expectTableColumnsToNotDrift,
  expectTableMetricToNotBeAnomalous,
]

/** The catalog by type name (lower-case, as suites are read). */
export const CATALOG_BY_TYPE: ReadonlyMap<string, AnyExpectationDefinition> = new Map(CATALOG.map((d) => [d.type, d]))
