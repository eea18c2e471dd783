#!/usr/bin/env node
// The `asof` command. It registers tsx's loader and runs the TypeScript sources directly, so
// there is no build step to forget and no stale compiled output to run by mistake.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
