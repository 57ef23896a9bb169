export * from './backends.js';
export type { Cluster } from './postgres.js';
export { auditRegistry, pointAliasRaw, tableCounts, tamperArtifact, withRawDb } from './raw.js';
export { rejects } from './rejects.js';
export { sql } from 'kysely';
