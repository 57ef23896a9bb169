import { Registry } from '@rfm/registry';

/**
 * The server's one read-write registry connection, opened on first use by the admin API or the
 * /models pages (their reads go through it too), so a server that only scores holds no write
 * handle after start-up. The holder keeps its own read-only one (and takes a write handle once at
 * start-up only to create a registry file that does not exist yet).
 */
export class RegistryWriter {
  private reg: Registry | null = null;
  constructor(readonly file: string) {}

  get(): Registry {
    this.reg ??= Registry.open(this.file);
    return this.reg;
  }

  close(): void {
    this.reg?.close();
    this.reg = null;
  }
}
