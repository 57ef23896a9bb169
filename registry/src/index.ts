export { Registry, PRODUCTION } from './registry.js';
export { SCHEMA_VERSION } from './migrations.js';
export type * from './types.js';
