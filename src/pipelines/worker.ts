import { hostname } from 'node:os'
import { processAlive } from '../core/index.js'
import type { RunRow } from '../metadata/index.js'

/** A running run is taken for lost when its worker has missed this many heartbeats. */
const MISSED_HEARTBEATS = 3

/** This process as a run's worker: `host:pid`. */
export function currentWorker(): string {
  return `${hostname()}:${process.pid}`
}

/**
 * Whether the worker executing a run is gone: it never recorded itself, it ran on this host and
 * its process has exited (known at once, e.g. after kill -9), or its heartbeat is older than
 * MISSED_HEARTBEATS intervals (a worker on another host, or a pid reused since).
 */
export function workerLost(run: Pick<RunRow, 'worker' | 'heartbeat_at'>, now: Date, heartbeatSeconds: number): boolean {
  if (!run.worker || !run.heartbeat_at) return true
  const colon = run.worker.lastIndexOf(':')
  const [host, pid] = [run.worker.slice(0, colon), Number(run.worker.slice(colon + 1))]
  if (host === hostname() && Number.isInteger(pid) && !processAlive(pid)) return true
  return now.getTime() - Date.parse(run.heartbeat_at) > MISSED_HEARTBEATS * heartbeatSeconds * 1000
}
