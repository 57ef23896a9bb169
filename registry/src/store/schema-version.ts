import { RfmError } from '@rfm/shared';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';

/** The schema this rfm writes; the same number on both back ends (one step per migration). */
export const SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

export function schemaTooNew(v: number): RfmError {
  return new RfmError(
    'REGISTRY_ERROR',
    `registry has schema version ${v}, newer than this rfm understands (${SCHEMA_VERSION}); upgrade rfm instead of opening it with an older one`,
  );
}

export function schemaTooOld(v: number): RfmError {
  return new RfmError(
    'REGISTRY_ERROR',
    `registry has schema version ${v}; open it once read-write (any \`rfm models\` write, or \`rfm registry migrate\`) to migrate it to ${SCHEMA_VERSION}`,
    { details: { schema: 'older' } },
  );
}
