export type { JsonValue, DataInterval, TaskContext, TaskDefinition } from './task.js'
export { TaskRegistry } from './task.js'
export { type ArtifactRef, type ArtifactStore, isArtifactRef, collectArtifactRefs, artifactsIntact } from './artifacts.js'
