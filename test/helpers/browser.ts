import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium (`apt-get install chromium`; `.ci/run` installs it when absent). */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * Set when browser tests cannot run here: outside CI they skip with this printed reason; in CI
 * (`CI` set) they never skip, so a missing browser fails instead of passing unseen.
 */
export const BROWSER_SKIP_REASON = existsSync(CHROMIUM_PATH) || process.env.CI
  ? undefined
  : `no browser at ${CHROMIUM_PATH} (apt-get install -y chromium): browser tests skipped`
if (BROWSER_SKIP_REASON) console.log(`# ${BROWSER_SKIP_REASON}`)

/** A headless chromium for one test file; close it in `after`. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // root needs --no-sandbox; the rest keep chromium off the GPU and the network beyond the page
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  })
}
