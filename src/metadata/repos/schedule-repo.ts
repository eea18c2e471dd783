import type { Kysely, Selectable } from 'kysely'

/** What the scheduler remembers across restarts: the last tick fired per pipeline, and sensor fingerprints. */
export interface ScheduleTables {
  pipeline_schedule_state: {
    pipeline: string
    /** The logical date of the newest tick fired; catchup resumes after it. */
    last_logical_date: string
    updated_at: string
  }
  pipeline_sensor_state: {
    pipeline: string
    /** Which condition (a hash of its definition). */
    sensor_key: string
    /** What the condition looked like when it last started a run (file hashes, a version, a result id). */
    fingerprint: string
    updated_at: string
  }
}

export type SensorStateRow = Selectable<ScheduleTables['pipeline_sensor_state']>

type Db = Kysely<ScheduleTables>

export async function getLastTick(db: Db, pipeline: string): Promise<string | undefined> {
  const row = await db.selectFrom('pipeline_schedule_state').select('last_logical_date').where('pipeline', '=', pipeline).executeTakeFirst()
  return row?.last_logical_date
}

/** Moves the pipeline's last tick forward (never backward, whichever replica writes last). */
export async function advanceLastTick(db: Db, pipeline: string, logicalDate: string, now: string): Promise<void> {
  await db.insertInto('pipeline_schedule_state').values({ pipeline, last_logical_date: logicalDate, updated_at: now })
    .onConflict((oc) => oc.column('pipeline').doUpdateSet({ last_logical_date: logicalDate, updated_at: now })
      .where('pipeline_schedule_state.last_logical_date', '<', logicalDate))
    .execute()
}

export function listSensorStates(db: Db, pipeline: string): Promise<SensorStateRow[]> {
  return db.selectFrom('pipeline_sensor_state').selectAll().where('pipeline', '=', pipeline).execute()
}

/**
 * Compare-and-set of a sensor's fingerprint: succeeds only if it still is `expected` (undefined:
 * no row yet). Of several replicas seeing the same change, exactly one succeeds and starts the run.
 */
export async function swapSensorFingerprint(db: Db, pipeline: string, sensorKey: string, expected: string | undefined, next: string, now: string): Promise<boolean> {
  if (expected === undefined) {
    const r = await db.insertInto('pipeline_sensor_state').values({ pipeline, sensor_key: sensorKey, fingerprint: next, updated_at: now })
      .onConflict((oc) => oc.columns(['pipeline', 'sensor_key']).doNothing()).returning('pipeline').executeTakeFirst()
    return r !== undefined
  }
  const r = await db.updateTable('pipeline_sensor_state').set({ fingerprint: next, updated_at: now })
    .where('pipeline', '=', pipeline).where('sensor_key', '=', sensorKey).where('fingerprint', '=', expected).executeTakeFirst()
  return Number(r.numUpdatedRows) === 1
}
