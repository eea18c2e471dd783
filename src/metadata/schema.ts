import type { RegistryTables } from './repos/registry-repo.js'
import type { KeysTables } from './repos/keys-repo.js'
import type { SuitesTables } from './repos/suites-repo.js'
import type { ResultsTables } from './repos/results-repo.js'
import type { MetricsTables } from './repos/metrics-repo.js'
import type { ModelsTables } from './repos/models-repo.js'
import type { OnlineTables } from './repos/online-repo.js'
import type { RunsTables } from './repos/runs-repo.js'
import type { ScheduleTables } from './repos/schedule-repo.js'

/**
 * Every metadata table, for kysely's typing. Each repo declares its own tables next to its
 * queries; this interface only gathers them. Columns are portable across DuckDB and
 * PostgreSQL: text (JSON documents are stored as text), bigint, double precision, boolean,
 * timestamptz (read back as ISO-8601 strings).
 */
export interface MetadataSchema extends RegistryTables, KeysTables, SuitesTables, ResultsTables, MetricsTables, OnlineTables, ModelsTables, RunsTables, ScheduleTables {}
