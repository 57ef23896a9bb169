import { Registry } from '@rfm/registry';

/**
 * The server's registry connections beside the holder's, each opened on first use: a read-only
 * one for the public pages and GET routes (they never open the registry read-write or migrate it:
 * a server on a read-only mount still lists its models), and a read-write one for admin writes.
 */
export class RegistryWriter {
  private rw: Promise<Registry> | null = null;
  private ro: Promise<Registry> | null = null;
  constructor(readonly location: string) {}

  /** The read-write connection (admin writes only). */
  get(): Promise<Registry> {
    this.rw ??= Registry.open(this.location).catch((e) => {
      this.rw = null; // try again on the next request (the database may be back)
      throw e;
    });
    return this.rw;
  }

  /** The read-only connection (public pages, GETs). */
  reader(): Promise<Registry> {
    this.ro ??= Registry.openReadOnly(this.location).catch((e) => {
      this.ro = null;
      throw e;
    });
    return this.ro;
  }

  async close(): Promise<void> {
    const all = [this.rw, this.ro];
    this.rw = null;
    this.ro = null;
    for (const p of all) await (await p?.catch(() => null))?.close();
  }
}
