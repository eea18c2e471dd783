/**
 * The port `asof serve` and `asof quickstart` listen on when none is given. Feast's feature
 * server uses 6566, but the Fetch standard blocks that port: browsers refuse every URL on it
 * (Chromium's ERR_UNSAFE_PORT) and Node's own `fetch` throws `bad port`. 6567 is Feast's
 * number plus one, on no blocked list; the paths and the protocol stay Feast's.
 */
export const DEFAULT_API_PORT = 6567

/**
 * The Fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking): browsers and
 * Node's `fetch` (undici) refuse to connect to them over HTTP. test/cli/ports.test.ts checks
 * every entry against Node's fetch, so a port added upstream and missing here is noticed.
 */
export const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103,
  104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513,
  514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719,
  1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
  6697, 10080,
])

/** The warning to print when `port` is one browsers and `fetch` refuse, or undefined when it is fine. */
export function blockedPortWarning(port: number): string | undefined {
  if (!FETCH_BLOCKED_PORTS.has(port)) return undefined
  return `port ${port} is on the Fetch standard's list of blocked ports: browsers (ERR_UNSAFE_PORT), Node's fetch and the Swagger UI cannot reach it, nor can other asof commands; choose another with --port (the default is ${DEFAULT_API_PORT})`
}
