import type { Config } from '@rfm/shared';
import type { Logger } from '../logger.js';
import type { RegistryWriter } from '../registry-writer.js';

export const RETENTION_EVERY_MS = 60 * 60 * 1000;
/** the first pass waits a little: a server starting is busy loading its model */
export const RETENTION_FIRST_MS = 60 * 1000;

/**
 * Runs retention on a schedule (RFM_RUNS_RETENTION_DAYS / RFM_RUNS_KEEP): hourly, the same
 * Registry.gcRuns as `rfm runs gc`, each deletion an event by actor `retention`. Several servers
 * (or workers) on one registry may all do it: the deletions are one transaction each, so the second
 * finds nothing left to delete. The timer is unref'd (never keeps a process alive); a failure is
 * logged and tried again at the next pass. Returns the function that stops it; null when off.
 */
export function startRetention(
  config: Pick<Config, 'runsRetentionDays' | 'runsKeep'>,
  writer: RegistryWriter,
  logger: Logger,
  timing: { everyMs?: number; firstMs?: number } = {},
): (() => void) | null {
  if (config.runsRetentionDays === undefined && config.runsKeep === undefined) return null;
  const opts = {
    ...(config.runsRetentionDays === undefined ? {} : { olderThanDays: config.runsRetentionDays }),
    ...(config.runsKeep === undefined ? {} : { keep: config.runsKeep }),
  };
  let busy = false;
  const pass = async () => {
    if (busy) return;
    busy = true;
    try {
      const r = await (await writer.get()).gcRuns(opts, 'retention');
      if (r.runs.length || r.jobs)
        logger.info(
          { runs: r.runs.map((x) => x.id), jobs_pruned: r.jobs, storage: r.storage?.detail },
          'runs retention',
        );
    } catch (e) {
      logger.warn({ err: e }, 'runs retention failed; trying again at the next pass');
    } finally {
      busy = false;
    }
  };
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    void pass();
    every = setInterval(() => void pass(), timing.everyMs ?? RETENTION_EVERY_MS);
    every.unref();
  }, timing.firstMs ?? RETENTION_FIRST_MS);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
