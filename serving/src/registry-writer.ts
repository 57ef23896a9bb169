import { Registry } from '@rfm/registry';

/**
 * The server's one read-write registry connection, opened on first use (admin routes only) so a
 * server that never writes never takes a write handle. The holder keeps its own read-only one.
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
