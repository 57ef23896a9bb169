import { RfmError } from '@rfm/shared';
import type { Kysely } from 'kysely';
import type { RegistryTables } from './schema.js';

export type Db = Kysely<RegistryTables>;
export type BackendKind = 'sqlite' | 'postgres';

/**
 * What the registry's rules need from a storage back end: a typed query builder, one way to run
 * a write as a single transaction, a cheap "did anything change" token, and error translation.
 * The rules (policy, aliases, rollback, numbering, import/export) live above this, once.
 */
export interface Store {
  readonly kind: BackendKind;
  /** where the registry is, safe to show (a file path, or a URL without its password) */
  readonly location: string;
  readonly readonly: boolean;
  readonly db: Db;
  /**
   * Run `fn` as one write transaction. SQLite: BEGIN IMMEDIATE (one writer at a time, so numbering
   * and alias moves cannot interleave). PostgreSQL: READ COMMITTED plus a row lock on the model
   * (`lockModel`), taken first by every write that touches a model.
   */
  write<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  /** run reads that must see one snapshot (a read transaction on PostgreSQL; SQLite reads are quick) */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** changes whenever another connection commits anything (SQLite) or an event is recorded (PostgreSQL) */
  changeToken(): Promise<string>;
  /** schema version of the stored registry (0: created but never migrated) */
  schemaVersion(): Promise<number>;
  /** announce an alias move to listening servers, inside the transaction that makes it */
  notify(trx: Db, payload: string): Promise<void>;
  /**
   * After deleting personal data (erasure, retention): make the deleted bytes leave the storage as
   * far as the back end allows. SQLite (secure_delete is on, so freed pages were zeroed) moves the
   * WAL into the file and truncates it; `complete` is false when a reader still held old frames.
   * PostgreSQL runs VACUUM on the tables (dead rows become reusable space; see README for the limits).
   */
  reclaim(tables: readonly string[]): Promise<{ complete: boolean; detail: string }>;
  /** translate a driver error into an RfmError whose message never names the file or URL */
  wrapError(e: unknown): Error;
  close(): Promise<void>;
}

/** Every back end's write starts here: a read-only handle refuses before touching the database. */
export function refuseReadOnly(store: Pick<Store, 'readonly'>): void {
  if (store.readonly) throw new RfmError('REGISTRY_ERROR', 'the registry is open read-only');
}

/** Run `op` and translate any driver error the back end's way (never naming the file or URL). */
export async function translatingErrors<T>(store: Pick<Store, 'wrapError'>, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw store.wrapError(e);
  }
}
