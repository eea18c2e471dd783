import type pg from 'pg'

/** What a subscriber of `PostgresEngine.listen` hears. */
export interface NotificationHandler {
  /** A notification's payload. PostgreSQL sends it when the notifying transaction commits, in commit order. */
  notify(payload: string): void
  /**
   * true: the LISTEN is in effect, every commit from now on will be notified. false: the session
   * was lost (or the subscription closed), so notifications may be missed until the next true.
   */
  connected(up: boolean): void
}

export interface Subscription {
  close(): Promise<void>
}

/** Reconnection backoff, ms: from the first retry up to the longest wait. */
const FIRST_RETRY_MS = 100
const LONGEST_RETRY_MS = 5000
/**
 * How often the session proves it is alive, and how long the proof may take, ms. A connection that
 * died silently (a partition or a failover: no FIN, no RST) would otherwise look up for as long as
 * TCP keepalive takes, minutes, while its subscriber hears nothing.
 */
const HEARTBEAT_MS = 2000
const HEARTBEAT_TIMEOUT_MS = 2000

/**
 * One session of its own that LISTENs on a channel (a pooled connection would be handed to other
 * queries and its notifications lost), reconnecting with backoff after any loss for as long as the
 * subscription is open; a heartbeat query that fails or does not answer in time counts as a loss.
 */
export class NotificationListener implements Subscription {
  private client?: pg.Client
  private up = false
  private closed = false
  private retry?: NodeJS.Timeout
  private heartbeat?: NodeJS.Timeout
  private delay = FIRST_RETRY_MS

  constructor(
    private readonly newClient: () => pg.Client,
    private readonly channel: string,
    /** `listen "<channel>"`, quoted by the engine. */
    private readonly listenSql: string,
    private readonly handler: NotificationHandler,
  ) {
    void this.connect()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retry)
    const client = this.client
    this.drop()
    // A dead peer never confirms the end: close does not wait for it longer than a heartbeat would.
    const gaveUp = new Promise((resolve) => setTimeout(resolve, HEARTBEAT_TIMEOUT_MS).unref())
    await Promise.race([client?.end().catch(() => {}), gaveUp])
  }

  private async connect(): Promise<void> {
    this.retry = undefined
    if (this.closed) return
    const client = this.newClient()
    this.client = client
    const lost = () => {
      if (this.client !== client) return
      this.drop()
      client.end().catch(() => {})
      this.retry = setTimeout(() => void this.connect(), this.delay)
      this.delay = Math.min(this.delay * 2, LONGEST_RETRY_MS)
    }
    client.on('error', lost)
    client.on('end', lost)
    // Notifications that arrive before `up` was set are for commits a read started after it sees anyway.
    client.on('notification', (m) => {
      if (this.client === client && this.up && m.channel === this.channel) this.handler.notify(m.payload ?? '')
    })
    try {
      await client.connect()
      await client.query(this.listenSql)
    } catch {
      lost()
      return
    }
    if (this.client !== client) return // closed meanwhile
    this.up = true
    this.delay = FIRST_RETRY_MS
    this.heartbeat = setInterval(() => {
      const late = setTimeout(lost, HEARTBEAT_TIMEOUT_MS).unref()
      client.query('select 1').then(() => clearTimeout(late), lost)
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
    this.handler.connected(true)
  }

  /** Forgets the current session, telling the handler if it was listening. */
  private drop(): void {
    clearInterval(this.heartbeat)
    this.client = undefined
    if (this.up) {
      this.up = false
      this.handler.connected(false)
    }
  }
}
