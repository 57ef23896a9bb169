/**
 * A fixed number of slots for work that holds a large body in memory (the no-JavaScript file
 * upload keeps the whole file, up to 20 MB, until it is scored). Past the limit the request is
 * refused at once with 503 + Retry-After, before its body is read, so 50 uploads at once cost
 * `size` × 20 MB of memory instead of 1 GB, and scoring cannot crowd out predictions.
 */
export class UploadSlots {
  private used = 0;
  constructor(
    readonly size: number,
    readonly retryAfterS = 5,
  ) {}

  /** A release function, or null when every slot is taken. Release exactly once. */
  tryAcquire(): (() => void) | null {
    if (this.used >= this.size) return null;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }

  get inUse(): number {
    return this.used;
  }
}

/** Uploads scored at once per server process (each holds its file in memory while it is scored). */
export const MAX_CONCURRENT_UPLOADS = 2;
