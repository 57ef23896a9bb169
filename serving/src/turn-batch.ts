/**
 * Jobs run together at the end of the event loop's current turn (setImmediate: after every socket
 * that was readable in this turn has been read), in the order they came.
 *
 * The scoring fast path answers through one: node hands a request's body to its listener
 * between reads of the other sockets, so answering at once alternates a read, a write, a read…,
 * and the client is woken for few answers at a time. Answered at the end of the turn, the answers
 * go out back to back (wrk against bare node:http slept and woke 0.43–0.48 times per answer, 0.30–0.31
 * when the answers were batched). Under wrk (2 workers, 32 connections, 2 cores) that took rfm's fast path from
 * 0.72–0.76× bare node:http's requests/s to 0.95–1.01× (p99 from 1.50–1.58× to 1.24–1.39×); bare
 * node:http itself serves 1.16–1.31× its own figure with the same change (bench/serve.ts prints it
 * beside the plain runtime). The delay it adds to one answer is the rest of the turn's reads:
 * microseconds, not a timer.
 */
export class TurnBatch<T> {
  private jobs: T[] = [];
  private readonly runAll = (): void => {
    const jobs = this.jobs;
    this.jobs = [];
    for (const job of jobs) {
      try {
        this.run(job);
      } catch (e) {
        this.onError(e); // one job's failure leaves the others to run
      }
    }
  };

  /**
   * `run` does each job; what it throws goes to `onError` (jobs are expected to answer their own
   * errors: this is the last resort).
   */
  constructor(
    private readonly run: (job: T) => void,
    private readonly onError: (e: unknown) => void,
  ) {}

  add(job: T): void {
    if (this.jobs.length === 0) setImmediate(this.runAll);
    this.jobs.push(job);
  }
}
